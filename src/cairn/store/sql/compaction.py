"""Merging a finished run's small history chunks, so that reading it back stays a few rows.

Points shipped from the spool of a slow training loop arrive a few at a time, each batch a
chunk. When the run ends, the chunks of each key that average under ``SMALL_CHUNK`` points are
merged in order into chunks of up to ``CHUNK_MAX_POINTS``. Each point keeps its audit ``seq``
and ``pos``, so the audit trail still verifies.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.store.sql import schema as t
from cairn.store.sql.chunks import CHUNK_COLUMNS, merge, plan_compaction
from cairn.store.sql.engine import Hot
from cairn.store.sql.run_statements import INSERT_CHUNKS

_CHUNK_SIZES = Hot(
    sa.select(t.metric_chunks.c.key, t.metric_chunks.c.chunk_seq, t.metric_chunks.c.n)
    .where(t.metric_chunks.c.run_uuid == sa.bindparam("run_id"))
    .order_by(t.metric_chunks.c.key, t.metric_chunks.c.chunk_seq)
)
_CHUNKS_OF_KEY = Hot(
    sa.select(
        t.metric_chunks.c.chunk_seq,
        t.metric_chunks.c.steps,
        t.metric_chunks.c.timestamps,
        t.metric_chunks.c.vals,
        t.metric_chunks.c.seqs,
        t.metric_chunks.c.positions,
    )
    .where(t.metric_chunks.c.run_uuid == sa.bindparam("run_id"))
    .where(t.metric_chunks.c.key == sa.bindparam("key"))
    .order_by(t.metric_chunks.c.chunk_seq)
)
_DELETE_CHUNKS = Hot(
    t.metric_chunks.delete()
    .where(t.metric_chunks.c.run_uuid == sa.bindparam("run_id"))
    .where(t.metric_chunks.c.key == sa.bindparam("key"))
)


def compact_run(conn: Connection, run_id: str) -> int:
    """Merge the run's small chunks, key by key; return how many keys were rewritten."""
    sizes: dict[str, list[int]] = {}
    for key, _seq, n in _CHUNK_SIZES.execute(conn, {"run_id": run_id}):
        sizes.setdefault(key, []).append(n)
    rewritten = 0
    for key, counts in sizes.items():
        groups = plan_compaction(counts)
        if groups is None:
            continue
        chunks = _CHUNKS_OF_KEY.execute(conn, {"run_id": run_id, "key": key})
        merged = [(run_id, key, *merge([chunks[i] for i in group])) for group in groups]
        _DELETE_CHUNKS.execute(conn, {"run_id": run_id, "key": key})
        INSERT_CHUNKS.executemany(conn, CHUNK_COLUMNS, merged)
        rewritten += 1
    return rewritten
