"""Monitors in the SQL store: the repository, with the monitors table itself; records and
labels live in :mod:`monitor_records`, windows, alerts and state in :mod:`monitor_windows`.

Every write resolves the monitor by name inside its transaction (locking its row on
PostgreSQL and MySQL, as SQLite's ``BEGIN IMMEDIATE`` does for the whole database), so
sequence numbers and window ids are handed out once even with concurrent writers.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cairn.entities import Monitor, MonitorAlert, MonitorRecord, MonitorWindow
from cairn.errors import AlreadyExists
from cairn.store import monitor_validation as mo
from cairn.store.base import acting_as, now_ms
from cairn.store.monitor_repository import MonitorRepository
from cairn.store.sql import monitor_records as rec
from cairn.store.sql import monitor_windows as win
from cairn.store.sql import schema as t
from cairn.store.sql.audit import append_event
from cairn.store.sql.engine import read_connection, run_write

_m = t.monitors
_COLUMNS = (
    _m.c.monitor_id,
    _m.c.name,
    _m.c.model,
    _m.c.spec,
    _m.c.reference_digest,
    _m.c.creator,
    _m.c.creation_time,
    _m.c.last_updated_time,
    _m.c.last_seq,
)


def _monitor(row: Any) -> Monitor:
    return Monitor(
        name=row.name,
        model=row.model,
        spec=json.loads(row.spec),
        reference_digest=row.reference_digest,
        creator=row.creator,
        creation_time=int(row.creation_time),
        last_updated_time=int(row.last_updated_time),
        records=int(row.last_seq),
    )


def _row(conn: Connection, name: str, lock: bool = False) -> Any:
    """The monitor's row (locked for the transaction when ``lock``); NotFound otherwise."""
    query = sa.select(*_COLUMNS).where(_m.c.name == name)
    if lock and conn.dialect.name != "sqlite":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        known = conn.execute(sa.select(_m.c.name).order_by(_m.c.name)).scalars().all()
        raise mo.unknown_monitor(name, known)
    return row


def _entity(name: str) -> str:
    return f"monitor:{name}"


