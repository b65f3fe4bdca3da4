"""Records and labels of monitors in the SQL store: bulk inserts on the driver's cursor.

One append is one transaction: the chunk blob, one narrow row per prediction and the
monitor's ``last_seq``. Duplicate request ids hit the unique (monitor_id, request_id) index;
the transaction then rolls back and a read names the first duplicate.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import MonitorRecord
from cairn.errors import InvalidInput
from cairn.store.base import now_ms
from cairn.store.sql import schema as t
from cairn.store.sql.engine import Hot, insert_statement

_m = t.monitors
_c = t.monitor_chunks
_r = t.monitor_records
_u = t.monitor_unmatched_labels
IN_BATCH = 500
_RECORD_COLUMNS = ("monitor_id", "seq", "request_id", "time", "chunk_id", "label", "label_time")
_INSERT_RECORDS = insert_statement(_r, _RECORD_COLUMNS)
_SET_LABEL = Hot(
    _r.update()
    .where(_r.c.monitor_id == sa.bindparam("m_id"), _r.c.request_id == sa.bindparam("r_id"))
    .values(label=sa.bindparam("l_text"), label_time=sa.bindparam("l_time"))
)
_DROP_UNMATCHED = Hot(
    _u.delete().where(
        _u.c.monitor_id == sa.bindparam("m_id"), _u.c.request_id == sa.bindparam("r_id")
    )
)
_UNMATCHED_COLUMNS = ("monitor_id", "request_id", "label", "time")
_INSERT_UNMATCHED = insert_statement(_u, _UNMATCHED_COLUMNS)


class DuplicateRequestId(Exception):
    """Raised inside an append transaction to roll it back; the caller names the duplicate."""


def batches(items: Sequence[str], size: int = IN_BATCH) -> Iterator[Sequence[str]]:
    """``items`` in slices of ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_ids(conn: Connection, monitor_id: int, ids: Sequence[str]) -> list[str]:
    """Which of ``ids`` records of the monitor have, in the order of ``ids``."""
    found: set[str] = set()
    for part in batches(ids):
        query = sa.select(_r.c.request_id).where(
            _r.c.monitor_id == monitor_id, _r.c.request_id.in_(part)
        )
        found.update(conn.execute(query).scalars())
    return [i for i in ids if i in found]


