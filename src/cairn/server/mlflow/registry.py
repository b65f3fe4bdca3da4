"""MLflow's model registry endpoints (``/api/2.0/mlflow/registered-models/*`` and
``/model-versions/*``) over ``store.registry``, so ``MlflowClient`` registers models, moves
aliases and stages, searches, and ``mlflow.pyfunc.load_model("models:/name@alias")`` finds
the files.

``get-download-uri`` answers with a URI MLflow's client can read through the artifact proxy:
a version whose source lies under its run's artifacts (or reads ``runs:/RUN/path``) becomes
``mlflow-artifacts:/<experiment>/<run>/artifacts/<path>``, a logged model's
(``models:/m-...``) its own proxied location; any other source is returned as stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from cairn.entities import ModelVersion
from cairn.errors import NotFound
from cairn.registry.protection import guarded_set_alias
from cairn.server.auth.visibility import grant_renamed_model, model_reader
from cairn.server.deps import StoreDep
from cairn.server.mlflow import convert
from cairn.server.mlflow import registry_schemas as s
from cairn.server.mlflow.route import MlflowJsonRoute
from cairn.store import Store

models = APIRouter(prefix="/registered-models", route_class=MlflowJsonRoute)
versions = APIRouter(prefix="/model-versions", route_class=MlflowJsonRoute)
EMPTY: dict[str, object] = {}
MAX_VERSIONS_PAGE = 10_000  # MLflow's client asks for 10,000 versions by default


def _model_answer(store: Store, name: str) -> JSONResponse:
    found = store.registry.get_registered_model(name)
    return JSONResponse({"registered_model": s.registered_model(found)})


def _version_answer(found: ModelVersion) -> JSONResponse:
    return JSONResponse({"model_version": s.model_version(found)})


@models.post("/create")
def create_registered_model(body: s.CreateRegisteredModel, store: StoreDep) -> JSONResponse:
    """Add a registered model."""
    tags = {t.key: t.value for t in body.tags}
    made = store.registry.create_registered_model(body.name, body.description, tags)
    return JSONResponse({"registered_model": s.registered_model(made)})


@models.get("/get")
def get_registered_model(query: Annotated[s.ModelRef, Query()], store: StoreDep) -> JSONResponse:
    """One registered model."""
    return _model_answer(store, query.name)


@models.post("/rename")
def rename_registered_model(
    body: s.RenameRegisteredModel, request: Request, store: StoreDep
) -> JSONResponse:
    """Rename a registered model (the caller keeps MANAGE on the new name)."""
    store.registry.rename_registered_model(body.name, body.new_name)
    grant_renamed_model(request, body.new_name)
    return _model_answer(store, body.new_name)


@models.patch("/update")
def update_registered_model(body: s.UpdateRegisteredModel, store: StoreDep) -> JSONResponse:
    """Set a registered model's description."""
    store.registry.update_registered_model(body.name, body.description)
    return _model_answer(store, body.name)


@models.delete("/delete")
def delete_registered_model(body: s.ModelRef, store: StoreDep) -> JSONResponse:
    """Remove a registered model with its versions."""
    store.registry.delete_registered_model(body.name)
    return JSONResponse(EMPTY)


@models.get("/search")
def search_registered_models(
    query: Annotated[s.Search, Query()], request: Request, store: StoreDep
) -> JSONResponse:
    """A page of registered models matching a filter (those the caller may read)."""
    page = store.registry.search_registered_models(
        query.filter, query.max_results or 100, query.order_by, query.page_token
    )
    readable = model_reader(request)
    answer = {
        "registered_models": [s.registered_model(m) for m in page.items if readable(m.name)],
        "next_page_token": page.next_page_token,
    }
    return JSONResponse(convert.compact(answer))


@models.post("/get-latest-versions")
def get_latest_versions(body: s.LatestVersions, store: StoreDep) -> JSONResponse:
    """The newest version in each stage."""
    found = store.registry.get_latest_versions(body.name, body.stages)
    return JSONResponse(convert.compact({"model_versions": [s.model_version(v) for v in found]}))


@models.post("/set-tag")
def set_registered_model_tag(body: s.ModelTag, store: StoreDep) -> JSONResponse:
    """Set a tag on a registered model."""
    store.registry.set_registered_model_tag(body.name, body.key, body.value)
    return JSONResponse(EMPTY)


@models.delete("/delete-tag")
def delete_registered_model_tag(body: s.ModelTagKey, store: StoreDep) -> JSONResponse:
    """Remove a tag from a registered model."""
    store.registry.delete_registered_model_tag(body.name, body.key)
    return JSONResponse(EMPTY)


@models.post("/alias")
def set_alias(body: s.SetAlias, store: StoreDep) -> JSONResponse:
    """Point an alias at a version (a protected alias only to one passing the model's gates:
    MLflow's clients cannot force, so a failing version is refused with INVALID_STATE)."""
    guarded_set_alias(store, body.name, body.alias, body.version)
    return JSONResponse(EMPTY)


