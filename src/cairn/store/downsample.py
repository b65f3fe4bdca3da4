"""Thinning a long metric history for a chart without hiding its spikes.

The points are cut into equal index buckets and each bucket keeps its lowest and highest
point (in step order), so a spike or a dip in a million-step run still shows at 1,000
points. The first and last points are always kept.
"""

from __future__ import annotations

import math
from array import array

from cairn.entities import MetricHistory
from cairn.errors import InvalidInput

MIN_POINTS = 4


def check_max_points(max_points: int) -> int:
    """``max_points`` if it is an integer of at least MIN_POINTS; InvalidInput otherwise."""
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < MIN_POINTS:
        raise InvalidInput(
            f"max_points must be an integer of at least {MIN_POINTS}, got {max_points!r}"
        )
    return max_points


def downsample(history: MetricHistory, max_points: int) -> MetricHistory:
    """At most ``max_points`` points of ``history``, keeping each bucket's extremes."""
    check_max_points(max_points)
    count = len(history)
    if count <= max_points:
        return history
    values = history.values
    buckets = (max_points - 2) // 2
    keep = [0]
    inner = count - 2
    for b in range(buckets):
        start = 1 + b * inner // buckets
        stop = 1 + (b + 1) * inner // buckets
        if start >= stop:
            continue
        indexes = range(start, stop)
        low = min(indexes, key=lambda i: _low_rank(values[i]))
        high = max(indexes, key=lambda i: _high_rank(values[i]))
        keep.extend(sorted({low, high}))
    keep.append(count - 1)
    return MetricHistory(
        history.key,
        array("q", (history.steps[i] for i in keep)),
        array("q", (history.timestamps[i] for i in keep)),
        array("d", (values[i] for i in keep)),
    )


def _low_rank(value: float) -> float:
    return math.inf if math.isnan(value) else value


def _high_rank(value: float) -> float:
    return -math.inf if math.isnan(value) else value
