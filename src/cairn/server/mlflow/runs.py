"""MLflow's run endpoints: create, get, update, delete, restore and search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from cairn.entities import LifecycleStage, Run, ViewType
from cairn.errors import InvalidInput
from cairn.server.auth.visibility import visible_experiment_ids
from cairn.server.deps import StoreDep
from cairn.server.mlflow import convert
from cairn.server.mlflow import schemas as s
from cairn.server.mlflow import tags as system_tags
from cairn.server.mlflow.route import MlflowJsonRoute
from cairn.store import Store

router = APIRouter(prefix="/runs", route_class=MlflowJsonRoute)

EMPTY: dict[str, object] = {}


def describe_runs(store: Store, runs: Sequence[Run]) -> list[convert.Json]:
    """``Run`` messages for runs: latest metric points, inputs and outputs read in bulk."""
    ids = [r.info.run_id for r in runs]
    latest = store.runs.get_latest_metrics(ids)
    io = store.run_io.get_runs_io(ids)
    return [convert.run(r, latest[r.info.run_id], io[r.info.run_id]) for r in runs]


@router.post("/create")
def create_run(body: s.CreateRun, store: StoreDep) -> JSONResponse:
    """Start a run; ``mlflow.runName`` names it and ``mlflow.parentRunId`` nests it."""
    tags = {tag.key: tag.value for tag in body.tags}
    name_tag = tags.pop(system_tags.RUN_NAME, None)
    if body.run_name and name_tag is not None and name_tag != body.run_name:
        raise InvalidInput(
            f"run_name {body.run_name!r} and tag {system_tags.RUN_NAME} {name_tag!r} differ; "
            "give one name"
        )
    parent = tags.pop(system_tags.PARENT_RUN, None)
    run = store.runs.create_run(
        body.experiment_id or "0",
        user_id=body.user_id or "",
        start_time=body.start_time,
        tags=dict(system_tags.to_cairn(k, v) for k, v in tags.items()),
        run_name=body.run_name or name_tag,
        parent_run_id=parent or None,
    )
    return JSONResponse({"run": describe_runs(store, [run])[0]})


@router.get("/get")
def get_run(query: Annotated[s.RunRef, Query()], store: StoreDep) -> JSONResponse:
    """A run with its latest metrics, params, tags, inputs and outputs."""
    run = store.runs.get_run(query.id)
    return JSONResponse({"run": describe_runs(store, [run])[0]})


@router.post("/update")
def update_run(body: s.UpdateRun, store: StoreDep) -> JSONResponse:
    """Change a run's status, end time or name."""
    info = store.runs.update_run_info(
        body.id, status=body.status, end_time=body.end_time, run_name=body.run_name
    )
    return JSONResponse({"run_info": convert.run_info(info)})


@router.post("/delete")
def delete_run(body: s.RunId, store: StoreDep) -> JSONResponse:
    """Soft-delete a run (a deleted run stays deleted, as in MLflow)."""
    if store.runs.get_run(body.run_id).info.lifecycle_stage != LifecycleStage.DELETED:
        store.runs.delete_run(body.run_id)
    return JSONResponse(EMPTY)


@router.post("/restore")
def restore_run(body: s.RunId, store: StoreDep) -> JSONResponse:
    """Restore a deleted run (an active run stays active, as in MLflow)."""
    if store.runs.get_run(body.run_id).info.lifecycle_stage != LifecycleStage.ACTIVE:
        store.runs.restore_run(body.run_id)
    return JSONResponse(EMPTY)


@router.post("/search")
def search_runs(body: s.SearchRuns, request: Request, store: StoreDep) -> JSONResponse:
    """A page of runs of the experiments named (those the caller may see)."""
    visible = visible_experiment_ids(request)
    ids = [e for e in body.experiment_ids if visible is None or e in visible]
    if not ids:
        return JSONResponse(EMPTY)
    page = store.runs.search_runs(
        ids,
        system_tags.translate_filter(body.filter),
        ViewType.parse(body.run_view_type or "ACTIVE_ONLY"),
        body.max_results,
        system_tags.translate_order_by(body.order_by),
        body.page_token,
    )
    return JSONResponse(
        convert.compact(
            {"runs": describe_runs(store, page.items), "next_page_token": page.next_page_token}
        )
    )
