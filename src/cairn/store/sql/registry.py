"""The model registry in the SQL store: every write is one transaction with its audit event."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cairn.entities import Page, RegisteredModel
from cairn.errors import AlreadyExists
from cairn.store import registry_validation as rv
from cairn.store.base import now_ms
from cairn.store.search import decode_page_token, encode_page_token
from cairn.store.sql import registry_reads as reads
from cairn.store.sql import schema as t
from cairn.store.sql.audit import append_event
from cairn.store.sql.engine import read_connection
from cairn.store.sql.registry_versions import SqlVersionWrites, model_entity

_m = t.registered_models
_v = t.model_versions
_mt = t.model_tags
_vt = t.model_version_tags
_a = t.model_aliases


def _taken(name: str) -> AlreadyExists:
    return AlreadyExists(
        f"a registered model named {name!r} exists already; pick another name or add a "
        f"version to it with `cairn models register URI {name}`"
    )


class SqlRegistryRepository(SqlVersionWrites):
    """Registered models, versions, tags, aliases and stages in the SQL store."""

    def _create_registered_model(
        self, name: str, description: str | None, tags: dict[str, str]
    ) -> RegisteredModel:
        def create(conn: Connection) -> None:
            now = now_ms()
            try:
                result = conn.execute(
                    _m.insert().values(
                        name=name,
                        creation_time=now,
                        last_updated_time=now,
                        description=description,
                        user_id=self._actor,
                        last_version=0,
                    )
                )
            except IntegrityError as exc:
                raise _taken(name) from exc
            rid = int(result.inserted_primary_key[0])  # type: ignore[index]
            for key, value in tags.items():
                conn.execute(_mt.insert().values(registered_model_id=rid, key=key, value=value))
            payload = {"description": description, "tags": tags}
            append_event(conn, self._actor, "registered_model.create", model_entity(name), payload)

        self._write(create)
        return self.get_registered_model(name)

    def _find_registered_model(self, name: str) -> RegisteredModel | None:
        with read_connection(self._engine) as conn:
            rows = conn.execute(sa.select(_m).where(_m.c.name == name)).all()
            found = reads.registered_models(conn, rows)
        return found[0] if found else None

    def _rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        def rename(conn: Connection) -> None:
            try:
                conn.execute(
                    _m.update()
                    .where(_m.c.name == name)
                    .values(name=new_name, last_updated_time=now_ms())
                )
            except IntegrityError as exc:
                raise _taken(new_name) from exc
            payload = {"new_name": new_name}
            append_event(conn, self._actor, "registered_model.rename", model_entity(name), payload)

        self._write(rename)
        return self.get_registered_model(new_name)

    def _update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        def update(conn: Connection) -> None:
            conn.execute(
                _m.update()
                .where(_m.c.name == name)
                .values(description=description, last_updated_time=now_ms())
            )
            payload = {"description": description}
            append_event(conn, self._actor, "registered_model.update", model_entity(name), payload)

        self._write(update)
        return self.get_registered_model(name)

    def _delete_registered_model(self, name: str) -> None:
        def delete(conn: Connection) -> None:
            rid = reads.model_id_of(conn, name)
            for table in (_a, _vt, _v, _mt):  # children first: MySQL and SQLite may not cascade
                conn.execute(table.delete().where(table.c.registered_model_id == rid))
            conn.execute(_m.delete().where(_m.c.registered_model_id == rid))
            append_event(conn, self._actor, "registered_model.delete", model_entity(name), {})

        self._write(delete)

    def _search_registered_models(
        self,
        filter_string: str | None,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
    ) -> Page:
        offset = decode_page_token(page_token)
        order = reads.order_clauses(
            order_by, rv.REGISTERED_MODELS, reads.MODEL_COLUMNS, [reads.BinarySort(_m.c.name)]
        )
        query = (
            sa.select(_m)
            .where(reads.model_filter(filter_string))
            .order_by(*order)
            .offset(offset)
            .limit(max_results + 1)
        )
        with read_connection(self._engine) as conn:
            rows = conn.execute(query).all()
            items = reads.registered_models(conn, rows[:max_results])
        more = encode_page_token(offset + max_results) if len(rows) > max_results else None
        return Page(items, more)

    def _set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        def set_tag(conn: Connection) -> None:
            rid = reads.model_id_of(conn, name)
            where = (_mt.c.registered_model_id == rid, _mt.c.key == key)
            conn.execute(_mt.delete().where(*where))
            conn.execute(_mt.insert().values(registered_model_id=rid, key=key, value=value))
            self._touch(conn, rid, now_ms())
            payload = {"key": key, "value": value}
            append_event(conn, self._actor, "registered_model.set_tag", model_entity(name), payload)

        self._write(set_tag)

    def _delete_registered_model_tag(self, name: str, key: str) -> None:
        def delete_tag(conn: Connection) -> None:
            rid = reads.model_id_of(conn, name)
            conn.execute(_mt.delete().where(_mt.c.registered_model_id == rid, _mt.c.key == key))
            self._touch(conn, rid, now_ms())
            entity = model_entity(name)
            append_event(conn, self._actor, "registered_model.delete_tag", entity, {"key": key})

        self._write(delete_tag)
