"""Schedule routes of the native API: pipeline schedules and the scheduler's claims on them.

Reading is open to every signed-in user; changing a schedule, and claiming, skipping or
ending its runs, is for admins (with ``--auth``): a schedule names a folder on the
scheduler's machine whose commands the scheduler runs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cairn.server.deps import StoreDep
from cairn.store.rest.schedules import schedule_out, schedule_run_out

router = APIRouter(tags=["schedules"])


class CreateSchedule(BaseModel):
    name: str
    cron: str
    pipeline: str
    next_due_time: int
    stages: list[str] = []
    experiment: str | None = None
    catch_up: str = "latest"
    enabled: bool = True


class UpdateSchedule(BaseModel):
    enabled: bool | None = None
    next_due_time: int | None = None


class Claim(BaseModel):
    due_time: int
    next_due_time: int
    owner: str
    lease_expiry_time: int


class Skip(BaseModel):
    due_time: int
    next_due_time: int


class Lease(BaseModel):
    owner: str
    lease_expiry_time: int


class EndRun(BaseModel):
    status: str
    pipeline_run_id: str | None = None
    error: str | None = None


@router.get("/schedules")
def list_schedules(store: StoreDep) -> JSONResponse:
    """Every schedule, by name."""
    return JSONResponse({"items": [schedule_out(s) for s in store.schedules.list_schedules()]})


@router.post("/schedules")
def create_schedule(body: CreateSchedule, store: StoreDep) -> JSONResponse:
    """Add a schedule."""
    created = store.schedules.create_schedule(
        body.name,
        body.cron,
        body.pipeline,
        body.next_due_time,
        stages=body.stages,
        experiment=body.experiment,
        catch_up=body.catch_up,
        enabled=body.enabled,
    )
    return JSONResponse(schedule_out(created))


@router.get("/schedules/due")
def list_due(store: StoreDep, now: Annotated[int, Query(ge=0)]) -> JSONResponse:
    """Enabled schedules due at ``now`` that no scheduler holds."""
    return JSONResponse({"items": [schedule_out(s) for s in store.schedules.list_due(now)]})


@router.get("/schedules/{name}")
def get_schedule(name: str, store: StoreDep) -> JSONResponse:
    """One schedule."""
    return JSONResponse(schedule_out(store.schedules.get_schedule(name)))


@router.patch("/schedules/{name}")
def update_schedule(name: str, body: UpdateSchedule, store: StoreDep) -> JSONResponse:
    """Pause/resume a schedule or move its next due time."""
    updated = store.schedules.update_schedule(
        name, enabled=body.enabled, next_due_time=body.next_due_time
    )
    return JSONResponse(schedule_out(updated))


@router.delete("/schedules/{name}")
def delete_schedule(name: str, store: StoreDep) -> JSONResponse:
    """Remove a schedule and its run history."""
    store.schedules.delete_schedule(name)
    return JSONResponse({"ok": True})


@router.post("/schedules/{name}/claim")
def claim_schedule(name: str, body: Claim, store: StoreDep) -> JSONResponse:
    """Take the lease for a due slot; ``run`` is null when another scheduler was first."""
    run = store.schedules.claim_schedule(
        name,
        due_time=body.due_time,
        next_due_time=body.next_due_time,
        owner=body.owner,
        lease_expiry_time=body.lease_expiry_time,
    )
    return JSONResponse({"run": None if run is None else schedule_run_out(run)})


@router.post("/schedules/{name}/skip")
def skip_schedule(name: str, body: Skip, store: StoreDep) -> JSONResponse:
    """Record a missed slot as skipped; ``run`` is null when another scheduler was first."""
    run = store.schedules.skip_schedule(
        name, due_time=body.due_time, next_due_time=body.next_due_time
    )
    return JSONResponse({"run": None if run is None else schedule_run_out(run)})


@router.post("/schedules/{name}/lease")
def renew_lease(name: str, body: Lease, store: StoreDep) -> JSONResponse:
    """Extend a lease its owner holds."""
    renewed = store.schedules.renew_lease(
        name, owner=body.owner, lease_expiry_time=body.lease_expiry_time
    )
    return JSONResponse({"renewed": renewed})


@router.get("/schedules/{name}/runs")
def list_schedule_runs(
    name: str, store: StoreDep, max_results: Annotated[int, Query(ge=1, le=50_000)] = 20
) -> JSONResponse:
    """A schedule's runs, newest first."""
    runs = store.schedules.list_schedule_runs(name, max_results)
    return JSONResponse({"items": [schedule_run_out(r) for r in runs]})


@router.post("/schedule-runs/{schedule_run_id}/end")
def end_schedule_run(schedule_run_id: int, body: EndRun, store: StoreDep) -> JSONResponse:
    """Close a running schedule run and release its lease."""
    ended = store.schedules.end_schedule_run(
        schedule_run_id, status=body.status, pipeline_run_id=body.pipeline_run_id, error=body.error
    )
    return JSONResponse(schedule_run_out(ended))
