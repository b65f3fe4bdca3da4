"""Assertions for ML tests that fail with the numbers, not a bare ``assert False``::

from cairn.testing.ml import assert_metric

assert_metric(run, "f1/valid", ">=", 0.80)       # a Run, a run id, or a plain number
assert_metric(0.93, "accuracy", ">", 0.9)
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

from cairn.comparisons import COMPARISONS
from cairn.errors import InvalidInput

if TYPE_CHECKING:
    from cairn.entities import Run

__all__ = ["assert_metric"]


def assert_metric(run_or_value: Run | str | float, name: str, op: str, threshold: float) -> float:
    """Check ``metric name op threshold``; AssertionError quoting value, op and threshold.

    ``run_or_value`` is a :class:`cairn.entities.Run`, a run id (read from the current
    tracking store) or the value itself. Returns the value checked.
    """
    if op not in COMPARISONS:
        raise InvalidInput(f"op must be one of {', '.join(COMPARISONS)}, got {op!r}")
    value, where = _value(run_or_value, name)
    if isinstance(value, float) and math.isnan(value):
        raise AssertionError(f"{name}{where} is NaN, expected {op} {threshold:g}")
    if not COMPARISONS[op](value, threshold):
        gap = value - threshold
        raise AssertionError(
            f"{name}{where} = {value:g}, expected {op} {threshold:g} (difference {gap:+.4g})"
        )
    return value


def _value(source: Any, name: str) -> tuple[float, str]:
    if isinstance(source, numbers.Real) and not isinstance(source, bool):
        return float(source), ""
    if isinstance(source, str):
        from cairn.tracking.client import CairnClient

        source = CairnClient().get_run(source)
    data = getattr(source, "data", None)
    metrics = getattr(data, "metrics", None)
    if not isinstance(metrics, dict):
        raise InvalidInput(
            f"assert_metric needs a Run, a run id or a number, got {type(source).__name__}"
        )
    run_id = source.info.run_id
    if name not in metrics:
        have = ", ".join(sorted(metrics)) or "no metrics"
        raise AssertionError(f"run {run_id} has no metric {name} (it has: {have})")
    return float(metrics[name]), f" of run {run_id}"
