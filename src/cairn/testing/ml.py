"""Assertions for ML tests that fail with the numbers, not a bare ``assert False``::

from cairn.testing.ml import assert_metric

assert_metric(run, "f1/valid", ">=", 0.80)       # a Run, a run id, or a plain number
assert_metric(0.93, "accuracy", ">", 0.9)

Every check, passed or failed, is reported to the observers of :func:`observe_checks` as a
:class:`MetricCheck`; the pytest plugin :mod:`cairn.testing.ml_plugin` uses that to log the
numbers to the test's tracked run and to print them all at the end of the session.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cairn.comparisons import COMPARISONS
from cairn.errors import InvalidInput

if TYPE_CHECKING:
    from cairn.entities import Run

__all__ = ["MetricCheck", "assert_metric", "observe_checks"]


@dataclass(frozen=True, slots=True)
class MetricCheck:
    """One ``assert_metric`` call: the metric, its value, the comparison and the verdict."""

    name: str
    value: float
    op: str
    threshold: float
    passed: bool
    run_id: str | None = None


_observers: list[Callable[[MetricCheck], None]] = []


@contextlib.contextmanager
def observe_checks(observer: Callable[[MetricCheck], None]) -> Iterator[None]:
    """Call ``observer`` with every :class:`MetricCheck` made inside the block."""
    _observers.append(observer)
    try:
        yield
    finally:
        _observers.remove(observer)


def assert_metric(run_or_value: Run | str | float, name: str, op: str, threshold: float) -> float:
    """Check ``metric name op threshold``; AssertionError quoting value, op and threshold.

    ``run_or_value`` is a :class:`cairn.entities.Run`, a run id (read from the current
    tracking store) or the value itself. Returns the value checked.
    """
    if op not in COMPARISONS:
        raise InvalidInput(f"op must be one of {', '.join(COMPARISONS)}, got {op!r}")
    if not isinstance(threshold, numbers.Real) or isinstance(threshold, bool):
        raise InvalidInput(f"threshold must be a number, got {threshold!r}")
    value, where, run_id = _value(run_or_value, name)
    nan = isinstance(value, float) and math.isnan(value)
    passed = not nan and COMPARISONS[op](value, threshold)
    check = MetricCheck(name, value, op, float(threshold), passed, run_id)
    for observer in list(_observers):
        observer(check)
    if nan:
        raise AssertionError(f"{name}{where} is NaN, expected {op} {threshold:g}")
    if not passed:
        gap = value - threshold
        raise AssertionError(
            f"{name}{where} = {value:g}, expected {op} {threshold:g} (difference {gap:+.4g})"
        )
    return value


def _value(source: Any, name: str) -> tuple[float, str, str | None]:
    if isinstance(source, numbers.Real) and not isinstance(source, bool):
        return float(source), "", None
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
    return float(metrics[name]), f" of run {run_id}", run_id
