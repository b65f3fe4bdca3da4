"""Logged-model routes of the native API: create, read, search, finalize, tags, params,
metrics, delete and artifact records."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from cairn.entities import LoggedModel, ModelMetric
from cairn.errors import PermissionDenied
from cairn.server.auth.visibility import visible_experiment_ids
from cairn.server.deps import StoreDep
from cairn.server.v1 import model_io_schemas as m
from cairn.server.v1 import schemas as s
from cairn.store.rest import wire

router = APIRouter(prefix="/logged-models", tags=["logged-models"])

DONE = {"ok": True}


def _model(model: LoggedModel) -> JSONResponse:
    return JSONResponse(wire.logged_model_out(model))


@router.post("", response_model=m.LoggedModelOut)
def create_logged_model(body: m.CreateLoggedModel, store: StoreDep) -> JSONResponse:
    """Create a PENDING logged model in an active experiment."""
    return _model(
        store.logged_models.create_logged_model(
            body.experiment_id,
            name=body.name,
            source_run_id=body.source_run_id,
            model_type=body.model_type,
            tags=body.tags,
            params=body.params,
        )
    )


@router.post("/search", response_model=m.LoggedModelPage)
def search_logged_models(
    body: m.SearchLoggedModels, request: Request, store: StoreDep
) -> JSONResponse:
    """A page of active logged models matching a filter."""
    visible = visible_experiment_ids(request)
    if visible is not None:
        hidden = [e for e in body.experiment_ids if e not in visible]
        if hidden:
            raise PermissionDenied(f"you may not read experiment {hidden[0]}")
    page = store.logged_models.search_logged_models(
        body.experiment_ids,
        body.filter_string,
        body.max_results,
        body.order_by,
        body.page_token,
        [(d.name, d.digest) for d in body.datasets],
    )
    return JSONResponse(
        {
            "items": [wire.logged_model_out(x) for x in page.items],
            "next_page_token": page.next_page_token,
        }
    )


@router.get("/{model_id}", response_model=m.LoggedModelOut)
def get_logged_model(
    model_id: str, store: StoreDep, allow_deleted: bool = Query(default=False)
) -> JSONResponse:
    """A logged model (a deleted one only with ``allow_deleted``)."""
    return _model(store.logged_models.get_logged_model(model_id, allow_deleted=allow_deleted))


@router.patch("/{model_id}", response_model=m.LoggedModelOut)
def finalize_logged_model(
    model_id: str, body: m.FinalizeLoggedModel, store: StoreDep
) -> JSONResponse:
    """Set a logged model's status (READY once its files are uploaded, or FAILED)."""
    return _model(
        store.logged_models.finalize_logged_model(model_id, body.status, body.status_message)
    )


@router.delete("/{model_id}", response_model=s.Done)
def delete_logged_model(model_id: str, store: StoreDep) -> JSONResponse:
    """Soft-delete a logged model."""
    store.logged_models.delete_logged_model(model_id)
    return JSONResponse(DONE)


@router.post("/{model_id}/tags", response_model=s.Done)
def set_logged_model_tags(model_id: str, body: m.LoggedModelTags, store: StoreDep) -> JSONResponse:
    """Set (or overwrite) tags of a logged model."""
    store.logged_models.set_logged_model_tags(model_id, body.tags)
    return JSONResponse(DONE)


@router.post("/{model_id}/tags/delete", response_model=s.Done)
def delete_logged_model_tag(model_id: str, body: s.TagKey, store: StoreDep) -> JSONResponse:
    """Remove a tag of a logged model."""
    store.logged_models.delete_logged_model_tag(model_id, body.key)
    return JSONResponse(DONE)


@router.post("/{model_id}/params", response_model=s.Done)
def log_logged_model_params(
    model_id: str, body: m.LoggedModelParams, store: StoreDep
) -> JSONResponse:
    """Log params of a logged model (immutable, like a run's)."""
    store.logged_models.log_logged_model_params(model_id, body.params)
    return JSONResponse(DONE)


@router.post("/{model_id}/metrics", response_model=s.Done)
def log_logged_model_metrics(
    model_id: str, body: m.LogModelMetrics, store: StoreDep
) -> JSONResponse:
    """Record metric points of a logged model."""
    store.logged_models.log_logged_model_metrics(
        model_id,
        [
            ModelMetric(
                p.key, p.value, p.timestamp, p.step, p.run_id, p.dataset_name, p.dataset_digest
            )
            for p in body.metrics
        ],
    )
    return JSONResponse(DONE)


@router.post("/{model_id}/artifact-records", response_model=s.Done)
def record_logged_model_artifacts(
    model_id: str, body: s.RecordArtifacts, store: StoreDep
) -> JSONResponse:
    """Note in the audit trail that files were stored for a logged model."""
    store.logged_models.record_logged_model_artifacts(
        model_id, {path: facts.model_dump() for path, facts in body.files.items()}
    )
    return JSONResponse(DONE)
