"""Statements and constants of the runs tables, built once (see ``engine.Hot``)."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from cairn.entities import LifecycleStage
from cairn.store.sql import schema as t
from cairn.store.sql.chunks import CHUNK_COLUMNS
from cairn.store.sql.engine import Hot, insert_statement

ACTIVE = LifecycleStage.ACTIVE.value
DELETED = LifecycleStage.DELETED.value

RUN_COLUMNS = (
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


class RunRow(NamedTuple):
    """One row of the runs table, as the hot path reads it."""

    run_uuid: str
    experiment_id: int
    name: str
    user_id: str
    status: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str


# The logging hot path runs these through the driver's cursor (see engine.Hot).
SELECT_RUN = Hot(sa.select(*RUN_COLUMNS).where(t.runs.c.run_uuid == sa.bindparam("run_id")))
SELECT_EXPERIMENT = Hot(
    sa.select(t.experiments.c.artifact_location, t.experiments.c.lifecycle_stage).where(
        t.experiments.c.experiment_id == sa.bindparam("experiment_id")
    )
)
RUN_INSERT_COLUMNS = (
    "run_uuid", "name", "experiment_id", "user_id", "status", "start_time", "end_time",
    "lifecycle_stage", "artifact_uri", "parent_run_uuid",
)  # fmt: skip
INSERT_RUN = insert_statement(t.runs, RUN_INSERT_COLUMNS)
KV = ("run_uuid", "key", "value")
INSERT_TAGS = insert_statement(t.tags, KV)
PARAM_COLUMNS = ("run_uuid", "key", "value", "value_num")
INSERT_PARAMS = insert_statement(t.params, PARAM_COLUMNS)
SELECT_PARAMS = Hot(
    sa.select(t.params.c.key, t.params.c.value).where(t.params.c.run_uuid == sa.bindparam("run_id"))
)
DELETE_TAG = Hot(
    t.tags.delete()
    .where(t.tags.c.run_uuid == sa.bindparam("run_uuid"))
    .where(t.tags.c.key == sa.bindparam("key"))
)
LATEST_COLUMNS = ("run_uuid", "key", "value", "is_nan", "timestamp", "step")
SELECT_LATEST = Hot(
    sa.select(
        t.latest_metrics.c.key,
        t.latest_metrics.c.step,
        t.latest_metrics.c.timestamp,
        t.latest_metrics.c.value,
        t.latest_metrics.c.is_nan,
    ).where(t.latest_metrics.c.run_uuid == sa.bindparam("run_id"))
)
INSERT_LATEST = insert_statement(t.latest_metrics, LATEST_COLUMNS)
UPDATE_LATEST = Hot(
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
UPDATE_LATEST_NAMES = ("b_run_id", "b_key", "b_value", "b_is_nan", "b_timestamp", "b_step")
INSERT_CHUNKS = insert_statement(t.metric_chunks, CHUNK_COLUMNS)
SELECT_HISTORY = Hot(
    sa.select(
        t.metric_chunks.c.min_step,
        t.metric_chunks.c.max_step,
        t.metric_chunks.c.is_sorted,
        t.metric_chunks.c.steps,
        t.metric_chunks.c.timestamps,
        t.metric_chunks.c.vals,
    )
    .where(t.metric_chunks.c.run_uuid == sa.bindparam("run_id"))
    .where(t.metric_chunks.c.key == sa.bindparam("key"))
    .order_by(t.metric_chunks.c.chunk_seq)
)
SELECT_SPOOL = Hot(
    sa.select(t.spool_progress.c.offset).where(
        t.spool_progress.c.spool_id == sa.bindparam("spool_id")
    )
)
SPOOL_COLUMNS = ("spool_id", "run_uuid", "offset", "updated_time")
INSERT_SPOOL = insert_statement(t.spool_progress, SPOOL_COLUMNS)
UPDATE_SPOOL = Hot(
    t.spool_progress.update()
    .where(t.spool_progress.c.spool_id == sa.bindparam("b_spool_id"))
    .values(offset=sa.bindparam("b_offset"), updated_time=sa.bindparam("b_time"))
)
TERMINATE_RUN = Hot(
    t.runs.update()
    .where(t.runs.c.run_uuid == sa.bindparam("b_run_id"))
    .values(status=sa.bindparam("b_status"), end_time=sa.bindparam("b_end_time"))
)
