"""Experiment routes of the native API."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from cairn.entities import Experiment, Page
from cairn.errors import NotFound
from cairn.server.auth.visibility import visible_experiment_ids
from cairn.server.deps import StoreDep
from cairn.server.v1 import schemas as s
from cairn.store.rest import wire
from cairn.store.validation import MAX_INT64

router = APIRouter(prefix="/experiments", tags=["experiments"])

DONE = {"ok": True}


def _experiment(experiment: Experiment) -> JSONResponse:
    return JSONResponse(wire.experiment_out(experiment))


@router.post("", response_model=s.ExperimentId)
def create_experiment(body: s.CreateExperiment, store: StoreDep) -> JSONResponse:
    """Create an experiment."""
    experiment_id = store.experiments.create_experiment(
        body.name, body.artifact_location, body.tags
    )
    return JSONResponse({"experiment_id": experiment_id})


@router.post("/get-or-create", response_model=s.ExperimentOut)
def get_or_create_experiment(body: s.ExperimentName, store: StoreDep) -> JSONResponse:
    """The experiment of that name, created if missing."""
    return _experiment(store.experiments.get_or_create_experiment(body.name))


@router.get("/by-name", response_model=s.ExperimentOut)
def get_experiment_by_name(store: StoreDep, name: str = Query(min_length=1)) -> JSONResponse:
    """The experiment with that name (active or deleted)."""
    found = store.experiments.find_experiment_by_name(name)
    if found is None:
        raise NotFound(f"no experiment is named {name!r}")
    return _experiment(found)


@router.post("/search", response_model=s.ExperimentPage)
def search_experiments(
    body: s.SearchExperiments, request: Request, store: StoreDep
) -> JSONResponse:
    """A page of experiments matching a filter."""
    page: Page = store.experiments.search_experiments(
        body.view_type, body.max_results, body.filter_string, body.order_by, body.page_token
    )
    visible = visible_experiment_ids(request)
    items = [e for e in page.items if visible is None or e.experiment_id in visible]
    return JSONResponse(
        {
            "items": [wire.experiment_out(e) for e in items],
            "next_page_token": page.next_page_token,
        }
    )


@router.get("/deleted", response_model=s.ExperimentList)
def list_deleted_experiments(
    store: StoreDep,
    request: Request,
    older_than_ms: int | None = Query(default=None, ge=0, le=MAX_INT64),
) -> JSONResponse:
    """Deleted experiments, optionally only those deleted before a time."""
    visible = visible_experiment_ids(request)
    found = store.experiments.list_deleted_experiments(older_than_ms)
    items = [e for e in found if visible is None or e.experiment_id in visible]
    return JSONResponse({"items": [wire.experiment_out(e) for e in items]})


@router.get("/{experiment_id}", response_model=s.ExperimentOut)
def get_experiment(experiment_id: str, store: StoreDep) -> JSONResponse:
    """The experiment with that id."""
    return _experiment(store.experiments.get_experiment(experiment_id))


@router.patch("/{experiment_id}", response_model=s.Done)
def rename_experiment(experiment_id: str, body: s.ExperimentName, store: StoreDep) -> JSONResponse:
    """Rename an experiment."""
    store.experiments.rename_experiment(experiment_id, body.name)
    return JSONResponse(DONE)


@router.delete("/{experiment_id}", response_model=s.Done)
def delete_experiment(experiment_id: str, store: StoreDep) -> JSONResponse:
    """Soft-delete an experiment and its runs."""
    store.experiments.delete_experiment(experiment_id)
    return JSONResponse(DONE)


@router.post("/{experiment_id}/restore", response_model=s.Done)
def restore_experiment(experiment_id: str, store: StoreDep) -> JSONResponse:
    """Undo a soft delete."""
    store.experiments.restore_experiment(experiment_id)
    return JSONResponse(DONE)


@router.post("/{experiment_id}/tags", response_model=s.Done)
def set_experiment_tag(experiment_id: str, body: s.Tag, store: StoreDep) -> JSONResponse:
    """Set an experiment tag."""
    store.experiments.set_experiment_tag(experiment_id, body.key, body.value)
    return JSONResponse(DONE)


@router.post("/{experiment_id}/purge", response_model=s.Done)
def purge_experiment(experiment_id: str, store: StoreDep) -> JSONResponse:
    """Remove a deleted experiment's metadata for good."""
    store.experiments.purge_experiment(experiment_id)
    return JSONResponse(DONE)
