"""Metric history as columnar chunks: one row per (run, key, batch), the points as packed arrays.

A row per point made a 100,000-point history cost 100,000 rows to write and four Python
objects per point to read. A chunk holds one batch's points of one key as little-endian
arrays (steps and timestamps int64, values float64 with NaN and infinities as they are, and
per point the audit ``seq`` and batch ``pos`` that wrote it), so writes cost a row per key and
reads are a few ``frombytes`` calls. History order is by step, then the order points were
logged in. :func:`compact` merges a finished run's small chunks.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Sequence
from typing import Any

from cairn.entities import Metric, MetricHistory

CHUNK_MAX_POINTS = 8192
SMALL_CHUNK = 1024
_SWAP = sys.byteorder != "little"

CHUNK_COLUMNS = (
    "run_uuid", "key", "chunk_seq", "n", "min_step", "max_step", "is_sorted",
    "steps", "timestamps", "vals", "seqs", "positions",
)  # fmt: skip


def _pack(typecode: str, values: Any) -> bytes:
    packed = array(typecode, values)
    if _SWAP:
        packed.byteswap()
    return packed.tobytes()


def _unpack_into(target: array, blob: bytes) -> None:
    if _SWAP:
        part = array(target.typecode)
        part.frombytes(blob)
        part.byteswap()
        target.extend(part)
    else:
        target.frombytes(blob)


def _is_sorted(steps: Sequence[int]) -> bool:
    return all(a <= b for a, b in zip(steps, steps[1:], strict=False))


_INT64 = struct.Struct("<q")
_FLOAT64 = struct.Struct("<d")
_INT32 = struct.Struct("<i")


def _single_point_row(run_id: str, metric: Metric, seq: int, pos: int) -> tuple:
    # The common case of a run's summary metrics (one point per key), without array building.
    return (
        run_id, metric.key, seq, 1, metric.step, metric.step, True,
        _INT64.pack(metric.step), _INT64.pack(metric.timestamp), _FLOAT64.pack(metric.value),
        _INT64.pack(seq), _INT32.pack(pos),
    )  # fmt: skip


def chunk_rows(run_id: str, metrics: list[Metric], seq: int) -> list[tuple]:
    """One chunk row per key for a batch written by audit event ``seq``."""
    positions: dict[str, list[int]] = {}
    for pos, metric in enumerate(metrics):
        positions.setdefault(metric.key, []).append(pos)
    rows = []
    for key, where in positions.items():
        if len(where) == 1:
            rows.append(_single_point_row(run_id, metrics[where[0]], seq, where[0]))
            continue
        points = [metrics[p] for p in where]
        steps = [m.step for m in points]
        rows.append(
            (
                run_id,
                key,
                seq,
                len(points),
                min(steps),
                max(steps),
                _is_sorted(steps),
                _pack("q", steps),
                _pack("q", [m.timestamp for m in points]),
                _pack("d", [m.value for m in points]),
                _pack("q", [seq] * len(points)),
                _pack("i", where),
            )  # fmt: skip
        )
    return rows


def history_from_chunks(key: str, rows: Sequence[Sequence[Any]]) -> MetricHistory:
    """Join chunks (``min_step, max_step, is_sorted, steps, timestamps, vals``) by chunk order."""
    steps, timestamps, values = array("q"), array("q"), array("d")
    in_order = True
    last_max: int | None = None
    for min_step, max_step, is_sorted, step_blob, ts_blob, value_blob in rows:
        in_order = in_order and bool(is_sorted) and (last_max is None or min_step >= last_max)
        last_max = max_step if last_max is None else max(last_max, max_step)
        _unpack_into(steps, step_blob)
        _unpack_into(timestamps, ts_blob)
        _unpack_into(values, value_blob)
    if not in_order:
        order = sorted(range(len(steps)), key=steps.__getitem__)  # stable: logging order on ties
        steps = array("q", (steps[i] for i in order))
        timestamps = array("q", (timestamps[i] for i in order))
        values = array("d", (values[i] for i in order))
    return MetricHistory(key, steps, timestamps, values)


def merge(rows: Sequence[Sequence[Any]]) -> tuple:
    """One chunk (without run and key) holding several chunks' points in chunk order."""
    parts: dict[str, array] = {
        "steps": array("q"),
        "timestamps": array("q"),
        "vals": array("d"),
        "seqs": array("q"),
        "positions": array("i"),
    }
    first_seq = rows[0][0]
    for _seq, step_blob, ts_blob, value_blob, seq_blob, pos_blob in rows:
        for name, blob in zip(
            parts, (step_blob, ts_blob, value_blob, seq_blob, pos_blob), strict=True
        ):
            _unpack_into(parts[name], blob)
    steps = parts["steps"]
    return (
        first_seq, len(steps), min(steps), max(steps), _is_sorted(steps),
        *(_pack(a.typecode, a) for a in parts.values()),
    )  # fmt: skip


def plan_compaction(sizes: list[int]) -> list[list[int]] | None:
    """Groups of consecutive chunk indexes to merge, or None when the chunks are big enough."""
    if len(sizes) < 2 or sum(sizes) / len(sizes) >= SMALL_CHUNK:
        return None
    groups: list[list[int]] = [[]]
    total = 0
    for index, size in enumerate(sizes):
        if groups[-1] and total + size > CHUNK_MAX_POINTS:
            groups.append([])
            total = 0
        groups[-1].append(index)
        total += size
    return groups
