"""Model registry routes of the native API: registered models, their versions, tags,
aliases and legacy stages (what :class:`cairn.store.rest.registry.RestRegistryRepository`
calls). Checks and audit events happen in the store, as for every other client."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cairn.registry.protection import guarded_set_alias
from cairn.server.auth.visibility import grant_renamed_model, model_reader
from cairn.server.deps import StoreDep
from cairn.store.rest.registry import model_out, version_out

router = APIRouter(tags=["registry"])
MODEL = "/registered-models/{name}"
VERSION = "/registered-models/{name}/versions/{version}"


class CreateModel(BaseModel):
    name: str
    description: str | None = None
    tags: dict[str, str] = {}


class Search(BaseModel):
    filter_string: str | None = None
    max_results: int = 100
    order_by: list[str] = []
    page_token: str | None = None


class Describe(BaseModel):
    description: str | None = None


class Rename(BaseModel):
    new_name: str


class Tag(BaseModel):
    key: str
    value: str


class TagKey(BaseModel):
    key: str


class CreateVersion(BaseModel):
    source: str
    run_id: str | None = None
    description: str | None = None
    tags: dict[str, str] = {}
    model_id: str | None = None


class Alias(BaseModel):
    version: int
    force: bool = False
    reason: str | None = None


class Stage(BaseModel):
    stage: str
    archive_existing: bool = False


class Stages(BaseModel):
    stages: list[str] = []


OK = {"ok": True}


@router.post("/registered-models")
def create_registered_model(body: CreateModel, store: StoreDep) -> JSONResponse:
    """Add a registered model."""
    made = store.registry.create_registered_model(body.name, body.description, body.tags)
    return JSONResponse(model_out(made))


@router.post("/registered-models/search")
def search_registered_models(body: Search, request: Request, store: StoreDep) -> JSONResponse:
    """A page of registered models matching a filter string (those the caller may read)."""
    page = store.registry.search_registered_models(
        body.filter_string, body.max_results, body.order_by, body.page_token
    )
    readable = model_reader(request)
    items = [model_out(m) for m in page.items if readable(m.name)]
    return JSONResponse({"items": items, "next_page_token": page.next_page_token})


@router.get(MODEL)
def get_registered_model(name: str, store: StoreDep) -> JSONResponse:
    """One registered model."""
    return JSONResponse(model_out(store.registry.get_registered_model(name)))


@router.patch(MODEL)
def update_registered_model(name: str, body: Describe, store: StoreDep) -> JSONResponse:
    """Set a registered model's description."""
    return JSONResponse(model_out(store.registry.update_registered_model(name, body.description)))


@router.post(f"{MODEL}/rename")
def rename_registered_model(
    name: str, body: Rename, request: Request, store: StoreDep
) -> JSONResponse:
    """Rename a registered model (the caller keeps MANAGE on the new name)."""
    renamed = store.registry.rename_registered_model(name, body.new_name)
    grant_renamed_model(request, renamed.name)
    return JSONResponse(model_out(renamed))


@router.delete(MODEL)
def delete_registered_model(name: str, store: StoreDep) -> JSONResponse:
    """Remove a registered model with its versions."""
    store.registry.delete_registered_model(name)
    return JSONResponse(OK)


@router.post(f"{MODEL}/tags")
def set_registered_model_tag(name: str, body: Tag, store: StoreDep) -> JSONResponse:
    """Set a tag on a registered model."""
    store.registry.set_registered_model_tag(name, body.key, body.value)
    return JSONResponse(OK)


@router.post(f"{MODEL}/tags/delete")
def delete_registered_model_tag(name: str, body: TagKey, store: StoreDep) -> JSONResponse:
    """Remove a tag from a registered model."""
    store.registry.delete_registered_model_tag(name, body.key)
    return JSONResponse(OK)


@router.post(f"{MODEL}/latest-versions")
def get_latest_versions(name: str, body: Stages, store: StoreDep) -> JSONResponse:
    """The newest version in each stage."""
    found = store.registry.get_latest_versions(name, body.stages)
    return JSONResponse({"items": [version_out(v) for v in found]})


@router.put(f"{MODEL}/aliases/{{alias}}")
def set_alias(name: str, alias: str, body: Alias, store: StoreDep) -> JSONResponse:
    """Point an alias at a version (moving it in one transaction); a protected alias only to
    a version passing the model's gates, unless forced with a reason (audited)."""
    found = guarded_set_alias(
        store, name, alias, body.version, force=body.force, reason=body.reason
    )
    return JSONResponse(version_out(found))


@router.get(f"{MODEL}/aliases/{{alias}}")
def get_model_version_by_alias(name: str, alias: str, store: StoreDep) -> JSONResponse:
    """The version an alias points at."""
    return JSONResponse(version_out(store.registry.get_model_version_by_alias(name, alias)))


@router.delete(f"{MODEL}/aliases/{{alias}}")
def delete_alias(name: str, alias: str, store: StoreDep) -> JSONResponse:
    """Remove an alias."""
    store.registry.delete_alias(name, alias)
    return JSONResponse(OK)


@router.post(f"{MODEL}/versions")
def create_model_version(name: str, body: CreateVersion, store: StoreDep) -> JSONResponse:
    """Add the next version of a registered model."""
    made = store.registry.create_model_version(
        name, body.source, body.run_id, body.description, body.tags, body.model_id
    )
    return JSONResponse(version_out(made))


@router.post("/model-versions/search")
def search_model_versions(body: Search, request: Request, store: StoreDep) -> JSONResponse:
    """A page of model versions matching a filter string (of models the caller may read)."""
    page = store.registry.search_model_versions(
        body.filter_string, body.max_results, body.order_by, body.page_token
    )
    readable = model_reader(request)
    items = [version_out(v) for v in page.items if readable(v.name)]
    return JSONResponse({"items": items, "next_page_token": page.next_page_token})


@router.get(VERSION)
def get_model_version(name: str, version: str, store: StoreDep) -> JSONResponse:
    """One model version."""
    return JSONResponse(version_out(store.registry.get_model_version(name, version)))


@router.patch(VERSION)
def update_model_version(name: str, version: str, body: Describe, store: StoreDep) -> JSONResponse:
    """Set a version's description."""
    found = store.registry.update_model_version(name, version, body.description)
    return JSONResponse(version_out(found))


@router.delete(VERSION)
def delete_model_version(name: str, version: str, store: StoreDep) -> JSONResponse:
    """Remove a model version."""
    store.registry.delete_model_version(name, version)
    return JSONResponse(OK)


@router.post(f"{VERSION}/tags")
def set_model_version_tag(name: str, version: str, body: Tag, store: StoreDep) -> JSONResponse:
    """Set a tag on a model version."""
    store.registry.set_model_version_tag(name, version, body.key, body.value)
    return JSONResponse(OK)


@router.post(f"{VERSION}/tags/delete")
def delete_model_version_tag(
    name: str, version: str, body: TagKey, store: StoreDep
) -> JSONResponse:
    """Remove a tag from a model version."""
    store.registry.delete_model_version_tag(name, version, body.key)
    return JSONResponse(OK)


@router.post(f"{VERSION}/stage")
def transition_stage(name: str, version: str, body: Stage, store: StoreDep) -> JSONResponse:
    """Move a version to a legacy stage."""
    found = store.registry.transition_stage(name, version, body.stage, body.archive_existing)
    return JSONResponse(version_out(found))
