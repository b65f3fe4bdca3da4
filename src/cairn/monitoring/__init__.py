"""Model monitoring: quality over time, data quality, drift, decay and segments, with alerts.

``cairn.monitoring.log_predictions(df, model="churn@champion")`` and ``log_ground_truth``
feed the monitors of a model; ``create_monitor`` defines one (Python, a mapping or a
``monitor.yaml``); ``run_monitor`` computes the windows that are complete and fires rules;
``get_report`` gives a monitor's report (its numbers, and the HTML page with its plots, which
a notebook shows).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "create_monitor",
    "delete_monitor",
    "get_report",
    "import_serving_logs",
    "log_file",
    "log_ground_truth",
    "log_predictions",
    "run_all",
    "run_monitor",
    "update_monitor",
]

_HOMES = {
    "create_monitor": "cairn.monitoring.monitors",
    "delete_monitor": "cairn.monitoring.monitors",
    "update_monitor": "cairn.monitoring.monitors",
    "import_serving_logs": "cairn.monitoring.ingest",
    "log_file": "cairn.monitoring.ingest",
    "log_ground_truth": "cairn.monitoring.ingest",
    "log_predictions": "cairn.monitoring.ingest",
    "get_report": "cairn.monitoring.report",
    "run_all": "cairn.monitoring.runner",
    "run_monitor": "cairn.monitoring.runner",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'cairn.monitoring' has no attribute {name!r}")
    return getattr(import_module(home), name)
