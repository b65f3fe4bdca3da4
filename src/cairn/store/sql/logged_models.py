"""Logged models in the SQL store: ``logged_models`` and its tags, params and metrics."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import LoggedModel, LoggedModelStatus, ModelMetric, Page
from cairn.errors import InvalidState, NotFound, ParamOverwrite
from cairn.store.base import LoggedModelRepository, now_ms
from cairn.store.model_validation import new_model_id
from cairn.store.names import generate_run_name
from cairn.store.search import decode_page_token, encode_page_token
from cairn.store.sql import schema as t
from cairn.store.sql.audit import append_event
from cairn.store.sql.engine import read_connection, run_write
from cairn.store.sql.logged_model_reads import (
    ACTIVE,
    DELETED,
    entity,
    load_models,
    require_model,
)
from cairn.store.sql.logged_model_search import search_models
from cairn.store.sql.run_reads import finite, require_run

_models = t.logged_models


class SqlLoggedModelRepository(LoggedModelRepository):
    """Logged models stored in ``logged_models`` and the ``logged_model_*`` tables."""

    def __init__(self, engine: sa.Engine, actor: str) -> None:
        self._engine = engine
        self._actor = actor

    def _create_logged_model(
        self,
        experiment_id: int,
        name: str | None,
        source_run_id: str | None,
        model_type: str | None,
        tags: dict[str, str],
        params: dict[str, str],
    ) -> LoggedModel:
        model_id = new_model_id()
        name = name or generate_run_name()

        def create(conn: Connection) -> LoggedModel:
            exp = conn.execute(
                sa.select(t.experiments.c.artifact_location, t.experiments.c.lifecycle_stage).where(
                    t.experiments.c.experiment_id == experiment_id
                )
            ).first()
            if exp is None:
                raise NotFound(f"no experiment has id {experiment_id}")
            if exp.lifecycle_stage != ACTIVE:
                raise InvalidState(
                    f"experiment {experiment_id} is deleted; restore it before logging models"
                )
            if source_run_id is not None:
                require_run(conn, source_run_id, for_write=True)
            now = now_ms()
            location = f"{exp.artifact_location.rstrip('/')}/models/{model_id}/artifacts"
            conn.execute(
                _models.insert().values(
                    model_id=model_id,
                    experiment_id=experiment_id,
                    name=name,
                    artifact_location=location,
                    status=LoggedModelStatus.PENDING.value,
                    model_type=model_type,
                    source_run_uuid=source_run_id,
                    lifecycle_stage=ACTIVE,
                    creation_time=now,
                    last_update_time=now,
                )
            )
            _insert_pairs(conn, t.logged_model_tags, model_id, tags)
            _insert_pairs(conn, t.logged_model_params, model_id, params)
            append_event(
                conn,
                self._actor,
                "logged_model.create",
                entity(model_id),
                {
                    "experiment_id": experiment_id,
                    "name": name,
                    "artifact_location": location,
                    "source_run_id": source_run_id,
                    "model_type": model_type,
                    "tags": tags,
                    "params": params,
                },
            )
            return load_models(conn, [require_model(conn, model_id)])[0]

        return run_write(self._engine, create)  # type: ignore[no-any-return]

    def _get_logged_model(self, model_id: str, allow_deleted: bool) -> LoggedModel:
        with read_connection(self._engine) as conn:
            row = require_model(conn, model_id, allow_deleted=allow_deleted)
            return load_models(conn, [row])[0]

    def _search_logged_models(
        self,
        experiment_ids: list[int],
        filter_string: str | None,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
        datasets: list[tuple[str, str | None]],
    ) -> Page:
        offset = decode_page_token(page_token)
        with read_connection(self._engine) as conn:
            found = search_models(conn, experiment_ids, filter_string, order_by, datasets)
        more = len(found) > offset + max_results
        token = encode_page_token(offset + max_results) if more else None
        return Page(found[offset : offset + max_results], token)

    def _finalize_logged_model(
        self, model_id: str, status: str, status_message: str | None
    ) -> LoggedModel:
        def finalize(conn: Connection) -> LoggedModel:
            require_model(conn, model_id, for_write=True)
            values = {"status": status, "status_message": status_message}
            self._touch(conn, model_id, **values)
            append_event(conn, self._actor, "logged_model.finalize", entity(model_id), values)
            return load_models(conn, [require_model(conn, model_id)])[0]

        return run_write(self._engine, finalize)  # type: ignore[no-any-return]

    def _set_logged_model_tags(self, model_id: str, tags: dict[str, str]) -> None:
        def set_tags(conn: Connection) -> None:
            require_model(conn, model_id, for_write=True)
            table = t.logged_model_tags
            conn.execute(
                table.delete()
                .where(table.c.model_id == model_id)
                .where(table.c.key.in_(list(tags)))
            )
            _insert_pairs(conn, table, model_id, tags)
            self._touch(conn, model_id)
            append_event(conn, self._actor, "logged_model.set_tags", entity(model_id), tags)

        run_write(self._engine, set_tags)

    def _delete_logged_model_tag(self, model_id: str, key: str) -> None:
        def delete(conn: Connection) -> None:
            require_model(conn, model_id, for_write=True)
            table = t.logged_model_tags
            gone = conn.execute(
                table.delete().where(table.c.model_id == model_id).where(table.c.key == key)
            )
            if gone.rowcount == 0:
                raise NotFound(f"logged model {model_id} has no tag {key!r}")
            self._touch(conn, model_id)
            append_event(
                conn, self._actor, "logged_model.delete_tag", entity(model_id), {"key": key}
            )

        run_write(self._engine, delete)

    def _log_logged_model_params(self, model_id: str, params: dict[str, str]) -> None:
        def log(conn: Connection) -> None:
            require_model(conn, model_id, for_write=True)
            table = t.logged_model_params
            existing = dict(
                conn.execute(
                    sa.select(table.c.key, table.c.value).where(table.c.model_id == model_id)
                ).all()
            )
            for key, value in params.items():
                if key in existing and existing[key] != value:
                    raise ParamOverwrite(
                        f"param {key!r} of logged model {model_id} is {existing[key]!r} "
                        f"already and cannot change to {value!r}: params are immutable"
                    )
            new = {k: val for k, val in params.items() if k not in existing}
            _insert_pairs(conn, table, model_id, new)
            self._touch(conn, model_id)
            append_event(conn, self._actor, "logged_model.log_params", entity(model_id), params)

        run_write(self._engine, log)

    def _log_logged_model_metrics(self, model_id: str, metrics: list[ModelMetric]) -> None:
        def log(conn: Connection) -> None:
            row = require_model(conn, model_id, for_write=True)
            known = {_point_key(m) for m in load_models(conn, [row])[0].metrics}
            rows = []
            for m in metrics:
                if _point_key(m) in known:
                    continue
                known.add(_point_key(m))
                nan = m.value != m.value
                rows.append(
                    {
                        "model_id": model_id,
                        "key": m.key,
                        "value": 0.0 if nan else finite(m.value),
                        "is_nan": nan,
                        "timestamp": m.timestamp,
                        "step": m.step,
                        "run_uuid": m.run_id,
                        "dataset_name": m.dataset_name,
                        "dataset_digest": m.dataset_digest,
                    }
                )
            if rows:
                conn.execute(t.logged_model_metrics.insert(), rows)
            self._touch(conn, model_id)
            append_event(
                conn,
                self._actor,
                "logged_model.log_metrics",
                entity(model_id),
                [
                    [
                        m.key,
                        m.value,
                        m.timestamp,
                        m.step,
                        m.run_id,
                        m.dataset_name,
                        m.dataset_digest,
                    ]
                    for m in metrics
                ],
            )

        run_write(self._engine, log)

    def _delete_logged_model(self, model_id: str) -> None:
        def delete(conn: Connection) -> None:
            row = require_model(conn, model_id, allow_deleted=True)
            if row.lifecycle_stage == DELETED:
                raise InvalidState(f"logged model {model_id} is already deleted")
            now = now_ms()
            conn.execute(
                _models.update()
                .where(_models.c.model_id == model_id)
                .values(lifecycle_stage=DELETED, deleted_time=now, last_update_time=now)
            )
            append_event(conn, self._actor, "logged_model.delete", entity(model_id), {})

        run_write(self._engine, delete)

    def _record_logged_model_artifacts(
        self, model_id: str, files: dict[str, dict[str, Any]]
    ) -> None:
        def record(conn: Connection) -> None:
            require_model(conn, model_id, for_write=True)
            append_event(conn, self._actor, "logged_model.log_artifacts", entity(model_id), files)

        run_write(self._engine, record)

    @staticmethod
    def _touch(conn: Connection, model_id: str, **values: Any) -> None:
        conn.execute(
            _models.update()
            .where(_models.c.model_id == model_id)
            .values(last_update_time=now_ms(), **values)
        )


def _insert_pairs(conn: Connection, table: sa.Table, model_id: str, pairs: dict[str, str]) -> None:
    if pairs:
        conn.execute(
            table.insert(),
            [{"model_id": model_id, "key": k, "value": val} for k, val in pairs.items()],
        )


def _point_key(m: ModelMetric) -> tuple[Any, ...]:
    value = "nan" if m.value != m.value else m.value
    return (m.key, value, m.timestamp, m.step, m.run_id, m.dataset_name, m.dataset_digest)