class SqlMonitorRepository(MonitorRepository):
    """Monitors with their records, labels, windows, alerts and state in the SQL store."""

    def __init__(self, engine: sa.Engine, actor: str) -> None:
        self._engine = engine
        self._actor = actor

    def _write(self, fn: Any) -> Any:
        return run_write(self._engine, fn)

    def _read(self, name: str, fn: Any) -> Any:
        with read_connection(self._engine) as conn:
            return fn(conn, int(_row(conn, name).monitor_id))

    # -- monitors -------------------------------------------------------------------------

    def _create_monitor(
        self, name: str, model: str, spec: dict[str, Any], reference: bytes, digest: str
    ) -> Monitor:
        def create(conn: Connection) -> None:
            now = now_ms()
            try:
                conn.execute(
                    _m.insert().values(
                        name=name,
                        model=model,
                        registered_model=mo.registered_model_of(model),
                        spec=json.dumps(spec, separators=(",", ":")),
                        reference=reference,
                        reference_digest=digest,
                        creator=acting_as.get() or self._actor,
                        creation_time=now,
                        last_updated_time=now,
                        last_seq=0,
                    )
                )
            except IntegrityError as exc:
                raise AlreadyExists(mo.monitor_exists(name)) from exc
            payload = {"model": model, "spec": spec, "reference_digest": digest}
            append_event(conn, self._actor, "monitor.create", _entity(name), payload)

        self._write(create)
        return self.get_monitor(name)

    def _find_monitor(self, name: str) -> Monitor | None:
        with read_connection(self._engine) as conn:
            row = conn.execute(sa.select(*_COLUMNS).where(_m.c.name == name)).first()
        return None if row is None else _monitor(row)

    def _list_monitors(self, model: str | None) -> list[Monitor]:
        query = sa.select(*_COLUMNS).order_by(_m.c.name)
        if model is not None:
            query = query.where(_m.c.registered_model == mo.registered_model_of(model))
        with read_connection(self._engine) as conn:
            return [_monitor(row) for row in conn.execute(query)]

    def _update_monitor(
        self, name: str, spec: dict[str, Any] | None, reference: tuple[bytes, str] | None
    ) -> Monitor:
        values: dict[str, Any] = {}
        payload: dict[str, Any] = {}
        if spec is not None:
            values["spec"] = json.dumps(spec, separators=(",", ":"))
            payload["spec"] = spec
        if reference is not None:
            values["reference"], values["reference_digest"] = reference
            payload["reference_digest"] = reference[1]

        def update(conn: Connection) -> None:
            monitor_id = _row(conn, name, lock=True).monitor_id
            if values:
                conn.execute(
                    _m.update()
                    .where(_m.c.monitor_id == monitor_id)
                    .values(last_updated_time=now_ms(), **values)
                )
                append_event(conn, self._actor, "monitor.update", _entity(name), payload)

        self._write(update)
        return self.get_monitor(name)

    def _delete_monitor(self, name: str) -> None:
        def delete(conn: Connection) -> None:
            monitor_id = _row(conn, name, lock=True).monitor_id
            conn.execute(_m.delete().where(_m.c.monitor_id == monitor_id))
            append_event(conn, self._actor, "monitor.delete", _entity(name), {})

        self._write(delete)

    def _get_reference(self, name: str) -> bytes:
        with read_connection(self._engine) as conn:
            _row(conn, name)
            found = conn.execute(sa.select(_m.c.reference).where(_m.c.name == name)).scalar_one()
        return bytes(found)

    # -- records and labels ---------------------------------------------------------------

    def _append_records(
        self,
        name: str,
        chunk: bytes,
        request_ids: list[str | None],
        times: list[int],
        model_version: int | None,
    ) -> tuple[int, int]:
        def append(conn: Connection) -> tuple[int, int]:
            row = _row(conn, name, lock=True)
            return rec.append(
                conn, int(row.monitor_id), int(row.last_seq), chunk, request_ids, times,
                model_version,
            )  # fmt: skip

        try:
            return self._write(append)  # type: ignore[no-any-return]
        except rec.DuplicateRequestId:
            with read_connection(self._engine) as conn:
                raise rec.duplicate_error(
                    conn, int(_row(conn, name).monitor_id), name, request_ids
                ) from None

    def _read_chunks(self, name: str, first_seq: int, last_seq: int) -> list[tuple[int, bytes]]:
        return self._read(  # type: ignore[no-any-return]
            name, lambda conn, mid: rec.read_chunks(conn, mid, first_seq, last_seq)
        )

    def _list_records(
        self,
        name: str,
        first_seq: int | None,
        last_seq: int | None,
        start_time: int | None,
        end_time: int | None,
    ) -> list[MonitorRecord]:
        return self._read(  # type: ignore[no-any-return]
            name,
            lambda conn, mid: rec.list_records(
                conn, mid, first_seq, last_seq, start_time, end_time
            ),
        )

    def _record_bounds(self, name: str) -> tuple[int, int | None, int | None]:
        with read_connection(self._engine) as conn:
            row = _row(conn, name)
            low, high = rec.time_bounds(conn, int(row.monitor_id))
        return int(row.last_seq), low, high

    def _put_labels(self, name: str, labels: dict[str, str], time: int) -> list[str]:
        def put(conn: Connection) -> list[str]:
            return rec.put_labels(conn, int(_row(conn, name).monitor_id), labels, time)

        return self._write(put)  # type: ignore[no-any-return]

    def _unmatched_labels(
        self, name: str, start_time: int | None, end_time: int | None
    ) -> list[tuple[str, int]]:
        return self._read(  # type: ignore[no-any-return]
            name, lambda conn, mid: rec.unmatched(conn, mid, start_time, end_time)
        )

    # -- windows, alerts and state --------------------------------------------------------

    def _add_window(
        self,
        name: str,
        bounds: tuple[int, int, int, int],
        counts: tuple[int, int],
        model_version: int | None,
        results: dict[str, Any],
    ) -> MonitorWindow:
        def add(conn: Connection) -> MonitorWindow:
            monitor_id = int(_row(conn, name, lock=True).monitor_id)
            made = win.add_window(conn, monitor_id, bounds, counts, model_version, results)
            payload = {
                "window_id": made.window_id,
                "start_time": made.start_time,
                "end_time": made.end_time,
                "first_seq": made.first_seq,
                "last_seq": made.last_seq,
                "rows": made.rows,
                "labelled_rows": made.labelled_rows,
                "model_version": model_version,
                "results_sha256": win.results_digest(results),
            }
            append_event(conn, self._actor, "monitor.window.add", _entity(name), payload)
            return made

        return self._write(add)  # type: ignore[no-any-return]

    def _update_window(
        self, name: str, window_id: int, labelled_rows: int, results: dict[str, Any]
    ) -> MonitorWindow:
        def update(conn: Connection) -> MonitorWindow:
            monitor_id = int(_row(conn, name, lock=True).monitor_id)
            made = win.update_window(conn, monitor_id, window_id, labelled_rows, results)
            payload = {
                "window_id": window_id,
                "labelled_rows": labelled_rows,
                "results_sha256": win.results_digest(results),
            }
            append_event(conn, self._actor, "monitor.window.update", _entity(name), payload)
            return made

        return self._write(update)  # type: ignore[no-any-return]

    def _list_windows(
        self, name: str, after_window_id: int, limit: int | None
    ) -> list[MonitorWindow]:
        return self._read(  # type: ignore[no-any-return]
            name, lambda conn, mid: win.list_windows(conn, mid, after_window_id, limit)
        )

    def _get_window(self, name: str, window_id: int) -> MonitorWindow:
        return self._read(name, lambda conn, mid: win.get_window(conn, mid, window_id))  # type: ignore[no-any-return]

    def _add_alert(
        self,
        name: str,
        rule: str,
        window_id: int,
        value: float | None,
        message: str,
        actions: list[dict[str, Any]],
    ) -> MonitorAlert:
        def add(conn: Connection) -> MonitorAlert:
            monitor_id = int(_row(conn, name, lock=True).monitor_id)
            made = win.add_alert(conn, monitor_id, rule, window_id, value, message, actions)
            payload = {
                "alert_id": made.alert_id,
                "rule": rule,
                "window_id": window_id,
                "value": value,
                "message": message,
                "actions": actions,
            }
            append_event(conn, self._actor, "monitor.alert.add", _entity(name), payload)
            return made

        return self._write(add)  # type: ignore[no-any-return]

    def _update_alert_actions(self, alert_id: int, actions: list[dict[str, Any]]) -> MonitorAlert:
        def update(conn: Connection) -> MonitorAlert:
            made = win.set_actions(conn, alert_id, actions)
            payload = {"alert_id": alert_id, "actions": actions}
            append_event(conn, self._actor, "monitor.alert.actions", _entity(made.monitor), payload)
            return made

        return self._write(update)  # type: ignore[no-any-return]

    def _list_alerts(self, name: str | None, limit: int) -> list[MonitorAlert]:
        with read_connection(self._engine) as conn:
            monitor_id = None if name is None else int(_row(conn, name).monitor_id)
            return win.list_alerts(conn, monitor_id, limit)

    def _get_state(self, name: str, key: str) -> str | None:
        return self._read(name, lambda conn, mid: win.get_state(conn, mid, key))  # type: ignore[no-any-return]

    def _set_state(self, name: str, key: str, value: str) -> None:
        def put(conn: Connection) -> None:
            win.set_state(conn, int(_row(conn, name).monitor_id), key, value)

        self._write(put)