@models.delete("/alias")
def delete_alias(body: s.AliasRef, store: StoreDep) -> JSONResponse:
    """Remove an alias."""
    store.registry.delete_alias(body.name, body.alias)
    return JSONResponse(EMPTY)


@models.get("/alias")
def get_model_version_by_alias(
    query: Annotated[s.AliasRef, Query()], store: StoreDep
) -> JSONResponse:
    """The version an alias points at."""
    return _version_answer(store.registry.get_model_version_by_alias(query.name, query.alias))


@versions.post("/create")
def create_model_version(body: s.CreateModelVersion, store: StoreDep) -> JSONResponse:
    """Add the next version of a registered model."""
    tags = {t.key: t.value for t in body.tags}
    model_id = body.model_id
    if model_id is None and body.source.startswith("models:/m-"):
        model_id = body.source.removeprefix("models:/").split("/")[0]
    made = store.registry.create_model_version(
        body.name, body.source, body.run_id, body.description, tags, model_id
    )
    return _version_answer(made)


@versions.get("/get")
def get_model_version(query: Annotated[s.VersionRef, Query()], store: StoreDep) -> JSONResponse:
    """One model version."""
    return _version_answer(store.registry.get_model_version(query.name, query.version))


@versions.patch("/update")
def update_model_version(body: s.UpdateModelVersion, store: StoreDep) -> JSONResponse:
    """Set a version's description."""
    return _version_answer(
        store.registry.update_model_version(body.name, body.version, body.description)
    )


@versions.delete("/delete")
def delete_model_version(body: s.VersionRef, store: StoreDep) -> JSONResponse:
    """Remove a model version."""
    store.registry.delete_model_version(body.name, body.version)
    return JSONResponse(EMPTY)


@versions.get("/search")
def search_model_versions(
    query: Annotated[s.Search, Query()], request: Request, store: StoreDep
) -> JSONResponse:
    """A page of model versions matching a filter (of models the caller may read)."""
    size = min(query.max_results or MAX_VERSIONS_PAGE, MAX_VERSIONS_PAGE)
    page = store.registry.search_model_versions(
        query.filter, size, query.order_by, query.page_token
    )
    readable = model_reader(request)
    answer = {
        "model_versions": [s.model_version(v) for v in page.items if readable(v.name)],
        "next_page_token": page.next_page_token,
    }
    return JSONResponse(convert.compact(answer))


@versions.get("/get-download-uri")
def get_download_uri(query: Annotated[s.VersionRef, Query()], store: StoreDep) -> JSONResponse:
    """Where MLflow's client downloads a version's files from."""
    found = store.registry.get_model_version(query.name, query.version)
    return JSONResponse({"artifact_uri": download_uri(store, found)})


@versions.post("/transition-stage")
def transition_stage(body: s.TransitionStage, store: StoreDep) -> JSONResponse:
    """Move a version to a legacy stage."""
    return _version_answer(
        store.registry.transition_stage(
            body.name, body.version, body.stage, body.archive_existing_versions
        )
    )


@versions.post("/set-tag")
def set_model_version_tag(body: s.VersionTag, store: StoreDep) -> JSONResponse:
    """Set a tag on a model version."""
    store.registry.set_model_version_tag(body.name, body.version, body.key, body.value)
    return JSONResponse(EMPTY)


@versions.delete("/delete-tag")
def delete_model_version_tag(body: s.VersionTagKey, store: StoreDep) -> JSONResponse:
    """Remove a tag from a model version."""
    store.registry.delete_model_version_tag(body.name, body.version, body.key)
    return JSONResponse(EMPTY)


def download_uri(store: Store, version: ModelVersion) -> str:
    """The proxied URI of a version's files (its source when it names no run or model)."""
    source = version.source
    if source.startswith("models:/m-") and version.model_id:
        try:
            model = store.logged_models.get_logged_model(version.model_id)
        except NotFound:
            return source
        return convert.model_artifact_uri(model.experiment_id, model.model_id)
    if source.startswith("runs:/"):
        run_id, _, path = source.removeprefix("runs:/").partition("/")
        info = store.runs.get_run(run_id).info
        return _joined(convert.run_artifact_uri(info.experiment_id, info.run_id), path)
    if version.run_id:
        try:
            info = store.runs.get_run(version.run_id).info
        except NotFound:
            return source
        root = info.artifact_uri.rstrip("/")
        if source == root or source.startswith(root + "/"):
            path = source[len(root) :].strip("/")
            return _joined(convert.run_artifact_uri(info.experiment_id, info.run_id), path)
    return source


def _joined(base: str, path: str) -> str:
    return f"{base}/{path.strip('/')}" if path.strip("/") else base
