"""Reading logged models back: rows to entities, with their tags, params and metrics."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import LifecycleStage, LoggedModel, ModelMetric
from cairn.errors import InvalidState, NotFound
from cairn.store.sql import schema as t
from cairn.store.sql.run_reads import read_value

ACTIVE = LifecycleStage.ACTIVE.value
DELETED = LifecycleStage.DELETED.value

_TAGS_OF = sa.select(
    t.logged_model_tags.c.model_id, t.logged_model_tags.c.key, t.logged_model_tags.c.value
).where(t.logged_model_tags.c.model_id.in_(sa.bindparam("ids", expanding=True)))
_PARAMS_OF = sa.select(
    t.logged_model_params.c.model_id, t.logged_model_params.c.key, t.logged_model_params.c.value
).where(t.logged_model_params.c.model_id.in_(sa.bindparam("ids", expanding=True)))
_m = t.logged_model_metrics.c
_METRICS_OF = (
    sa.select(
        _m.model_id,
        _m.key,
        _m.value,
        _m.is_nan,
        _m.timestamp,
        _m.step,
        _m.run_uuid,
        _m.dataset_name,
        _m.dataset_digest,
    )
    .where(_m.model_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_m.metric_id)
)


def entity(model_id: str) -> str:
    """The audit entity name of a logged model."""
    return f"logged_model:{model_id}"


def require_model(
    conn: Connection, model_id: str, for_write: bool = False, allow_deleted: bool = False
) -> Any:
    """The model's row; NotFound if missing (or deleted, for reads that do not allow it),
    InvalidState if deleted and ``for_write``."""
    row = conn.execute(
        sa.select(t.logged_models).where(t.logged_models.c.model_id == model_id)
    ).first()
    if row is None or (row.lifecycle_stage != ACTIVE and not (allow_deleted or for_write)):
        raise NotFound(f"no logged model has id {model_id!r}")
    if for_write and row.lifecycle_stage != ACTIVE:
        raise InvalidState(f"logged model {model_id} is deleted; it cannot change")
    return row


def load_models(conn: Connection, rows: Sequence[Any]) -> list[LoggedModel]:
    """Whole logged models (tags, params, metrics) for rows of ``logged_models``, in order."""
    if not rows:
        return []
    ids = [r.model_id for r in rows]
    tags: dict[str, dict[str, str]] = {i: {} for i in ids}
    params: dict[str, dict[str, str]] = {i: {} for i in ids}
    metrics: dict[str, list[ModelMetric]] = {i: [] for i in ids}
    for chunk in _chunks(ids, 500):
        for model_id, key, value in conn.execute(_TAGS_OF, {"ids": chunk}):
            tags[model_id][key] = value
        for model_id, key, value in conn.execute(_PARAMS_OF, {"ids": chunk}):
            params[model_id][key] = value
        for row in conn.execute(_METRICS_OF, {"ids": chunk}):
            metrics[row.model_id].append(
                ModelMetric(
                    row.key,
                    read_value(row.value, row.is_nan),
                    row.timestamp,
                    row.step,
                    row.run_uuid,
                    row.dataset_name,
                    row.dataset_digest,
                )
            )
    return [
        LoggedModel(
            model_id=r.model_id,
            experiment_id=str(r.experiment_id),
            name=r.name,
            artifact_location=r.artifact_location,
            status=r.status,
            creation_time=r.creation_time,
            last_update_time=r.last_update_time,
            source_run_id=r.source_run_uuid,
            model_type=r.model_type,
            status_message=r.status_message,
            lifecycle_stage=r.lifecycle_stage,
            tags=dict(sorted(tags[r.model_id].items())),
            params=dict(sorted(params[r.model_id].items())),
            metrics=metrics[r.model_id],
        )
        for r in rows
    ]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
