"""Columnar metric chunks: packing, joining in step order, and compaction plans."""

from __future__ import annotations

import math
from array import array

from hypothesis import given
from hypothesis import strategies as st

from cairn.entities import Metric
from cairn.store.sql.chunks import (
    CHUNK_MAX_POINTS,
    chunk_rows,
    history_from_chunks,
    merge,
    plan_compaction,
)


def _as_history_rows(rows):
    # (min_step, max_step, is_sorted, steps, timestamps, vals), as the store selects them
    return [(r[4], r[5], r[6], r[7], r[8], r[9]) for r in rows]


def test_one_chunk_per_key_keeps_positions_and_seq():
    batch = [Metric("a", 1.0, 10, 0), Metric("b", math.nan, 11, 0), Metric("a", math.inf, 12, 1)]
    rows = {r[1]: r for r in chunk_rows("r" * 32, batch, seq=7)}
    assert set(rows) == {"a", "b"}
    a = rows["a"]
    assert a[2:7] == (7, 2, 0, 1, True)
    positions = array("i")
    positions.frombytes(a[11])
    assert list(positions) == [0, 2]
    seqs = array("q")
    seqs.frombytes(a[10])
    assert list(seqs) == [7, 7]
    history = history_from_chunks("b", _as_history_rows([rows["b"]]))
    assert math.isnan(history[0].value)
    assert history_from_chunks("a", _as_history_rows([a]))[1].value == math.inf


def test_out_of_order_steps_are_sorted_stably():
    first = chunk_rows("r" * 32, [Metric("m", 1.0, 1, 5), Metric("m", 2.0, 2, 6)], seq=1)
    second = chunk_rows("r" * 32, [Metric("m", 3.0, 3, 5), Metric("m", 4.0, 4, 1)], seq=2)
    history = history_from_chunks("m", _as_history_rows(first + second))
    assert [(m.step, m.value) for m in history] == [(1, 4.0), (5, 1.0), (5, 3.0), (6, 2.0)]


@given(st.lists(st.tuples(st.integers(-5, 5), st.floats(allow_nan=False)), min_size=1, max_size=40))
def test_join_equals_a_stable_sort_by_step(points):
    metrics = [Metric("k", value, 1000 + i, step) for i, (step, value) in enumerate(points)]
    rows = []
    for start in range(0, len(metrics), 7):
        rows += chunk_rows("r" * 32, metrics[start : start + 7], seq=start + 1)
    expected = sorted(metrics, key=lambda m: m.step)
    assert list(history_from_chunks("k", _as_history_rows(rows))) == expected


def test_merge_keeps_order_and_provenance():
    rows = [chunk_rows("r" * 32, [Metric("m", float(i), i, i)], seq=10 + i)[0] for i in range(5)]
    merged = merge([(r[2], r[7], r[8], r[9], r[10], r[11]) for r in rows])
    seq, n, min_step, max_step, is_sorted, steps, timestamps, vals, seqs, positions = merged
    assert (seq, n, min_step, max_step, is_sorted) == (10, 5, 0, 4, True)
    decoded = array("q")
    decoded.frombytes(seqs)
    assert list(decoded) == [10, 11, 12, 13, 14]
    history = history_from_chunks("m", [(min_step, max_step, is_sorted, steps, timestamps, vals)])
    assert [m.value for m in history] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_compaction_plan():
    assert plan_compaction([5000]) is None
    assert plan_compaction([2000, 2000]) is None
    assert plan_compaction([1] * 5) == [[0, 1, 2, 3, 4]]
    groups = plan_compaction([1000] * 10 + [1] * 3)
    assert groups is not None and all(len(g) >= 1 for g in groups)
    assert [i for g in groups for i in g] == list(range(13))
    assert plan_compaction([10] * (CHUNK_MAX_POINTS // 5)) == [
        list(range(CHUNK_MAX_POINTS // 10)),
        list(range(CHUNK_MAX_POINTS // 10, CHUNK_MAX_POINTS // 5)),
    ]
