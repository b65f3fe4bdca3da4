"""Which windows of a monitor are complete and not computed yet.

Windows follow the spec's :class:`~cairn.monitoring.spec.WindowSpec`:

- ``count``: consecutive runs of ``size`` records by sequence number, after the last record
  of the last computed window. Only full windows are returned; the rest waits for more
  records. A window's times are the earliest prediction time of its records and one past
  the latest (half-open ``[start_time, end_time)``).
- ``time``: intervals of ``size`` milliseconds aligned to multiples of ``size`` since the
  epoch (so ``1h`` windows start on the hour, UTC), after the end of the last computed
  window. An interval is complete when ``now_ms >= end``. Intervals without records give no
  window (a gap is not an error). Records predicted before the end of the last computed
  window that arrive late are not recomputed into it: they belong to no window.

The arithmetic (:func:`count_windows`, :func:`time_windows`) is pure; :func:`pending_windows`
only reads the store around it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cairn.entities import Monitor
from cairn.monitoring.spec import MonitorSpec

__all__ = ["WindowBounds", "count_windows", "pending_windows", "time_windows"]


@dataclass(frozen=True)
class WindowBounds:
    """A window to compute: records ``first_seq..last_seq`` (inclusive) predicted in
    ``[start_time, end_time)`` (ms)."""

    start_time: int
    end_time: int
    first_seq: int
    last_seq: int


def count_windows(after_seq: int, last_seq: int, size: int) -> list[tuple[int, int]]:
    """``(first_seq, last_seq)`` of every full window of ``size`` records after
    ``after_seq``, up to the monitor's ``last_seq``."""
    if size < 1:
        raise ValueError(f"window size must be positive, got {size}")
    return [(first, first + size - 1) for first in range(after_seq + 1, last_seq - size + 2, size)]


def time_windows(
    records: Iterable[tuple[int, int]], size: int, after_time: int | None, now_ms: int
) -> list[WindowBounds]:
    """Closed, non-empty time windows of ``size`` ms from ``(seq, time)`` pairs: intervals
    aligned to the epoch that start at or after ``after_time`` and end at or before
    ``now_ms``, in time order."""
    if size < 1:
        raise ValueError(f"window size must be positive, got {size}")
    groups: dict[int, list[int]] = {}
    for seq, time in records:
        start = time - time % size
        if (after_time is not None and start < after_time) or start + size > now_ms:
            continue
        span = groups.get(start)
        if span is None:
            groups[start] = [seq, seq]
        else:
            span[0] = min(span[0], seq)
            span[1] = max(span[1], seq)
    return [
        WindowBounds(start, start + size, first, last)
        for start, (first, last) in sorted(groups.items())
    ]


def pending_windows(
    store: Any, monitor: Monitor, spec: MonitorSpec, now_ms: int
) -> list[WindowBounds]:
    """The complete windows of ``monitor`` not computed yet, oldest first."""
    repo = store.monitors
    computed = repo.list_windows(monitor.name)
    last = computed[-1] if computed else None
    size = spec.window.size
    if spec.window.kind == "time":
        after = last.end_time if last is not None else None
        closed_end = now_ms - now_ms % size
        if after is not None and after >= closed_end:
            return []
        records = repo.list_records(monitor.name, start_time=after, end_time=closed_end)
        return time_windows(((r.seq, r.time) for r in records), size, after, now_ms)
    after_seq = max((w.last_seq for w in computed), default=0)
    last_seq, _, _ = repo.record_bounds(monitor.name)
    bounds = []
    for first, end in count_windows(after_seq, last_seq, size):
        times = [r.time for r in repo.list_records(monitor.name, first_seq=first, last_seq=end)]
        if not times:  # cannot happen with dense sequence numbers; never compute nothing
            continue
        bounds.append(WindowBounds(min(times), max(times) + 1, first, end))
    return bounds
