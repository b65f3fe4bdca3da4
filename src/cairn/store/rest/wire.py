"""The JSON form of cairn's entities on the native API, shared by server and client.

One module encodes and decodes, so the two sides cannot drift. Metric values that JSON
cannot carry (NaN, +/-infinity) travel as the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"``; metric histories travel as columns (``steps``, ``timestamps``, ``values``).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import asdict
from typing import Any

from cairn.entities import (
    AuditEvent,
    Experiment,
    FileInfo,
    MetricHistory,
    Run,
    RunData,
    RunInfo,
)

_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def number_out(value: float) -> float | str:
    """A float as JSON can carry it."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def number_in(value: float | int | str) -> float:
    """A float back from its JSON form."""
    if isinstance(value, str):
        return _SPECIAL[value] if value in _SPECIAL else float(value)
    return float(value)


def experiment_out(experiment: Experiment) -> dict[str, Any]:
    """An experiment as JSON."""
    return asdict(experiment)


def experiment_in(data: dict[str, Any]) -> Experiment:
    """An experiment from JSON."""
    return Experiment(**data)


def run_info_out(info: RunInfo) -> dict[str, Any]:
    """A run's info as JSON."""
    return asdict(info)


def run_info_in(data: dict[str, Any]) -> RunInfo:
    """A run's info from JSON."""
    return RunInfo(**data)


def run_out(run: Run) -> dict[str, Any]:
    """A run as JSON."""
    data = run.data
    return {
        "info": asdict(run.info),
        "data": {
            "metrics": {k: number_out(val) for k, val in data.metrics.items()},
            "params": data.params,
            "tags": data.tags,
        },
    }


def run_in(data: dict[str, Any]) -> Run:
    """A run from JSON."""
    body = data["data"]
    return Run(
        RunInfo(**data["info"]),
        RunData(
            {k: number_in(val) for k, val in body["metrics"].items()},
            dict(body["params"]),
            dict(body["tags"]),
        ),
    )


def history_out(history: MetricHistory) -> dict[str, Any]:
    """A metric history as columns."""
    values = history.values.tolist()
    if not all(map(math.isfinite, values)):
        values = [number_out(val) for val in values]
    return {
        "key": history.key,
        "steps": history.steps.tolist(),
        "timestamps": history.timestamps.tolist(),
        "values": values,
    }


def history_in(data: dict[str, Any]) -> MetricHistory:
    """A metric history from columns."""
    values = data["values"]
    if any(isinstance(val, str) for val in values):
        values = [number_in(val) for val in values]
    return MetricHistory(
        data["key"], array("q", data["steps"]), array("q", data["timestamps"]), array("d", values)
    )


def file_info_out(info: FileInfo) -> dict[str, Any]:
    """An artifact listing entry as JSON."""
    return asdict(info)


def audit_event_out(event: AuditEvent) -> dict[str, Any]:
    """An audit event as JSON."""
    return asdict(event)


def audit_event_in(data: dict[str, Any]) -> AuditEvent:
    """An audit event from JSON."""
    return AuditEvent(**data)
