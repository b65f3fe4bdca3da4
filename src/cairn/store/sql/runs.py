"""Runs, params, tags and metrics in the SQL store."""

from __future__ import annotations

import math
import sys
from collections import namedtuple
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import (
    LifecycleStage,
    Metric,
    Page,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from cairn.errors import InvalidState, NotFound, ParamOverwrite
from cairn.store.base import RunRepository, SpoolMark, now_ms
from cairn.store.names import generate_run_name
from cairn.store.sql import schema as t
from cairn.store.sql.audit import append_event
from cairn.store.sql.engine import Hot, insert_statement, read_connection, run_write
from cairn.store.validation import as_number, new_run_id

ACTIVE = LifecycleStage.ACTIVE.value
DELETED = LifecycleStage.DELETED.value
PARENT_TAG = "cairn.parentRunId"

_RUN_COLUMNS = (
    t.runs.c.run_uuid,
    t.runs.c.experiment_id,
    t.runs.c.name,
    t.runs.c.user_id,
    t.runs.c.status,
    t.runs.c.start_time,
    t.runs.c.end_time,
    t.runs.c.artifact_uri,
    t.runs.c.lifecycle_stage,
)


RunRow = namedtuple("RunRow", [c.name for c in _RUN_COLUMNS])  # type: ignore[misc]

# The logging hot path runs these through the driver's cursor (see engine.Hot).
_SELECT_RUN = Hot(sa.select(*_RUN_COLUMNS).where(t.runs.c.run_uuid == sa.bindparam("run_id")))
_SELECT_EXPERIMENT = Hot(
    sa.select(t.experiments.c.artifact_location, t.experiments.c.lifecycle_stage).where(
        t.experiments.c.experiment_id == sa.bindparam("experiment_id")
    )
)
_RUN_INSERT_COLUMNS = (
    "run_uuid", "name", "experiment_id", "user_id", "status", "start_time", "end_time",
    "lifecycle_stage", "artifact_uri", "parent_run_uuid",
)  # fmt: skip
_INSERT_RUN = insert_statement(t.runs, _RUN_INSERT_COLUMNS)
_KV = ("run_uuid", "key", "value")
_INSERT_TAGS = insert_statement(t.tags, _KV)
_PARAM_COLUMNS = ("run_uuid", "key", "value", "value_num")
_INSERT_PARAMS = insert_statement(t.params, _PARAM_COLUMNS)
_SELECT_PARAMS = Hot(
    sa.select(t.params.c.key, t.params.c.value).where(t.params.c.run_uuid == sa.bindparam("run_id"))
)
_DELETE_TAG = Hot(
    t.tags.delete()
    .where(t.tags.c.run_uuid == sa.bindparam("run_uuid"))
    .where(t.tags.c.key == sa.bindparam("key"))
)
_LATEST_COLUMNS = ("run_uuid", "key", "value", "is_nan", "timestamp", "step")
_SELECT_LATEST = Hot(
    sa.select(
        t.latest_metrics.c.key,
        t.latest_metrics.c.step,
        t.latest_metrics.c.timestamp,
        t.latest_metrics.c.value,
        t.latest_metrics.c.is_nan,
    ).where(t.latest_metrics.c.run_uuid == sa.bindparam("run_id"))
)
_INSERT_LATEST = insert_statement(t.latest_metrics, _LATEST_COLUMNS)
_UPDATE_LATEST = Hot(
    t.latest_metrics.update()
    .where(t.latest_metrics.c.run_uuid == sa.bindparam("b_run_id"))
    .where(t.latest_metrics.c.key == sa.bindparam("b_key"))
    .values(
        value=sa.bindparam("b_value"),
        is_nan=sa.bindparam("b_is_nan"),
        timestamp=sa.bindparam("b_timestamp"),
        step=sa.bindparam("b_step"),
    )
)
_UPDATE_LATEST_NAMES = ("b_run_id", "b_key", "b_value", "b_is_nan", "b_timestamp", "b_step")
_METRIC_COLUMNS = ("run_uuid", "key", "value", "is_nan", "timestamp", "step", "audit_seq", "pos")
_INSERT_METRICS = insert_statement(t.metrics, _METRIC_COLUMNS)
_SELECT_HISTORY = Hot(
    sa.select(t.metrics.c.value, t.metrics.c.timestamp, t.metrics.c.step, t.metrics.c.is_nan)
    .where(t.metrics.c.run_uuid == sa.bindparam("run_id"))
    .where(t.metrics.c.key == sa.bindparam("key"))
    .order_by(t.metrics.c.step, t.metrics.c.timestamp, t.metrics.c.audit_seq, t.metrics.c.pos)
)
_SELECT_SPOOL = Hot(
    sa.select(t.spool_progress.c.offset).where(
        t.spool_progress.c.spool_id == sa.bindparam("spool_id")
    )
)
_SPOOL_COLUMNS = ("spool_id", "run_uuid", "offset", "updated_time")
_INSERT_SPOOL = insert_statement(t.spool_progress, _SPOOL_COLUMNS)
_UPDATE_SPOOL = Hot(
    t.spool_progress.update()
    .where(t.spool_progress.c.spool_id == sa.bindparam("b_spool_id"))
    .values(offset=sa.bindparam("b_offset"), updated_time=sa.bindparam("b_time"))
)
_TERMINATE_RUN = Hot(
    t.runs.update()
    .where(t.runs.c.run_uuid == sa.bindparam("b_run_id"))
    .values(status=sa.bindparam("b_status"), end_time=sa.bindparam("b_end_time"))
)


def _entity(run_id: str) -> str:
    return f"run:{run_id}"


def _info(row: Any) -> RunInfo:
    return RunInfo(
        run_id=row.run_uuid,
        experiment_id=str(row.experiment_id),
        run_name=row.name,
        user_id=row.user_id,
        status=row.status,
        start_time=row.start_time,
        end_time=row.end_time,
        artifact_uri=row.artifact_uri,
        lifecycle_stage=row.lifecycle_stage,
    )


def load_runs(conn: Connection, rows: list[sa.Row]) -> list[Run]:
    """Whole runs (latest metrics, params, tags) for run rows, in the rows' order."""
    if not rows:
        return []
    ids = [r.run_uuid for r in rows]
    data: dict[str, tuple[dict, dict, dict]] = {i: ({}, {}, {}) for i in ids}
    for chunk in _chunks(ids, 500):
        for m in conn.execute(
            sa.select(
                t.latest_metrics.c.run_uuid,
                t.latest_metrics.c.key,
                t.latest_metrics.c.value,
                t.latest_metrics.c.is_nan,
            ).where(t.latest_metrics.c.run_uuid.in_(chunk))
        ):
            data[m.run_uuid][0][m.key] = _read_value(m.value, m.is_nan)
        for p in conn.execute(
            sa.select(t.params.c.run_uuid, t.params.c.key, t.params.c.value).where(
                t.params.c.run_uuid.in_(chunk)
            )
        ):
            data[p.run_uuid][1][p.key] = p.value
        for g in conn.execute(
            sa.select(t.tags.c.run_uuid, t.tags.c.key, t.tags.c.value).where(
                t.tags.c.run_uuid.in_(chunk)
            )
        ):
            data[g.run_uuid][2][g.key] = g.value
    return [
        Run(_info(r), RunData(*(dict(sorted(d.items())) for d in data[r.run_uuid]))) for r in rows
    ]


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# MySQL stores no infinities: they are kept as the largest finite double and read back as inf.
_FLOAT_MAX = sys.float_info.max


def _finite(value: float) -> float:
    if value == math.inf:
        return _FLOAT_MAX
    if value == -math.inf:
        return -_FLOAT_MAX
    return value


def _read_value(value: float, is_nan: bool) -> float:
    if is_nan:
        return math.nan
    if value == _FLOAT_MAX:
        return math.inf
    if value == -_FLOAT_MAX:
        return -math.inf
    return value


def _metric_rows(run_id: str, metrics: list[Metric], seq: int, clamp: bool) -> list[tuple]:
    isnan = math.isnan
    return [
        (run_id, m.key, 0.0, True, m.timestamp, m.step, seq, pos)
        if isnan(m.value)
        else (
            run_id, m.key, _finite(m.value) if clamp else m.value, False, m.timestamp, m.step,
            seq, pos,
        )  # fmt: skip
        for pos, m in enumerate(metrics)
    ]


class SqlRunRepository(RunRepository):
    """Runs stored in the ``runs``, ``params``, ``tags``, ``metrics`` tables."""

    def __init__(self, engine: sa.Engine, actor: str) -> None:
        self._engine = engine
        self._actor = actor

    # -- runs ---------------------------------------------------------------------------------

    def _create_run(
        self,
        experiment_id: int,
        user_id: str,
        start_time: int,
        tags: list[RunTag],
        run_name: str | None,
        parent_run_id: str | None,
    ) -> Run:
        run_id = new_run_id()
        name = run_name or generate_run_name()
        all_tags = {tag.key: tag.value for tag in tags}
        if parent_run_id is not None:
            all_tags[PARENT_TAG] = parent_run_id

        def create(conn: Connection) -> str:
            found = _SELECT_EXPERIMENT.execute(conn, {"experiment_id": experiment_id})
            if not found:
                raise NotFound(f"no experiment has id {experiment_id}")
            artifact_location, stage = found[0]
            if stage != ACTIVE:
                raise InvalidState(
                    f"experiment {experiment_id} is deleted; restore it before starting runs in it"
                )
            if parent_run_id is not None:
                self._require_run(conn, parent_run_id)
            artifact_uri = f"{artifact_location.rstrip('/')}/{run_id}/artifacts"
            _INSERT_RUN.executemany(
                conn,
                _RUN_INSERT_COLUMNS,
                [
                    (
                        run_id, name, experiment_id, user_id, RunStatus.RUNNING.value,
                        start_time, None, ACTIVE, artifact_uri, parent_run_id,
                    )  # fmt: skip
                ],
            )
            _INSERT_TAGS.executemany(
                conn, _KV, [(run_id, k, val) for k, val in all_tags.items()]
            )
            append_event(
                conn,
                self._actor,
                "run.create",
                _entity(run_id),
                {
                    "experiment_id": experiment_id,
                    "name": name,
                    "user_id": user_id,
                    "start_time": start_time,
                    "artifact_uri": artifact_uri,
                    "parent_run_id": parent_run_id,
                    "tags": all_tags,
                },
            )
            return artifact_uri

        artifact_uri = run_write(self._engine, create)
        info = RunInfo(
            run_id=run_id,
            experiment_id=str(experiment_id),
            run_name=name,
            user_id=user_id,
            status=RunStatus.RUNNING.value,
            start_time=start_time,
            end_time=None,
            artifact_uri=artifact_uri,
            lifecycle_stage=ACTIVE,
        )
        return Run(info, RunData(tags=dict(sorted(all_tags.items()))))

    def _require_run(self, conn: Connection, run_id: str, for_write: bool = False) -> RunRow:
        found = _SELECT_RUN.execute(conn, {"run_id": run_id})
        if not found:
            raise NotFound(f"no run has id {run_id!r}")
        row = RunRow(*found[0])
        if for_write and row.lifecycle_stage != ACTIVE:
            raise InvalidState(f"run {run_id} is deleted; restore it before logging to it")
        return row

    def _get_run(self, run_id: str) -> Run:
        with read_connection(self._engine) as conn:
            row = self._require_run(conn, run_id)
            return load_runs(conn, [row])[0]

    def _update_run_info(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        def update(conn: Connection) -> RunInfo:
            row = self._require_run(conn, run_id, for_write=True)
            values: dict[str, object] = {}
            if status is not None:
                values["status"] = status
                if RunStatus(status).is_terminal:
                    values["end_time"] = end_time if end_time is not None else now_ms()
                else:
                    values["end_time"] = None
            elif end_time is not None:
                values["end_time"] = end_time
            if run_name is not None:
                values["name"] = run_name
            if values and set(values) == {"status", "end_time"}:
                _TERMINATE_RUN.execute(
                    conn,
                    {"b_run_id": run_id, "b_status": values["status"], "b_end_time": values["end_time"]},
                )
            elif values:
                conn.execute(t.runs.update().where(t.runs.c.run_uuid == run_id).values(**values))
            if values:
                append_event(conn, self._actor, "run.update", _entity(run_id), values)
            current = row._asdict()
            current.update(values)
            return _info(SimpleNamespace(**current))

        return run_write(self._engine, update)

    def _set_run_stage(self, run_id: str, deleted: bool) -> None:
        def change(conn: Connection) -> None:
            row = self._require_run(conn, run_id)
            if not deleted:
                exp_stage = conn.execute(
                    sa.select(t.experiments.c.lifecycle_stage).where(
                        t.experiments.c.experiment_id == row.experiment_id
                    )
                ).scalar_one()
                if exp_stage != ACTIVE:
                    raise InvalidState(
                        f"run {run_id} belongs to deleted experiment {row.experiment_id}; "
                        "restore the experiment instead"
                    )
            conn.execute(
                t.runs.update()
                .where(t.runs.c.run_uuid == run_id)
                .values(
                    lifecycle_stage=DELETED if deleted else ACTIVE,
                    deleted_time=now_ms() if deleted else None,
                )
            )
            action = "run.delete" if deleted else "run.restore"
            append_event(conn, self._actor, action, _entity(run_id), {})

        run_write(self._engine, change)

    def _purge_run(self, run_id: str) -> None:
        def purge(conn: Connection) -> None:
            row = self._require_run(conn, run_id)
            if row.lifecycle_stage != DELETED:
                raise InvalidState(f"run {run_id} is active; delete it before purging it")
            for table in (t.metrics, t.latest_metrics, t.params, t.tags):
                conn.execute(table.delete().where(table.c.run_uuid == run_id))
            conn.execute(t.runs.delete().where(t.runs.c.run_uuid == run_id))
            append_event(conn, self._actor, "run.purge", _entity(run_id), {})

        run_write(self._engine, purge)

    def _list_deleted_runs(self, older_than_ms: int | None) -> list[RunInfo]:
        query = sa.select(*_RUN_COLUMNS).where(t.runs.c.lifecycle_stage == DELETED)
        if older_than_ms is not None:
            query = query.where(t.runs.c.deleted_time <= older_than_ms)
        with read_connection(self._engine) as conn:
            return [_info(r) for r in conn.execute(query)]

    # -- logging ------------------------------------------------------------------------------

    def _log_batch(
        self,
        run_id: str,
        metrics: list[Metric],
        params: list[Param],
        tags: list[RunTag],
        spool: SpoolMark | None,
    ) -> None:
        run_write(self._engine, self._write_batch, run_id, metrics, params, tags, spool)

    def _write_batch(
        self,
        conn: Connection,
        run_id: str,
        metrics: list[Metric],
        params: list[Param],
        tags: list[RunTag],
        spool: SpoolMark | None,
    ) -> None:
        if spool is not None and not self._advance_spool(conn, run_id, spool):
            return  # this part of the spool is stored already: replaying it changes nothing
        self._require_run(conn, run_id, for_write=True)
        new_params = self._check_params(conn, run_id, params)
        payload = {
            "run_id": run_id,
            "metrics": [[m.key, m.value, m.timestamp, m.step] for m in metrics],
            "params": {p.key: p.value for p in params},
            "tags": {g.key: g.value for g in tags},
        }
        stored = dict(payload, metrics=len(metrics))
        seq = append_event(conn, self._actor, "run.log_batch", _entity(run_id), payload, stored)
        _INSERT_PARAMS.executemany(
            conn,
            _PARAM_COLUMNS,
            [(run_id, p.key, p.value, as_number(p.value)) for p in new_params],
        )
        if tags:
            last = {g.key: g.value for g in tags}
            _DELETE_TAG.executemany(conn, _KV[:2], [(run_id, k) for k in last])
            _INSERT_TAGS.executemany(conn, _KV, [(run_id, k, val) for k, val in last.items()])
        if metrics:
            clamp = conn.dialect.name in ("mysql", "mariadb")
            _INSERT_METRICS.executemany(
                conn, _METRIC_COLUMNS, _metric_rows(run_id, metrics, seq, clamp)
            )
            self._update_latest(conn, run_id, metrics)

    def _advance_spool(self, conn: Connection, run_id: str, mark: SpoolMark) -> bool:
        found = _SELECT_SPOOL.execute(conn, {"spool_id": mark.spool_id})
        stored = found[0][0] if found else None
        if stored is not None and stored >= mark.offset:
            return False
        if stored is None:
            _INSERT_SPOOL.executemany(
                conn, _SPOOL_COLUMNS, [(mark.spool_id, run_id, mark.offset, now_ms())]
            )
        else:
            _UPDATE_SPOOL.execute(
                conn, {"b_spool_id": mark.spool_id, "b_offset": mark.offset, "b_time": now_ms()}
            )
        return True

    def _check_params(self, conn: Connection, run_id: str, params: list[Param]) -> list[Param]:
        if not params:
            return []
        wanted = {p.key: p.value for p in params}
        existing = dict(_SELECT_PARAMS.execute(conn, {"run_id": run_id}))
        for key, value in wanted.items():
            if key in existing and existing[key] != value:
                raise ParamOverwrite(
                    f"param {key!r} of run {run_id} is {existing[key]!r} already and cannot "
                    f"change to {value!r}: params are immutable. Start a new run, or log the "
                    "new value under another key"
                )
        return [Param(k, val) for k, val in wanted.items() if k not in existing]

    def _update_latest(self, conn: Connection, run_id: str, metrics: list[Metric]) -> None:
        best: dict[str, tuple] = {}
        for m in metrics:
            value = m.value
            nan = value != value
            rank = (m.step, m.timestamp, nan, 0.0 if nan else _finite(value))
            known = best.get(m.key)
            if known is None or rank > known:
                best[m.key] = rank
        current = {
            key: (step, timestamp, bool(is_nan), value)
            for key, step, timestamp, value, is_nan in _SELECT_LATEST.execute(
                conn, {"run_id": run_id}
            )
        }
        inserts, updates = [], []
        for key, (step, timestamp, nan, value) in best.items():
            row = (run_id, key, value, nan, timestamp, step)
            old = current.get(key)
            if old is None:
                inserts.append(row)
            elif (step, timestamp, nan, value) > old:
                updates.append(row)
        _INSERT_LATEST.executemany(conn, _LATEST_COLUMNS, inserts)
        _UPDATE_LATEST.executemany(conn, _UPDATE_LATEST_NAMES, updates)

    def _delete_tag(self, run_id: str, key: str) -> None:
        def delete(conn: Connection) -> None:
            self._require_run(conn, run_id, for_write=True)
            gone = conn.execute(
                t.tags.delete().where(t.tags.c.run_uuid == run_id).where(t.tags.c.key == key)
            )
            if gone.rowcount == 0:
                raise NotFound(f"run {run_id} has no tag {key!r}")
            append_event(conn, self._actor, "run.delete_tag", _entity(run_id), {"key": key})

        run_write(self._engine, delete)

    # -- reads --------------------------------------------------------------------------------

    def _get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        with read_connection(self._engine) as conn:
            rows = _SELECT_HISTORY.execute(conn, {"run_id": run_id, "key": key})
            if not rows:
                self._require_run(conn, run_id)
        if any(is_nan for _, _, _, is_nan in rows) or conn.dialect.name in ("mysql", "mariadb"):
            return [Metric(key, _read_value(v, n), ts, st) for v, ts, st, n in rows]
        return [Metric(key, value, ts, step) for value, ts, step, _ in rows]

    def _search_runs(
        self,
        experiment_ids: list[int],
        filter_string: str | None,
        run_view_type: ViewType,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
    ) -> Page:
        from cairn.store.search import (
            decode_page_token,
            encode_page_token,
            parse_filter,
            parse_order_by,
        )
        from cairn.store.sql.search_compiler import build_run_search

        offset = decode_page_token(page_token)
        query = build_run_search(
            experiment_ids,
            parse_filter(filter_string),
            parse_order_by(order_by),
            run_view_type.stages(),
            max_results + 1,
            offset,
        )
        with read_connection(self._engine) as conn:
            rows = conn.execute(query).all()
            runs = load_runs(conn, rows[:max_results])
        token = encode_page_token(offset + max_results) if len(rows) > max_results else None
        return Page(runs, token)

    def _record_artifacts(self, run_id: str, files: dict[str, dict[str, Any]]) -> None:
        def record(conn: Connection) -> None:
            self._require_run(conn, run_id, for_write=True)
            append_event(conn, self._actor, "run.log_artifacts", _entity(run_id), files)

        run_write(self._engine, record)

    def _get_spool_offset(self, spool_id: str) -> int:
        with read_connection(self._engine) as conn:
            value = conn.execute(
                sa.select(t.spool_progress.c.offset).where(
                    t.spool_progress.c.spool_id == spool_id
                )
            ).scalar_one_or_none()
        return int(value or 0)
