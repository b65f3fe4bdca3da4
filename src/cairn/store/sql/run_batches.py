"""Writing a batch of metrics, params and tags to a run inside one transaction."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from cairn.entities import Metric, Param, RunTag
from cairn.errors import ParamOverwrite
from cairn.store.base import SpoolMark, now_ms
from cairn.store.sql.audit import append_event
from cairn.store.sql.chunks import CHUNK_COLUMNS, chunk_rows
from cairn.store.sql.run_reads import entity, finite, require_run
from cairn.store.sql.run_statements import (
    DELETE_TAG,
    INSERT_CHUNKS,
    INSERT_LATEST,
    INSERT_PARAMS,
    INSERT_SPOOL,
    INSERT_TAGS,
    KV,
    LATEST_COLUMNS,
    PARAM_COLUMNS,
    SELECT_LATEST,
    SELECT_PARAMS,
    SELECT_SPOOL,
    SPOOL_COLUMNS,
    UPDATE_LATEST,
    UPDATE_LATEST_NAMES,
    UPDATE_SPOOL,
)
from cairn.store.validation import as_number


def write_batch(
    conn: Connection,
    actor: str,
    run_id: str,
    metrics: list[Metric],
    params: list[Param],
    tags: list[RunTag],
    spool: SpoolMark | None,
) -> None:
    if spool is not None and not advance_spool(conn, run_id, spool):
        return  # this part of the spool is stored already: replaying it changes nothing
    require_run(conn, run_id, for_write=True)
    new_params = check_params(conn, run_id, params)
    payload = {
        "run_id": run_id,
        "metrics": [[m.key, m.value, m.timestamp, m.step] for m in metrics],
        "params": {p.key: p.value for p in params},
        "tags": {g.key: g.value for g in tags},
    }
    stored = dict(payload, metrics=len(metrics))
    seq = append_event(conn, actor, "run.log_batch", entity(run_id), payload, stored)
    INSERT_PARAMS.executemany(
        conn,
        PARAM_COLUMNS,
        [(run_id, p.key, p.value, as_number(p.value)) for p in new_params],
    )
    if tags:
        last = {g.key: g.value for g in tags}
        DELETE_TAG.executemany(conn, KV[:2], [(run_id, k) for k in last])
        INSERT_TAGS.executemany(conn, KV, [(run_id, k, val) for k, val in last.items()])
    if metrics:
        INSERT_CHUNKS.executemany(conn, CHUNK_COLUMNS, chunk_rows(run_id, metrics, seq))
        update_latest(conn, run_id, metrics)


def advance_spool(conn: Connection, run_id: str, mark: SpoolMark) -> bool:
    found = SELECT_SPOOL.execute(conn, {"spool_id": mark.spool_id})
    stored = found[0][0] if found else None
    if stored is not None and stored >= mark.offset:
        return False
    if stored is None:
        INSERT_SPOOL.executemany(
            conn, SPOOL_COLUMNS, [(mark.spool_id, run_id, mark.offset, now_ms())]
        )
    else:
        UPDATE_SPOOL.execute(
            conn, {"b_spool_id": mark.spool_id, "b_offset": mark.offset, "b_time": now_ms()}
        )
    return True


def check_params(conn: Connection, run_id: str, params: list[Param]) -> list[Param]:
    if not params:
        return []
    wanted = {p.key: p.value for p in params}
    existing = dict(SELECT_PARAMS.execute(conn, {"run_id": run_id}))
    for key, value in wanted.items():
        if key in existing and existing[key] != value:
            raise ParamOverwrite.of(run_id, key, existing[key], value)
    return [Param(k, val) for k, val in wanted.items() if k not in existing]


def update_latest(conn: Connection, run_id: str, metrics: list[Metric]) -> None:
    best: dict[str, tuple] = {}
    for m in metrics:
        value = m.value
        nan = value != value
        rank = (m.step, m.timestamp, nan, 0.0 if nan else finite(value))
        known = best.get(m.key)
        if known is None or rank > known:
            best[m.key] = rank
    current = {
        key: (step, timestamp, bool(is_nan), value)
        for key, step, timestamp, value, is_nan in SELECT_LATEST.execute(conn, {"run_id": run_id})
    }
    inserts, updates = [], []
    for key, (step, timestamp, nan, value) in best.items():
        row = (run_id, key, value, nan, timestamp, step)
        old = current.get(key)
        if old is None:
            inserts.append(row)
        elif (step, timestamp, nan, value) > old:
            updates.append(row)
    INSERT_LATEST.executemany(conn, LATEST_COLUMNS, inserts)
    UPDATE_LATEST.executemany(conn, UPDATE_LATEST_NAMES, updates)
