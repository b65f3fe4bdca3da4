"""Run routes of the native API: runs, batches of metrics/params/tags, histories, search."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from cairn.entities import Metric, Param, RunTag
from cairn.errors import PermissionDenied
from cairn.server.auth.visibility import visible_experiment_ids
from cairn.server.deps import StoreDep
from cairn.server.v1 import schemas as s
from cairn.store.base import SpoolMark
from cairn.store.downsample import check_max_points, downsample
from cairn.store.rest import wire
from cairn.store.validation import MAX_INT64

router = APIRouter(prefix="/runs", tags=["runs"])

DONE = {"ok": True}


@router.post("", response_model=s.RunOut)
def create_run(body: s.CreateRun, store: StoreDep) -> JSONResponse:
    """Start a RUNNING run."""
    run = store.runs.create_run(
        body.experiment_id,
        user_id=body.user_id,
        start_time=body.start_time,
        tags=body.tags,
        run_name=body.run_name,
        parent_run_id=body.parent_run_id,
    )
    return JSONResponse(wire.run_out(run))


@router.post("/search", response_model=s.RunPage)
def search_runs(body: s.SearchRuns, request: Request, store: StoreDep) -> JSONResponse:
    """A page of runs matching a filter."""
    visible = visible_experiment_ids(request)
    if visible is not None:
        hidden = [e for e in body.experiment_ids if e not in visible]
        if hidden:
            raise PermissionDenied(f"you may not read experiment {hidden[0]}")
    page = store.runs.search_runs(
        body.experiment_ids,
        body.filter_string,
        body.run_view_type,
        body.max_results,
        body.order_by,
        body.page_token,
    )
    return JSONResponse(
        {"items": [wire.run_out(r) for r in page.items], "next_page_token": page.next_page_token}
    )


@router.get("/deleted", response_model=s.RunInfoList)
def list_deleted_runs(
    store: StoreDep,
    request: Request,
    older_than_ms: int | None = Query(default=None, ge=0, le=MAX_INT64),
) -> JSONResponse:
    """Deleted runs, optionally only those deleted before a time."""
    visible = visible_experiment_ids(request)
    found = store.runs.list_deleted_runs(older_than_ms)
    items = [i for i in found if visible is None or i.experiment_id in visible]
    return JSONResponse({"items": [wire.run_info_out(i) for i in items]})


@router.get("/{run_id}", response_model=s.RunOut)
def get_run(run_id: str, store: StoreDep) -> JSONResponse:
    """A run with its latest metrics, params and tags."""
    return JSONResponse(wire.run_out(store.runs.get_run(run_id)))


@router.patch("/{run_id}", response_model=s.RunInfoOut)
def update_run(run_id: str, body: s.UpdateRun, store: StoreDep) -> JSONResponse:
    """Change a run's status, end time or name."""
    info = store.runs.update_run_info(run_id, body.status, body.end_time, body.run_name)
    return JSONResponse(wire.run_info_out(info))


@router.delete("/{run_id}", response_model=s.Done)
def delete_run(run_id: str, store: StoreDep) -> JSONResponse:
    """Soft-delete a run."""
    store.runs.delete_run(run_id)
    return JSONResponse(DONE)


@router.post("/{run_id}/restore", response_model=s.Done)
def restore_run(run_id: str, store: StoreDep) -> JSONResponse:
    """Undo a soft delete."""
    store.runs.restore_run(run_id)
    return JSONResponse(DONE)


@router.post("/{run_id}/purge", response_model=s.Done)
def purge_run(run_id: str, store: StoreDep) -> JSONResponse:
    """Remove a run's metadata for good."""
    store.runs.purge_run(run_id)
    return JSONResponse(DONE)


@router.post("/{run_id}/batch", response_model=s.Done)
def log_batch(run_id: str, body: s.LogBatch, store: StoreDep) -> JSONResponse:
    """Log metrics, params and tags in one transaction; a spool mark makes replays no-ops."""
    store.runs.log_batch(
        run_id,
        metrics=[Metric(m.key, m.value, m.timestamp, m.step) for m in body.metrics],
        params=[Param(p.key, p.value) for p in body.params],
        tags=[RunTag(t.key, t.value) for t in body.tags],
        spool=SpoolMark(body.spool.spool_id, body.spool.offset) if body.spool else None,
    )
    return JSONResponse(DONE)


@router.post("/{run_id}/tags/delete", response_model=s.Done)
def delete_tag(run_id: str, body: s.TagKey, store: StoreDep) -> JSONResponse:
    """Remove a tag."""
    store.runs.delete_tag(run_id, body.key)
    return JSONResponse(DONE)


@router.get("/{run_id}/metrics/history", response_model=s.HistoryOut)
def get_metric_history(
    store: StoreDep,
    run_id: str,
    key: str = Query(min_length=1),
    max_points: int | None = Query(default=None),
) -> JSONResponse:
    """A metric's history; with ``max_points``, thinned keeping each bucket's extremes."""
    limit = check_max_points(max_points) if max_points is not None else None
    history = store.runs.get_metric_history(run_id, key)
    total = len(history)
    if limit is not None:
        history = downsample(history, limit)
    return JSONResponse(
        {**wire.history_out(history), "total": total, "downsampled": len(history) < total}
    )


@router.post("/{run_id}/artifact-records", response_model=s.Done)
def record_artifacts(run_id: str, body: s.RecordArtifacts, store: StoreDep) -> JSONResponse:
    """Note in the audit trail that files were logged to a run."""
    store.runs.record_artifacts(
        run_id, {path: facts.model_dump() for path, facts in body.files.items()}
    )
    return JSONResponse(DONE)
