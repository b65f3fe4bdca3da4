"""Runs, params, tags and metrics in the SQL store."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import (
    PARENT_TAG,
    Metric,
    MetricHistory,
    Page,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from cairn.errors import InvalidState, NotFound
from cairn.store.base import RunRepository, SpoolMark, now_ms
from cairn.store.names import generate_run_name
from cairn.store.sql import schema as t
from cairn.store.sql.audit import append_event
from cairn.store.sql.chunks import history_from_chunks
from cairn.store.sql.compaction import compact_run
from cairn.store.sql.engine import read_connection, run_write
from cairn.store.sql.run_batches import write_batch
from cairn.store.sql.run_reads import entity, info, load_runs, read_value, require_run
from cairn.store.sql.run_statements import (
    ACTIVE,
    DELETED,
    INSERT_RUN,
    INSERT_TAGS,
    KV,
    RUN_COLUMNS,
    RUN_INSERT_COLUMNS,
    SELECT_EXPERIMENT,
    SELECT_HISTORY,
    SELECT_LATEST,
    TERMINATE_RUN,
)
from cairn.store.validation import new_run_id


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
            found = SELECT_EXPERIMENT.execute(conn, {"experiment_id": experiment_id})
            if not found:
                raise NotFound(f"no experiment has id {experiment_id}")
            artifact_location, stage = found[0]
            if stage != ACTIVE:
                raise InvalidState(
                    f"experiment {experiment_id} is deleted; restore it before starting runs in it"
                )
            if parent_run_id is not None:
                require_run(conn, parent_run_id)
            artifact_uri = f"{artifact_location.rstrip('/')}/{run_id}/artifacts"
            INSERT_RUN.executemany(
                conn,
                RUN_INSERT_COLUMNS,
                [
                    (
                        run_id,
                        name,
                        experiment_id,
                        user_id,
                        RunStatus.RUNNING.value,
                        start_time,
                        None,
                        ACTIVE,
                        artifact_uri,
                        parent_run_id,
                    )  # fmt: skip
                ],
            )
            INSERT_TAGS.executemany(conn, KV, [(run_id, k, val) for k, val in all_tags.items()])
            append_event(
                conn,
                self._actor,
                "run.create",
                entity(run_id),
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

    def _get_run(self, run_id: str) -> Run:
        with read_connection(self._engine) as conn:
            row = require_run(conn, run_id)
            return load_runs(conn, [row])[0]

    def _update_run_info(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        def update(conn: Connection) -> RunInfo:
            row = require_run(conn, run_id, for_write=True)
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
            if status is not None and RunStatus(status).is_terminal:
                compact_run(conn, run_id)
            if values and set(values) == {"status", "end_time"}:
                TERMINATE_RUN.execute(
                    conn,
                    {
                        "b_run_id": run_id,
                        "b_status": values["status"],
                        "b_end_time": values["end_time"],
                    },
                )
            elif values:
                conn.execute(t.runs.update().where(t.runs.c.run_uuid == run_id).values(**values))
            if values:
                append_event(conn, self._actor, "run.update", entity(run_id), values)
            current = row._asdict()
            current.update(values)
            return info(SimpleNamespace(**current))

        return run_write(self._engine, update)

    def _set_run_stage(self, run_id: str, deleted: bool) -> None:
        def change(conn: Connection) -> None:
            row = require_run(conn, run_id)
            if row.lifecycle_stage == (DELETED if deleted else ACTIVE):
                state = "deleted" if deleted else "active"
                raise InvalidState(f"run {run_id} is already {state}")
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
            append_event(conn, self._actor, action, entity(run_id), {})

        run_write(self._engine, change)

    def _purge_run(self, run_id: str) -> None:
        def purge(conn: Connection) -> None:
            row = require_run(conn, run_id)
            if row.lifecycle_stage != DELETED:
                raise InvalidState(f"run {run_id} is active; delete it before purging it")
            for table in (t.metric_chunks, t.latest_metrics, t.params, t.tags):
                conn.execute(table.delete().where(table.c.run_uuid == run_id))
            conn.execute(t.runs.delete().where(t.runs.c.run_uuid == run_id))
            append_event(conn, self._actor, "run.purge", entity(run_id), {})

        run_write(self._engine, purge)

    def _list_deleted_runs(self, older_than_ms: int | None) -> list[RunInfo]:
        query = sa.select(*RUN_COLUMNS).where(t.runs.c.lifecycle_stage == DELETED)
        if older_than_ms is not None:
            query = query.where(t.runs.c.deleted_time <= older_than_ms)
        with read_connection(self._engine) as conn:
            return [info(r) for r in conn.execute(query)]

    # -- logging ------------------------------------------------------------------------------

    def _log_batch(
        self,
        run_id: str,
        metrics: list[Metric],
        params: list[Param],
        tags: list[RunTag],
        spool: SpoolMark | None,
    ) -> None:
        run_write(self._engine, write_batch, self._actor, run_id, metrics, params, tags, spool)

    def _delete_tag(self, run_id: str, key: str) -> None:
        def delete(conn: Connection) -> None:
            require_run(conn, run_id, for_write=True)
            gone = conn.execute(
                t.tags.delete().where(t.tags.c.run_uuid == run_id).where(t.tags.c.key == key)
            )
            if gone.rowcount == 0:
                raise NotFound(f"run {run_id} has no tag {key!r}")
            append_event(conn, self._actor, "run.delete_tag", entity(run_id), {"key": key})

        run_write(self._engine, delete)

    # -- reads --------------------------------------------------------------------------------

    def _get_metric_history(self, run_id: str, key: str) -> MetricHistory:
        with read_connection(self._engine) as conn:
            rows = SELECT_HISTORY.execute(conn, {"run_id": run_id, "key": key})
            if not rows:
                require_run(conn, run_id)
        return history_from_chunks(key, rows)

    def _get_latest_metrics(self, run_ids: list[str]) -> dict[str, dict[str, Metric]]:
        found: dict[str, dict[str, Metric]] = {run_id: {} for run_id in run_ids}
        with read_connection(self._engine) as conn:
            for run_id in run_ids:
                for key, step, timestamp, value, is_nan in SELECT_LATEST.execute(
                    conn, {"run_id": run_id}
                ):
                    found[run_id][key] = Metric(key, read_value(value, is_nan), timestamp, step)
        return found

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
        from cairn.store.sql.search_bands import execute_run_search

        offset = decode_page_token(page_token)
        expr, order = parse_filter(filter_string), parse_order_by(order_by)
        with read_connection(self._engine) as conn:
            if conn.dialect.name == "postgresql":  # the search's statements see one snapshot
                conn.execution_options(isolation_level="REPEATABLE READ")
            rows = execute_run_search(
                conn, experiment_ids, expr, order, run_view_type.stages(), max_results + 1, offset
            )
            runs = load_runs(conn, rows[:max_results])
        token = encode_page_token(offset + max_results) if len(rows) > max_results else None
        return Page(runs, token)

    def _count_runs(
        self, experiment_ids: list[int], filter_string: str | None, run_view_type: ViewType
    ) -> int:
        from cairn.store.search import parse_filter
        from cairn.store.sql.search_compiler import count_run_search

        expr, stages = parse_filter(filter_string), run_view_type.stages()
        query = count_run_search(experiment_ids, expr, stages)
        with read_connection(self._engine) as conn:
            return int(conn.execute(query).scalar_one())

    def _record_artifacts(self, run_id: str, files: dict[str, dict[str, Any]]) -> None:
        def record(conn: Connection) -> None:
            require_run(conn, run_id, for_write=True)
            append_event(conn, self._actor, "run.log_artifacts", entity(run_id), files)

        run_write(self._engine, record)

    def _get_spool_offset(self, spool_id: str) -> int:
        with read_connection(self._engine) as conn:
            value = conn.execute(
                sa.select(t.spool_progress.c.offset).where(t.spool_progress.c.spool_id == spool_id)
            ).scalar_one_or_none()
        return int(value or 0)
