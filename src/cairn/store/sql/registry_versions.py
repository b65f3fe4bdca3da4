"""Model versions, their tags, aliases and stages in the SQL store (the writes shared by
:class:`cairn.store.sql.registry.SqlRegistryRepository`): each one transaction with its audit
event."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import ModelVersion, Page
from cairn.store import registry_validation as rv
from cairn.store.base import now_ms
from cairn.store.registry_repository import RegistryRepository
from cairn.store.search import decode_page_token, encode_page_token
from cairn.store.sql import registry_reads as reads
from cairn.store.sql import schema as t
from cairn.store.sql.audit import append_event
from cairn.store.sql.engine import read_connection, run_write

_m = t.registered_models
_v = t.model_versions
_vt = t.model_version_tags
_a = t.model_aliases


def model_entity(name: str) -> str:
    """The audit entity of a registered model."""
    return f"registered_model:{name}"


def version_entity(name: str, version: int) -> str:
    """The audit entity of a model version."""
    return f"model_version:{name}/{version}"


class SqlVersionWrites(RegistryRepository):
    """The version half of the SQL registry (abstract: the model half completes it)."""

    def __init__(self, engine: sa.Engine, actor: str) -> None:
        self._engine = engine
        self._actor = actor

    def _write(self, fn: Any) -> Any:
        return run_write(self._engine, fn)

    def _touch(self, conn: Connection, rid: int, now: int) -> None:
        conn.execute(
            _m.update().where(_m.c.registered_model_id == rid).values(last_updated_time=now)
        )

    def _create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        description: str | None,
        tags: dict[str, str],
        model_id: str | None,
    ) -> ModelVersion:
        def create(conn: Connection) -> int:
            now = now_ms()
            # The counter bump takes the model row's write lock: concurrent creates queue here.
            conn.execute(
                _m.update()
                .where(_m.c.name == name)
                .values(last_version=_m.c.last_version + 1, last_updated_time=now)
            )
            rid, version = conn.execute(
                sa.select(_m.c.registered_model_id, _m.c.last_version).where(_m.c.name == name)
            ).one()
            conn.execute(
                _v.insert().values(
                    registered_model_id=rid,
                    version=version,
                    creation_time=now,
                    last_updated_time=now,
                    description=description,
                    user_id=self._actor,
                    source=source,
                    run_id=run_id,
                    status="READY",
                    current_stage="None",
                    model_id=model_id,
                )
            )
            for key, value in tags.items():
                conn.execute(
                    _vt.insert().values(
                        registered_model_id=rid, version=version, key=key, value=value
                    )
                )
            payload = {"source": source, "run_id": run_id, "model_id": model_id, "tags": tags}
            entity = version_entity(name, int(version))
            append_event(conn, self._actor, "model_version.create", entity, payload)
            return int(version)

        return self.get_model_version(name, self._write(create))

    def _find_model_version(self, name: str, version: int) -> ModelVersion | None:
        query = reads.VERSIONS.where(_m.c.name == name, _v.c.version == version)
        with read_connection(self._engine) as conn:
            found = reads.versions(conn, query)
        return found[0] if found else None

    def _version_write(
        self, name: str, version: int, action: str, payload: dict[str, Any], change: Any
    ) -> None:
        def write(conn: Connection) -> None:
            rid = reads.model_id_of(conn, name)
            now = now_ms()
            change(conn, rid, now)
            self._touch(conn, rid, now)
            append_event(conn, self._actor, action, version_entity(name, version), payload)

        self._write(write)

    def _update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion:
        def change(conn: Connection, rid: int, now: int) -> None:
            conn.execute(
                _v.update()
                .where(_v.c.registered_model_id == rid, _v.c.version == version)
                .values(description=description, last_updated_time=now)
            )

        payload = {"description": description}
        self._version_write(name, version, "model_version.update", payload, change)
        return self.get_model_version(name, version)

    def _delete_model_version(self, name: str, version: int) -> None:
        def change(conn: Connection, rid: int, _now: int) -> None:
            for table in (_a, _vt, _v):
                conn.execute(
                    table.delete().where(
                        table.c.registered_model_id == rid, table.c.version == version
                    )
                )

        self._version_write(name, version, "model_version.delete", {}, change)

    def _search_model_versions(
        self,
        filter_string: str | None,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
    ) -> Page:
        offset = decode_page_token(page_token)
        default = [reads.BinarySort(_m.c.name), _v.c.version.desc()]
        order = reads.order_clauses(order_by, rv.MODEL_VERSIONS, reads.VERSION_COLUMNS, default)
        query = (
            reads.VERSIONS.where(reads.version_filter(filter_string))
            .order_by(*order)
            .offset(offset)
            .limit(max_results + 1)
        )
        with read_connection(self._engine) as conn:
            items = reads.versions(conn, query)
        more = encode_page_token(offset + max_results) if len(items) > max_results else None
        return Page(items[:max_results], more)

    def _set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        def change(conn: Connection, rid: int, _now: int) -> None:
            where = (_vt.c.registered_model_id == rid, _vt.c.version == version, _vt.c.key == key)
            conn.execute(_vt.delete().where(*where))
            conn.execute(
                _vt.insert().values(registered_model_id=rid, version=version, key=key, value=value)
            )

        payload = {"key": key, "value": value}
        self._version_write(name, version, "model_version.set_tag", payload, change)

    def _delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        def change(conn: Connection, rid: int, _now: int) -> None:
            where = (_vt.c.registered_model_id == rid, _vt.c.version == version, _vt.c.key == key)
            conn.execute(_vt.delete().where(*where))

        self._version_write(name, version, "model_version.delete_tag", {"key": key}, change)

    def _set_alias(
        self, name: str, alias: str, version: int, override: dict[str, Any] | None
    ) -> None:
        def change(conn: Connection, rid: int, _now: int) -> None:
            where = (_a.c.registered_model_id == rid, _a.c.alias == alias)
            before = conn.execute(sa.select(_a.c.version).where(*where)).scalar()
            conn.execute(_a.delete().where(*where))
            conn.execute(_a.insert().values(registered_model_id=rid, alias=alias, version=version))
            payload["previous_version"] = None if before is None else int(before)

        payload: dict[str, Any] = {"alias": alias, "version": version, **(override or {})}
        action = "registered_model.force_alias" if override else "registered_model.set_alias"
        self._version_write(name, version, action, payload, change)

    def _delete_alias(self, name: str, alias: str) -> None:
        def delete(conn: Connection) -> None:
            rid = reads.model_id_of(conn, name)
            conn.execute(_a.delete().where(_a.c.registered_model_id == rid, _a.c.alias == alias))
            self._touch(conn, rid, now_ms())
            entity = model_entity(name)
            append_event(
                conn, self._actor, "registered_model.delete_alias", entity, {"alias": alias}
            )

        self._write(delete)

    def _transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool
    ) -> ModelVersion:
        archived: list[int] = []

        def change(conn: Connection, rid: int, now: int) -> None:
            if archive_existing and stage in ("Staging", "Production"):
                others = sa.and_(
                    _v.c.registered_model_id == rid,
                    _v.c.current_stage == stage,
                    _v.c.version != version,
                )
                archived.extend(
                    int(x) for x in conn.execute(sa.select(_v.c.version).where(others)).scalars()
                )
                conn.execute(
                    _v.update()
                    .where(others)
                    .values(current_stage="Archived", last_updated_time=now)
                )
            before = conn.execute(
                sa.select(_v.c.current_stage).where(
                    _v.c.registered_model_id == rid, _v.c.version == version
                )
            ).scalar_one()
            conn.execute(
                _v.update()
                .where(_v.c.registered_model_id == rid, _v.c.version == version)
                .values(current_stage=stage, last_updated_time=now)
            )
            payload.update(from_stage=before, archived_versions=archived)

        payload: dict[str, Any] = {"stage": stage, "archive_existing": archive_existing}
        self._version_write(name, version, "model_version.transition_stage", payload, change)
        return self.get_model_version(name, version)

    def _get_latest_versions(self, name: str, stages: tuple[str, ...]) -> list[ModelVersion]:
        with read_connection(self._engine) as conn:
            rid = reads.model_id_of(conn, name)
            return reads.latest_versions(conn, [rid], stages).get(name, [])
