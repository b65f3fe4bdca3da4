"""cairn: track, version, run, serve and monitor ML work, with a verifiable record of each step.

``import cairn`` is kept fast: the names below load their modules on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_FLUENT = (
    "ActiveRun",
    "active_run",
    "create_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "restore_run",
    "search_experiments",
    "search_runs",
    "seed_everything",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
)

_LAZY = {name: "cairn.tracking.fluent" for name in _FLUENT}
_LAZY.update(
    {
        "CairnClient": "cairn.tracking.client",
        "data": "cairn.data",
        "errors": "cairn.errors",
        "entities": "cairn.entities",
        "models": "cairn.models",
        "online": "cairn.online",
        "pyfunc": "cairn.pyfunc",
        "projects": "cairn.projects",
        "registry": "cairn.registry",
        "security": "cairn.security",
        "stage": "cairn.pipelines.python_form",
        "lightgbm": "cairn.lightgbm",
        "onnx": "cairn.onnx",
        "pytorch": "cairn.pytorch",
        "sklearn": "cairn.sklearn",
        "xgboost": "cairn.xgboost",
    }
)

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cairn' has no attribute {name!r}")
    target = import_module(module)
    value = target if module.endswith("." + name) else getattr(target, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext cairn``: autoreload edited modules; runs record this notebook."""
    from cairn.notebook.extension import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext cairn``: remove ``%cairn_notebook`` (autoreload stays as it is)."""
    from cairn.notebook.extension import unload

    unload(ipython)


if TYPE_CHECKING:  # pragma: no cover
    from cairn import data as data
    from cairn import entities as entities
    from cairn import errors as errors
    from cairn import lightgbm as lightgbm
    from cairn import models as models
    from cairn import onnx as onnx
    from cairn import pyfunc as pyfunc
    from cairn import pytorch as pytorch
    from cairn import sklearn as sklearn
    from cairn import xgboost as xgboost
    from cairn.pipelines.python_form import stage as stage
    from cairn.tracking.client import CairnClient as CairnClient
    from cairn.tracking.fluent import *  # noqa: F403
