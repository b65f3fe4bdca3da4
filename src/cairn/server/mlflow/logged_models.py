"""MLflow 3's logged-model endpoints (``/api/2.0/mlflow/logged-models``), which its client
calls when it logs and loads a model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from cairn.artifacts import open_artifact_store
from cairn.entities import LifecycleStage
from cairn.errors import InvalidInput
from cairn.server.auth.visibility import visible_experiment_ids
from cairn.server.deps import StoreDep
from cairn.server.mlflow import convert
from cairn.server.mlflow import schemas as s
from cairn.server.mlflow.artifacts import children
from cairn.server.mlflow.route import MlflowJsonRoute
from cairn.server.paths import checked_artifact_path
from cairn.store.search import ATTRIBUTE
from cairn.store.search.fields import PLURAL

router = APIRouter(prefix="/logged-models", route_class=MlflowJsonRoute)

EMPTY: dict[str, object] = {}


@router.post("")
def create_logged_model(body: s.CreateLoggedModel, store: StoreDep) -> JSONResponse:
    """Create a PENDING logged model, its files to come under its artifact URI."""
    model = store.logged_models.create_logged_model(
        body.experiment_id,
        name=body.name,
        source_run_id=body.source_run_id,
        model_type=body.model_type,
        tags={t.key: t.value for t in body.tags},
        params={p.key: p.value for p in body.params},
    )
    return JSONResponse({"model": convert.logged_model(model)})


@router.post("/search")
def search_logged_models(
    body: s.SearchLoggedModels, request: Request, store: StoreDep
) -> JSONResponse:
    """A page of the logged models of the experiments named (those the caller may see)."""
    visible = visible_experiment_ids(request)
    ids = [e for e in body.experiment_ids if visible is None or e in visible]
    if not ids:
        return JSONResponse(EMPTY)
    page = store.logged_models.search_logged_models(
        ids,
        body.filter,
        body.max_results,
        [_order_item(o) for o in body.order_by],
        body.page_token,
        [(d.dataset_name, d.dataset_digest) for d in body.datasets],
    )
    return JSONResponse(
        convert.compact(
            {
                "models": [convert.logged_model(m) for m in page.items],
                "next_page_token": page.next_page_token,
            }
        )
    )


@router.get("/{model_id}")
def get_logged_model(
    model_id: str, query: Annotated[s.GetLoggedModel, Query()], store: StoreDep
) -> JSONResponse:
    """One logged model (a deleted one only with ``allow_deleted=true``)."""
    model = store.logged_models.get_logged_model(model_id, allow_deleted=query.allow_deleted)
    return JSONResponse({"model": convert.logged_model(model)})


@router.patch("/{model_id}")
def finalize_logged_model(
    model_id: str, body: s.FinalizeLoggedModel, store: StoreDep
) -> JSONResponse:
    """Set the model's status once its files are uploaded (or failed to)."""
    _same_model(model_id, body.model_id)
    model = store.logged_models.finalize_logged_model(
        model_id, convert.MODEL_STATUS_IN[body.status]
    )
    return JSONResponse({"model": convert.logged_model(model)})


@router.delete("/{model_id}")
def delete_logged_model(model_id: str, store: StoreDep) -> JSONResponse:
    """Soft-delete a logged model (a deleted model stays deleted, as in MLflow)."""
    model = store.logged_models.get_logged_model(model_id, allow_deleted=True)
    if model.lifecycle_stage != LifecycleStage.DELETED:
        store.logged_models.delete_logged_model(model_id)
    return JSONResponse(EMPTY)


@router.patch("/{model_id}/tags")
def set_logged_model_tags(
    model_id: str, body: s.SetLoggedModelTags, store: StoreDep
) -> JSONResponse:
    """Set (or overwrite) tags of a logged model."""
    _same_model(model_id, body.model_id)
    store.logged_models.set_logged_model_tags(model_id, {t.key: t.value for t in body.tags})
    return JSONResponse(EMPTY)


@router.delete("/{model_id}/tags/{tag_key:path}")
def delete_logged_model_tag(model_id: str, tag_key: str, store: StoreDep) -> JSONResponse:
    """Remove a tag of a logged model."""
    store.logged_models.delete_logged_model_tag(model_id, tag_key)
    return JSONResponse(EMPTY)


@router.post("/{model_id}/params")
def log_logged_model_params(
    model_id: str, body: s.LogLoggedModelParams, store: StoreDep
) -> JSONResponse:
    """Log params of a logged model (immutable, like a run's)."""
    _same_model(model_id, body.model_id)
    store.logged_models.log_logged_model_params(model_id, {p.key: p.value for p in body.params})
    return JSONResponse(EMPTY)


@router.get("/{model_id}/artifacts/directories")
def list_logged_model_artifacts(
    model_id: str, query: Annotated[s.ListLoggedModelArtifacts, Query()], store: StoreDep
) -> JSONResponse:
    """A logged model's files and folders directly under a folder, named from its root."""
    model = store.logged_models.get_logged_model(model_id)
    path = checked_artifact_path(query.artifact_directory_path)
    files = children(open_artifact_store(model.artifact_location), path)
    return JSONResponse(
        convert.compact(
            {
                "root_uri": convert.model_artifact_uri(model.experiment_id, model.model_id),
                "files": [convert.file_info(f, f.path) for f in files],
            }
        )
    )


def _same_model(path_id: str, body_id: str | None) -> None:
    if body_id and body_id != path_id:
        raise InvalidInput(f"model_id {body_id!r} in the body differs from {path_id!r} in the path")


def _order_item(order: s.OrderBy) -> str:
    """An order-by item in the filter grammar (a bare name is an attribute)."""
    field = order.field_name
    if "." not in field:
        field = f"{PLURAL[ATTRIBUTE]}.{field}"
    return f"{field} {'ASC' if order.ascending else 'DESC'}"
