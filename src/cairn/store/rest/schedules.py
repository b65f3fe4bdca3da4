"""Pipeline schedules on a cairn server (the native API's ``/schedules`` routes), and their
JSON form, which the server's routes share."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cairn.entities import Schedule, ScheduleRun
from cairn.errors import NotFound
from cairn.store.schedule_repository import ScheduleRepository

if TYPE_CHECKING:
    from cairn.store.rest.store import _Api


def schedule_out(schedule: Schedule) -> dict[str, Any]:
    """A schedule as JSON."""
    found = asdict(schedule)
    found["stages"] = list(schedule.stages)
    return found


def schedule_in(data: dict[str, Any]) -> Schedule:
    """A schedule from JSON."""
    return Schedule(**{**data, "stages": tuple(data["stages"])})


def schedule_run_out(run: ScheduleRun) -> dict[str, Any]:
    """A schedule run as JSON."""
    return asdict(run)


def schedule_run_in(data: dict[str, Any] | None) -> ScheduleRun | None:
    """A schedule run from JSON (None stays None: nothing was claimed)."""
    return None if data is None else ScheduleRun(**data)


def _path(name: str) -> str:
    return f"/schedules/{quote(name, safe='')}"


class RestScheduleRepository(ScheduleRepository):
    """Schedules and schedule runs on a cairn server."""

    def __init__(self, api: _Api) -> None:
        self._api = api

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
        body = {
            "name": name,
            "cron": cron,
            "pipeline": pipeline,
            "next_due_time": next_due_time,
            "stages": list(stages),
            "experiment": experiment,
            "catch_up": catch_up,
            "enabled": enabled,
        }
        return schedule_in(self._api.send("POST", "/schedules", body))

    def _find_schedule(self, name: str) -> Schedule | None:
        try:
            return schedule_in(self._api.get(_path(name)))
        except NotFound:
            return None

    def _list_schedules(self) -> list[Schedule]:
        return [schedule_in(s) for s in self._api.get("/schedules")["items"]]

    def _update_schedule(
        self, name: str, enabled: bool | None, next_due_time: int | None
    ) -> Schedule:
        body = {"enabled": enabled, "next_due_time": next_due_time}
        return schedule_in(self._api.send("PATCH", _path(name), body))

    def _delete_schedule(self, name: str) -> None:
        self._api.send("DELETE", _path(name))

    def _list_due(self, now: int) -> list[Schedule]:
        return [schedule_in(s) for s in self._api.get("/schedules/due", now=now)["items"]]

    def _claim_schedule(
        self, name: str, due_time: int, next_due_time: int, owner: str, lease_expiry_time: int
    ) -> ScheduleRun | None:
        body = {
            "due_time": due_time,
            "next_due_time": next_due_time,
            "owner": owner,
            "lease_expiry_time": lease_expiry_time,
        }
        return schedule_run_in(self._api.send("POST", f"{_path(name)}/claim", body)["run"])

    def _skip_schedule(self, name: str, due_time: int, next_due_time: int) -> ScheduleRun | None:
        body = {"due_time": due_time, "next_due_time": next_due_time}
        return schedule_run_in(self._api.send("POST", f"{_path(name)}/skip", body)["run"])

    def _renew_lease(self, name: str, owner: str, lease_expiry_time: int) -> bool:
        body = {"owner": owner, "lease_expiry_time": lease_expiry_time}
        return bool(self._api.send("POST", f"{_path(name)}/lease", body)["renewed"])

    def _end_schedule_run(
        self, schedule_run_id: int, status: str, pipeline_run_id: str | None, error: str | None
    ) -> ScheduleRun:
        body = {"status": status, "pipeline_run_id": pipeline_run_id, "error": error}
        found = self._api.send("POST", f"/schedule-runs/{schedule_run_id}/end", body)
        return ScheduleRun(**found)

    def _list_schedule_runs(self, name: str, max_results: int) -> list[ScheduleRun]:
        found = self._api.get(f"{_path(name)}/runs", max_results=max_results)
        return [ScheduleRun(**r) for r in found["items"]]
