"""Experiments in the SQL store."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cairn.entities import Experiment, LifecycleStage, Page, ViewType
from cairn.errors import AlreadyExists, InvalidState, NotFound
from cairn.store.base import ExperimentRepository, now_ms
from cairn.store.sql import schema as t
from cairn.store.sql.audit import append_event
from cairn.store.sql.engine import read_connection, run_write

ACTIVE = LifecycleStage.ACTIVE.value
DELETED = LifecycleStage.DELETED.value


def _entity(experiment_id: int) -> str:
    return f"experiment:{experiment_id}"


def load_experiments(conn: Connection, where: sa.ColumnElement[bool]) -> list[Experiment]:
    """Experiments matching a condition, with their tags."""
    rows = conn.execute(sa.select(t.experiments).where(where)).all()
    return _with_tags(conn, rows)


def _with_tags(conn: Connection, rows: Sequence[sa.Row]) -> list[Experiment]:
    if not rows:
        return []
    ids = [r.experiment_id for r in rows]
    tags: dict[int, dict[str, str]] = {i: {} for i in ids}
    for tag in conn.execute(
        sa.select(t.experiment_tags).where(t.experiment_tags.c.experiment_id.in_(ids))
    ):
        tags[tag.experiment_id][tag.key] = tag.value
    return [
        Experiment(
            experiment_id=str(r.experiment_id),
            name=r.name,
            artifact_location=r.artifact_location,
            lifecycle_stage=r.lifecycle_stage,
            tags=tags[r.experiment_id],
            creation_time=r.creation_time,
            last_update_time=r.last_update_time,
        )
        for r in rows
    ]


class SqlExperimentRepository(ExperimentRepository):
    """Experiments stored in the ``experiments`` and ``experiment_tags`` tables."""

    def __init__(self, engine: sa.Engine, artifact_root: str, actor: str) -> None:
        self._engine = engine
        self._artifact_root = artifact_root.rstrip("/")
        self._actor = actor

    def _insert(
        self, conn: Connection, name: str, location: str | None, tags: dict[str, str]
    ) -> int:
        now = now_ms()
        try:
            result = conn.execute(
                t.experiments.insert().values(
                    name=name,
                    artifact_location=location or "",
                    lifecycle_stage=ACTIVE,
                    creation_time=now,
                    last_update_time=now,
                )
            )
        except IntegrityError as exc:
            raise AlreadyExists(
                f"an experiment named {name!r} exists already (perhaps deleted: restore it "
                "with `cairn experiments restore`, or purge it with `cairn gc`)"
            ) from exc
        exp_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        if not location:
            location = f"{self._artifact_root}/{exp_id}"
            conn.execute(
                t.experiments.update()
                .where(t.experiments.c.experiment_id == exp_id)
                .values(artifact_location=location)
            )
        if tags:
            conn.execute(
                t.experiment_tags.insert(),
                [{"experiment_id": exp_id, "key": k, "value": val} for k, val in tags.items()],
            )
        append_event(
            conn,
            self._actor,
            "experiment.create",
            _entity(exp_id),
            {"name": name, "artifact_location": location, "tags": tags},
        )
        return exp_id

    def _create_experiment(
        self, name: str, artifact_location: str | None, tags: dict[str, str]
    ) -> str:
        return str(run_write(self._engine, self._insert, name, artifact_location, tags))

    def _get_experiment(self, experiment_id: int) -> Experiment:
        with read_connection(self._engine) as conn:
            found = load_experiments(conn, t.experiments.c.experiment_id == experiment_id)
        if not found:
            raise NotFound(f"no experiment has id {experiment_id}")
        return found[0]

    def _find_experiment_by_name(self, name: str) -> Experiment | None:
        with read_connection(self._engine) as conn:
            found = load_experiments(conn, t.experiments.c.name == name)
        return found[0] if found else None

    def _get_or_create_experiment(self, name: str) -> Experiment:
        def find_or_insert(conn: Connection) -> int:
            row = conn.execute(
                sa.select(t.experiments.c.experiment_id, t.experiments.c.lifecycle_stage).where(
                    t.experiments.c.name == name
                )
            ).first()
            if row is None:
                return self._insert(conn, name, None, {})
            if row.lifecycle_stage != ACTIVE:
                raise InvalidState(
                    f"experiment {name!r} is deleted; restore it with "
                    f"`cairn experiments restore {row.experiment_id}` or pick another name"
                )
            return int(row.experiment_id)

        try:
            exp_id = run_write(self._engine, find_or_insert)
        except AlreadyExists:
            # Another process created it between our read and insert (PostgreSQL/MySQL).
            exp_id = run_write(self._engine, find_or_insert)
        return self._get_experiment(exp_id)

    def _search_experiments(
        self,
        view_type: ViewType,
        max_results: int,
        filter_string: str | None,
        order_by: list[str],
        page_token: str | None,
    ) -> Page:
        from cairn.store.search import (
            decode_page_token,
            encode_page_token,
            parse_experiment_filter,
            parse_experiment_order_by,
        )
        from cairn.store.sql.search_compiler import build_experiment_search

        offset = decode_page_token(page_token)
        query = build_experiment_search(
            parse_experiment_filter(filter_string),
            parse_experiment_order_by(order_by),
            view_type.stages(),
            max_results + 1,
            offset,
        )
        with read_connection(self._engine) as conn:
            rows = conn.execute(query).all()
            items = _with_tags(conn, rows[:max_results])
        token = encode_page_token(offset + max_results) if len(rows) > max_results else None
        return Page(items, token)

    def _rename_experiment(self, experiment_id: int, new_name: str) -> None:
        def rename(conn: Connection) -> None:
            self._require_active(conn, experiment_id, "rename")
            try:
                conn.execute(
                    t.experiments.update()
                    .where(t.experiments.c.experiment_id == experiment_id)
                    .values(name=new_name, last_update_time=now_ms())
                )
            except IntegrityError as exc:
                raise AlreadyExists(f"an experiment named {new_name!r} exists already") from exc
            append_event(
                conn, self._actor, "experiment.rename", _entity(experiment_id), {"name": new_name}
            )

        run_write(self._engine, rename)

    def _require_active(self, conn: Connection, experiment_id: int, verb: str) -> sa.Row:
        row = conn.execute(
            sa.select(t.experiments).where(t.experiments.c.experiment_id == experiment_id)
        ).first()
        if row is None:
            raise NotFound(f"no experiment has id {experiment_id}")
        if row.lifecycle_stage != ACTIVE:
            raise InvalidState(
                f"cannot {verb} experiment {experiment_id} ({row.name!r}): it is deleted; "
                "restore it first"
            )
        return row

    def _set_experiment_stage(self, experiment_id: int, deleted: bool) -> None:
        def change(conn: Connection) -> None:
            row = conn.execute(
                sa.select(t.experiments).where(t.experiments.c.experiment_id == experiment_id)
            ).first()
            if row is None:
                raise NotFound(f"no experiment has id {experiment_id}")
            target = DELETED if deleted else ACTIVE
            if row.lifecycle_stage == target:
                state = "deleted" if deleted else "active"
                raise InvalidState(f"experiment {experiment_id} ({row.name!r}) is already {state}")
            if deleted and experiment_id == 0:
                raise InvalidState("the Default experiment (id 0) cannot be deleted")
            now = now_ms()
            conn.execute(
                t.experiments.update()
                .where(t.experiments.c.experiment_id == experiment_id)
                .values(
                    lifecycle_stage=target,
                    last_update_time=now,
                    deleted_time=now if deleted else None,
                )
            )
            # The experiment's runs follow it; runs deleted on their own stay deleted.
            runs = t.runs.update().where(t.runs.c.experiment_id == experiment_id)
            if deleted:
                conn.execute(
                    runs.where(t.runs.c.lifecycle_stage == ACTIVE).values(
                        lifecycle_stage=DELETED, deleted_time=now
                    )
                )
            else:
                conn.execute(
                    runs.where(t.runs.c.deleted_time == row.deleted_time).values(
                        lifecycle_stage=ACTIVE, deleted_time=None
                    )
                )
            action = "experiment.delete" if deleted else "experiment.restore"
            append_event(conn, self._actor, action, _entity(experiment_id), {})

        run_write(self._engine, change)

    def _set_experiment_tag(self, experiment_id: int, key: str, value: str) -> None:
        def set_tag(conn: Connection) -> None:
            self._require_active(conn, experiment_id, "tag")
            updated = conn.execute(
                t.experiment_tags.update()
                .where(t.experiment_tags.c.experiment_id == experiment_id)
                .where(t.experiment_tags.c.key == key)
                .values(value=value)
            )
            if updated.rowcount == 0:
                conn.execute(
                    t.experiment_tags.insert().values(
                        experiment_id=experiment_id, key=key, value=value
                    )
                )
            append_event(
                conn, self._actor, "experiment.set_tag", _entity(experiment_id), {key: value}
            )

        run_write(self._engine, set_tag)

    def _purge_experiment(self, experiment_id: int) -> None:
        def purge(conn: Connection) -> None:
            row = conn.execute(
                sa.select(t.experiments).where(t.experiments.c.experiment_id == experiment_id)
            ).first()
            if row is None:
                raise NotFound(f"no experiment has id {experiment_id}")
            if row.lifecycle_stage != DELETED:
                raise InvalidState(
                    f"experiment {experiment_id} is active; delete it before purging it"
                )
            run_ids = sa.select(t.runs.c.run_uuid).where(t.runs.c.experiment_id == experiment_id)
            for table in (t.metric_chunks, t.latest_metrics, t.params, t.tags):
                conn.execute(table.delete().where(table.c.run_uuid.in_(run_ids)))
            conn.execute(t.runs.delete().where(t.runs.c.experiment_id == experiment_id))
            conn.execute(
                t.experiment_tags.delete().where(t.experiment_tags.c.experiment_id == experiment_id)
            )
            conn.execute(
                t.experiments.delete().where(t.experiments.c.experiment_id == experiment_id)
            )
            append_event(
                conn, self._actor, "experiment.purge", _entity(experiment_id), {"name": row.name}
            )

        run_write(self._engine, purge)

    def _list_deleted_experiments(self, older_than_ms: int | None) -> list[Experiment]:
        where = t.experiments.c.lifecycle_stage == DELETED
        if older_than_ms is not None:
            where = sa.and_(where, t.experiments.c.deleted_time <= older_than_ms)
        with read_connection(self._engine) as conn:
            return load_experiments(conn, where)
