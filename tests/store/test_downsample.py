"""Thinning metric histories for charts: bounded size, order kept, extremes kept."""

from __future__ import annotations

import math
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.entities import MetricHistory
from cairn.errors import InvalidInput
from cairn.store.downsample import downsample


def _history(values: list[float]) -> MetricHistory:
    n = len(values)
    return MetricHistory("m", array("q", range(n)), array("q", range(n)), array("d", values))


finite = st.floats(allow_nan=False, allow_infinity=False, width=32)


@given(st.lists(finite, min_size=1, max_size=2000), st.integers(4, 300))
def test_bounded_ordered_and_keeps_extremes(values, max_points):
    thin = downsample(_history(values), max_points)
    assert len(thin) <= max_points
    assert len(thin) <= len(values)
    steps = list(thin.steps)
    assert steps == sorted(set(steps))
    assert steps[0] == 0 and steps[-1] == len(values) - 1
    assert max(thin.values) == max(values) and min(thin.values) == min(values)
    assert all(values[s] == v for s, v in zip(steps, thin.values, strict=True))


def test_short_histories_come_back_whole():
    history = _history([1.0, 2.0, 3.0])
    assert downsample(history, 10) is history


def test_nan_points_do_not_hide_real_extremes():
    values = [math.nan] * 50 + [5.0] + [math.nan] * 49 + [-5.0] + [0.0] * 99
    thin = downsample(_history(values), 10)
    assert 5.0 in thin.values and -5.0 in thin.values


@pytest.mark.parametrize("bad", [0, 3, -1, 2.5, "100", True])
def test_max_points_must_be_a_sensible_integer(bad):
    with pytest.raises(InvalidInput, match="max_points"):
        downsample(_history([1.0] * 10), bad)
