"""Pipeline schedules and their runs in the SQL store; claims are conditional UPDATEs."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cairn.entities import Schedule, ScheduleRun
from cairn.errors import AlreadyExists, InvalidState, NotFound
from cairn.store.base import now_ms
from cairn.store.schedule_repository import ScheduleRepository
from cairn.store.sql import schema as t
from cairn.store.sql.audit import append_event
from cairn.store.sql.engine import read_connection, run_write

_s = t.schedules
_r = t.schedule_runs
_RUN_COLUMNS = (*_r.c, _s.c.name)


def _schedule(row: Any) -> Schedule:
    return Schedule(
        name=row.name,
        cron=row.cron,
        pipeline=row.pipeline,
        stages=tuple(json.loads(row.stages)),
        experiment=row.experiment,
        catch_up=row.catch_up,
        enabled=bool(row.enabled),
        creator=row.creator,
        creation_time=row.creation_time,
        next_due_time=row.next_due_time,
        last_start_time=row.last_start_time,
        lease_expiry_time=row.lease_expiry_time,
        lease_owner=row.lease_owner,
    )


def _run(row: Any) -> ScheduleRun:
    return ScheduleRun(
        schedule_run_id=int(row.schedule_run_id),
        schedule=row.name,
        due_time=row.due_time,
        start_time=row.start_time,
        status=row.status,
        runner=row.runner,
        end_time=row.end_time,
        pipeline_run_id=row.pipeline_run_id,
        error=row.error,
    )


def _insert_run(conn: Connection, schedule_id: int, **values: Any) -> ScheduleRun:
    result = conn.execute(_r.insert().values(schedule_id=schedule_id, **values))
    run_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return _run(conn.execute(_joined().where(_r.c.schedule_run_id == run_id)).one())


def _joined() -> sa.Select:
    return sa.select(*_RUN_COLUMNS).join(_s, _s.c.schedule_id == _r.c.schedule_id)


def _schedule_id(conn: Connection, name: str) -> int:
    return int(conn.execute(sa.select(_s.c.schedule_id).where(_s.c.name == name)).scalar_one())


class SqlScheduleRepository(ScheduleRepository):
    """Schedules and schedule runs in the SQL store."""

    def __init__(self, engine: sa.Engine, actor: str) -> None:
        self._engine = engine
        self._actor = actor

    def _create_schedule(
        self,
        name: str,
        cron: str,
        pipeline: str,
        next_due_time: int,
        stages: tuple[str, ...],
        experiment: str | None,
        catch_up: str,
        enabled: bool,
    ) -> Schedule:
        values = {
            "name": name,
            "cron": cron,
            "pipeline": pipeline,
            "stages": json.dumps(list(stages)),
            "experiment": experiment,
            "catch_up": catch_up,
            "enabled": enabled,
            "next_due_time": next_due_time,
        }

        def create(conn: Connection) -> None:
            try:
                conn.execute(
                    _s.insert().values(creator=self._actor, creation_time=now_ms(), **values)
                )
            except IntegrityError as exc:
                raise AlreadyExists(
                    f"a schedule named {name!r} exists already; remove it first with "
                    f"`cairn schedule remove {name}` or pick another name"
                ) from exc
            append_event(conn, self._actor, "schedule.create", f"schedule:{name}", values)

        run_write(self._engine, create)
        return self.get_schedule(name)

    def _find_schedule(self, name: str) -> Schedule | None:
        with read_connection(self._engine) as conn:
            row = conn.execute(sa.select(_s).where(_s.c.name == name)).first()
        return None if row is None else _schedule(row)

    def _list_schedules(self) -> list[Schedule]:
        with read_connection(self._engine) as conn:
            return [_schedule(r) for r in conn.execute(sa.select(_s).order_by(_s.c.name))]

    def _update_schedule(
        self, name: str, enabled: bool | None, next_due_time: int | None
    ) -> Schedule:
        values: dict[str, Any] = {}
        if enabled is not None:
            values["enabled"] = enabled
        if next_due_time is not None:
            values["next_due_time"] = next_due_time

        def update(conn: Connection) -> None:
            if values:
                conn.execute(_s.update().where(_s.c.name == name).values(**values))
                append_event(conn, self._actor, "schedule.update", f"schedule:{name}", values)

        run_write(self._engine, update)
        return self.get_schedule(name)

    def _delete_schedule(self, name: str) -> None:
        def delete(conn: Connection) -> None:
            schedule_id = _schedule_id(conn, name)
            conn.execute(_r.delete().where(_r.c.schedule_id == schedule_id))
            conn.execute(_s.delete().where(_s.c.schedule_id == schedule_id))
            append_event(conn, self._actor, "schedule.delete", f"schedule:{name}", {})

        run_write(self._engine, delete)

    def _list_due(self, now: int) -> list[Schedule]:
        free = sa.or_(_s.c.lease_expiry_time.is_(None), _s.c.lease_expiry_time < now)
        query = (
            sa.select(_s)
            .where(_s.c.enabled.is_(True), _s.c.next_due_time <= now, free)
            .order_by(_s.c.next_due_time, _s.c.name)
        )
        with read_connection(self._engine) as conn:
            return [_schedule(r) for r in conn.execute(query)]

    def _claim_schedule(
        self, name: str, due_time: int, next_due_time: int, owner: str, lease_expiry_time: int
    ) -> ScheduleRun | None:
        def claim(conn: Connection) -> ScheduleRun | None:
            now = now_ms()
            free = sa.or_(_s.c.lease_expiry_time.is_(None), _s.c.lease_expiry_time < now)
            taken = conn.execute(
                _s.update()
                .where(_s.c.name == name, _s.c.next_due_time == due_time, free)
                .values(
                    next_due_time=next_due_time,
                    lease_owner=owner,
                    lease_expiry_time=lease_expiry_time,
                    last_start_time=now,
                )
            )
            if taken.rowcount != 1:
                return None
            schedule_id = _schedule_id(conn, name)
            conn.execute(  # a run still "running" under an expired lease lost its scheduler
                _r.update()
                .where(_r.c.schedule_id == schedule_id, _r.c.status == "running")
                .values(status="lost", end_time=now)
            )
            return _insert_run(
                conn,
                schedule_id,
                due_time=due_time,
                start_time=now,
                status="running",
                runner=owner,
            )

        return run_write(self._engine, claim)  # type: ignore[no-any-return]

    def _skip_schedule(self, name: str, due_time: int, next_due_time: int) -> ScheduleRun | None:
        def skip(conn: Connection) -> ScheduleRun | None:
            moved = conn.execute(
                _s.update()
                .where(_s.c.name == name, _s.c.next_due_time == due_time)
                .values(next_due_time=next_due_time)
            )
            if moved.rowcount != 1:
                return None
            now = now_ms()
            return _insert_run(
                conn,
                _schedule_id(conn, name),
                due_time=due_time,
                start_time=now,
                end_time=now,
                status="skipped",
                runner="",
            )

        return run_write(self._engine, skip)  # type: ignore[no-any-return]

    def _renew_lease(self, name: str, owner: str, lease_expiry_time: int) -> bool:
        def renew(conn: Connection) -> bool:
            result = conn.execute(
                _s.update()
                .where(_s.c.name == name, _s.c.lease_owner == owner)
                .values(lease_expiry_time=lease_expiry_time)
            )
            return bool(result.rowcount == 1)

        return run_write(self._engine, renew)  # type: ignore[no-any-return]

    def _end_schedule_run(
        self, schedule_run_id: int, status: str, pipeline_run_id: str | None, error: str | None
    ) -> ScheduleRun:
        def end(conn: Connection) -> ScheduleRun:
            row = conn.execute(_joined().where(_r.c.schedule_run_id == schedule_run_id)).first()
            if row is None:
                raise NotFound(f"no schedule run {schedule_run_id}")
            if row.status not in ("running", "lost"):
                raise InvalidState(
                    f"schedule run {schedule_run_id} of {row.name!r} ended already ({row.status})"
                )
            conn.execute(
                _r.update()
                .where(_r.c.schedule_run_id == schedule_run_id)
                .values(
                    status=status,
                    end_time=now_ms(),
                    pipeline_run_id=pipeline_run_id,
                    error=error,
                )
            )
            conn.execute(
                _s.update()
                .where(_s.c.schedule_id == row.schedule_id, _s.c.lease_owner == row.runner)
                .values(lease_owner=None, lease_expiry_time=None)
            )
            return _run(
                conn.execute(_joined().where(_r.c.schedule_run_id == schedule_run_id)).one()
            )

        return run_write(self._engine, end)  # type: ignore[no-any-return]

    def _list_schedule_runs(self, name: str, max_results: int) -> list[ScheduleRun]:
        query = (
            _joined()
            .where(_s.c.name == name)
            .order_by(_r.c.schedule_run_id.desc())
            .limit(max_results)
        )
        with read_connection(self._engine) as conn:
            return [_run(r) for r in conn.execute(query)]
