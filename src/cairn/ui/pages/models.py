"""The model registry pages: ``/models`` lists the registered models the caller may read,
``/models/{name}`` shows one with its aliases and versions, and
``/models/{name}/versions/{version}`` shows a version's lineage (run, data, code, signature)
and its audit trail. A model the caller may not read answers 404, as an unknown one.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cairn.entities import ModelVersion, RegisteredModel
from cairn.errors import InvalidInput, NotFound
from cairn.server.auth.visibility import model_reader
from cairn.server.deps import StoreDep
from cairn.store import Store
from cairn.ui import nav
from cairn.ui.lineage_view import lineage_view
from cairn.ui.model_lineage import lineage
from cairn.ui.templating import render

router = APIRouter()
nav.register("Models", "/models", order=35)

PER_PAGE = 50
ACTION_LABELS = {
    "model_version.create": "created",
    "model_version.update": "description changed",
    "model_version.set_tag": "tag set",
    "model_version.delete_tag": "tag removed",
    "model_version.transition_stage": "stage changed",
    "registered_model.set_alias": "alias set",
}


def readable_model(request: Request, store: Store, name: str) -> RegisteredModel:
    """The registered model ``name``; NotFound when absent or the caller may not read it."""
    if not model_reader(request)(name):
        raise NotFound(f"no registered model {name!r}")
    try:
        return store.registry.get_registered_model(name)
    except InvalidInput as exc:
        raise NotFound(f"no registered model {name!r}: {exc.message}") from exc


def _versions(store: Store, name: str) -> list[ModelVersion]:
    quoted = name.replace("'", "''")
    found: list[ModelVersion] = []
    token = None
    while True:
        page = store.registry.search_model_versions(
            f"name = '{quoted}'", 1000, ["version_number DESC"], token
        )
        found.extend(page.items)
        token = page.next_page_token
        if not token:
            return found


def _name_filter(needle: str) -> str | None:
    clean = needle.replace("'", "").replace("\\", "")
    return f"name ILIKE '%{clean}%'" if clean else None


@router.get("/models")
def models_page(
    request: Request, store: StoreDep, q: str = "", page_token: str | None = None
) -> Response:
    """Registered models the caller may read, most recently updated first."""
    needle = q.strip()
    page = store.registry.search_registered_models(
        _name_filter(needle), PER_PAGE, ["last_updated_timestamp DESC"], page_token or None
    )
    readable = model_reader(request)
    models = [m for m in page.items if readable(m.name)]
    latest = {m.name: max((v.version for v in m.latest_versions), default=None) for m in models}
    return render(
        request,
        "models.html",
        models=models,
        latest=latest,
        q=needle,
        next_token=page.next_page_token,
        first_page=not page_token,
    )


@router.get("/models/{name}")
def model_page(name: str, request: Request, store: StoreDep) -> Response:
    """One registered model: description, tags, aliases and every version."""
    model = readable_model(request, store, name)
    return render(request, "model.html", model=model, versions=_versions(store, model.name))


@router.get("/models/{name}/versions/{version}")
def version_page(name: str, version: str, request: Request, store: StoreDep) -> Response:
    """One version: its stage, aliases and tags, its lineage and its audit events."""
    model = readable_model(request, store, name)
    try:
        found = store.registry.get_model_version(model.name, version)
    except InvalidInput as exc:
        raise NotFound(f"no version {version!r} of {model.name!r}: {exc.message}") from exc
    return render(
        request,
        "model_version.html",
        model=model,
        version=found,
        lineage=lineage(request, store, found),
        graph=lineage_view(request, store, f"models:/{found.name}/{found.version}"),
        labels=ACTION_LABELS,
    )
