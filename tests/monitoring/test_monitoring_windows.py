"""Which windows are complete: the pure arithmetic of count and time windows."""

from __future__ import annotations

import pytest

from cairn.monitoring.windows import WindowBounds, count_windows, time_windows

HOUR = 3_600_000


def test_count_windows_only_full_ones() -> None:
    assert count_windows(0, 10, 4) == [(1, 4), (5, 8)]
    assert count_windows(8, 10, 4) == []
    assert count_windows(8, 12, 4) == [(9, 12)]
    assert count_windows(0, 0, 1) == []
    assert count_windows(0, 3, 1) == [(1, 1), (2, 2), (3, 3)]


def test_count_windows_refuse_a_bad_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        count_windows(0, 10, 0)


def test_time_windows_are_aligned_closed_and_skip_gaps() -> None:
    records = [(1, 10), (2, HOUR - 1), (3, HOUR + 5), (4, 3 * HOUR + 1), (5, 4 * HOUR)]
    windows = time_windows(records, HOUR, None, now_ms=4 * HOUR + 10)
    assert windows == [
        WindowBounds(0, HOUR, 1, 2),
        WindowBounds(HOUR, 2 * HOUR, 3, 3),
        WindowBounds(3 * HOUR, 4 * HOUR, 4, 4),  # the empty hour 2..3 gives no window
    ]  # the hour from 4h is still open at now


def test_time_windows_close_exactly_at_their_end() -> None:
    records = [(1, 10)]
    assert time_windows(records, HOUR, None, now_ms=HOUR - 1) == []
    assert time_windows(records, HOUR, None, now_ms=HOUR) == [WindowBounds(0, HOUR, 1, 1)]


def test_time_windows_after_the_last_window_and_out_of_order_records() -> None:
    records = [(1, 10), (2, HOUR + 7), (3, 30), (4, HOUR + 2), (5, 2 * HOUR + 1)]
    windows = time_windows(records, HOUR, HOUR, now_ms=3 * HOUR)
    # late record 3 belongs to the computed first hour: no window takes it
    assert windows == [WindowBounds(HOUR, 2 * HOUR, 2, 4), WindowBounds(2 * HOUR, 3 * HOUR, 5, 5)]


def test_time_windows_refuse_a_bad_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        time_windows([], 0, None, 10)