def append(
    conn: Connection,
    monitor_id: int,
    last_seq: int,
    chunk: bytes,
    request_ids: list[str | None],
    times: list[int],
    model_version: int | None,
) -> tuple[int, int]:
    """Insert one chunk and its records after ``last_seq``; ``(first_seq, last_seq)``."""
    first, last = last_seq + 1, last_seq + len(times)
    now = now_ms()
    chunk_id = conn.execute(
        _c.insert().values(
            monitor_id=monitor_id,
            first_seq=first,
            last_seq=last,
            data=chunk,
            model_version=model_version,
            created=now,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    waiting = _waiting_labels(conn, monitor_id)
    rows = []
    matched = []
    for offset, (request_id, time) in enumerate(zip(request_ids, times, strict=True)):
        label = waiting.get(request_id) if request_id is not None and waiting else None
        if label is not None:
            matched.append((monitor_id, request_id))
        rows.append(
            (
                monitor_id,
                first + offset,
                request_id,
                time,
                chunk_id,
                None if label is None else label[0],
                None if label is None else label[1],
            )
        )
    integrity = conn.dialect.loaded_dbapi.IntegrityError
    try:
        if conn.dialect.name == "postgresql":
            _copy_records(conn, rows)
        else:
            _INSERT_RECORDS.executemany(conn, _RECORD_COLUMNS, rows)
    except integrity as exc:
        raise DuplicateRequestId from exc
    _DROP_UNMATCHED.executemany(conn, ("m_id", "r_id"), matched)
    conn.execute(_m.update().where(_m.c.monitor_id == monitor_id).values(last_seq=last))
    return first, last


def _copy_records(conn: Connection, rows: list[tuple]) -> None:
    """PostgreSQL: COPY the rows in (one round trip rather than one per row)."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY monitor_records ({', '.join(_RECORD_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def _label_pg(conn: Connection, monitor_id: int, labels: dict[str, str], time: int) -> set[str]:
    """PostgreSQL: COPY the labels into a temporary table and label the records with one
    joined UPDATE; the request ids it labelled."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            "CREATE TEMPORARY TABLE cairn_labels_in (request_id text PRIMARY KEY, label text) "
            "ON COMMIT DROP"
        )
        with cursor.copy("COPY cairn_labels_in (request_id, label) FROM STDIN") as copy:
            for pair in labels.items():
                copy.write_row(pair)
        cursor.execute(
            "UPDATE monitor_records AS r SET label = v.label, label_time = %s "
            "FROM cairn_labels_in AS v WHERE r.monitor_id = %s AND r.request_id = v.request_id "
            "RETURNING r.request_id",
            [time, monitor_id],
        )
        return {row[0] for row in cursor.fetchall()}
    finally:
        cursor.close()


def _waiting_labels(conn: Connection, monitor_id: int) -> dict[str, tuple[str, int]]:
    query = sa.select(_u.c.request_id, _u.c.label, _u.c.time).where(_u.c.monitor_id == monitor_id)
    return {row.request_id: (row.label, row.time) for row in conn.execute(query)}


def duplicate_error(
    conn: Connection, monitor_id: int, name: str, ids: list[str | None]
) -> Exception:
    """The InvalidInput naming the first request id of ``ids`` the monitor has already."""
    known = [i for i in ids if i is not None]
    found = existing_ids(conn, monitor_id, known)
    which = repr(found[0]) if found else "of the batch"
    return InvalidInput(
        f"request id {which} is already in monitor {name!r}; request ids must be unique per "
        "monitor, and nothing of this batch was stored"
    )


def put_labels(conn: Connection, monitor_id: int, labels: dict[str, str], time: int) -> list[str]:
    """Label the records of known ids; keep the others unmatched; return the unknown ids."""
    ids = list(labels)
    if conn.dialect.name == "postgresql":
        known = _label_pg(conn, monitor_id, labels, time)
    else:
        known = set(existing_ids(conn, monitor_id, ids))
        _SET_LABEL.executemany(
            conn,
            ("m_id", "r_id", "l_text", "l_time"),
            [(monitor_id, i, labels[i], time) for i in ids if i in known],
        )
    unknown = [i for i in ids if i not in known]
    _DROP_UNMATCHED.executemany(conn, ("m_id", "r_id"), [(monitor_id, i) for i in unknown])
    _INSERT_UNMATCHED.executemany(
        conn, _UNMATCHED_COLUMNS, [(monitor_id, i, labels[i], time) for i in unknown]
    )
    return unknown


_LIST_RECORDS = Hot(
    sa.select(_r.c.seq, _r.c.request_id, _r.c.time, _r.c.label)
    .where(
        _r.c.monitor_id == sa.bindparam("m_id"),
        _r.c.seq.between(sa.bindparam("first"), sa.bindparam("last")),
        _r.c.time >= sa.bindparam("start"),
        _r.c.time < sa.bindparam("end"),
    )
    .order_by(_r.c.seq)
)
_FOREVER = 2**63 - 1


def list_records(
    conn: Connection,
    monitor_id: int,
    first_seq: int | None,
    last_seq: int | None,
    start_time: int | None,
    end_time: int | None,
) -> list[MonitorRecord]:
    """Records in sequence order within the given ranges (on the driver's cursor: a window
    may hold millions)."""
    params = {
        "m_id": monitor_id,
        "first": 0 if first_seq is None else first_seq,
        "last": _FOREVER if last_seq is None else last_seq,
        "start": 0 if start_time is None else start_time,
        "end": _FOREVER if end_time is None else end_time,
    }
    rows = _LIST_RECORDS.execute(conn, params)
    return [MonitorRecord(int(s), i, int(tm), lb) for s, i, tm, lb in rows]


def read_chunks(
    conn: Connection, monitor_id: int, first_seq: int, last_seq: int
) -> list[tuple[int, bytes]]:
    """``(first_seq, data)`` of the chunks overlapping ``first_seq..last_seq``."""
    query = (
        sa.select(_c.c.first_seq, _c.c.data)
        .where(
            _c.c.monitor_id == monitor_id, _c.c.first_seq <= last_seq, _c.c.last_seq >= first_seq
        )
        .order_by(_c.c.first_seq)
    )
    return [(int(first), bytes(data)) for first, data in conn.execute(query)]


def time_bounds(conn: Connection, monitor_id: int) -> tuple[int | None, int | None]:
    """The earliest and latest prediction time of a monitor's records."""
    row = conn.execute(
        sa.select(sa.func.min(_r.c.time), sa.func.max(_r.c.time)).where(
            _r.c.monitor_id == monitor_id
        )
    ).one()
    return (
        None if row[0] is None else int(row[0]),
        None if row[1] is None else int(row[1]),
    )


def unmatched(
    conn: Connection, monitor_id: int, start_time: int | None, end_time: int | None
) -> list[tuple[str, int]]:
    """``(request_id, time)`` of the labels waiting for their prediction, by time."""
    query = sa.select(_u.c.request_id, _u.c.time).where(_u.c.monitor_id == monitor_id)
    if start_time is not None:
        query = query.where(_u.c.time >= start_time)
    if end_time is not None:
        query = query.where(_u.c.time < end_time)
    rows = conn.execute(query.order_by(_u.c.time, _u.c.request_id))
    return [(str(i), int(tm)) for i, tm in rows]
