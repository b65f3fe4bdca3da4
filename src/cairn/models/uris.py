"""Model URIs: ``runs:/RUN/path``, ``models:/name/3``, ``models:/name@alias``,
``models:/name/Production`` (legacy stage), ``models:/name/latest``, ``models:/m-<id>``
(a logged model), local paths and any artifact URI — each resolved to a local folder."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from cairn.entities import ModelVersion
    from cairn.store.base import Store

__all__ = [
    "ModelRef",
    "download_model",
    "locate_model",
    "parse_models_uri",
    "resolve_model_version",
    "resolve_source",
]

_STAGES = {"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived"}
_NAME = re.compile(r"^[^/@]+$")


@dataclass(frozen=True)
class ModelRef:
    """A parsed ``models:/`` URI: a name plus exactly one of version, alias, stage or latest;
    or a logged model id."""

    name: str
    version: int | None = None
    alias: str | None = None
    stage: str | None = None
    latest: bool = False
    model_id: str | None = None


def parse_models_uri(uri: str) -> ModelRef:
    """Parse ``models:/...``; InvalidInput says which form was expected."""
    if not uri.startswith("models:/"):
        raise InvalidInput(f"{uri!r} is not a models:/ URI")
    body = uri[len("models:/") :].strip("/")
    if body.startswith("m-") and "/" not in body and "@" not in body:
        return ModelRef(name=body, model_id=body)
    if "@" in body and "/" not in body:
        name, alias = body.split("@", 1)
        if name and alias:
            return ModelRef(name=name, alias=alias)
    elif "/" in body:
        name, ref = body.rsplit("/", 1)
        if name and _NAME.match(name) and ref:
            if ref.isdigit():
                return ModelRef(name=name, version=int(ref))
            if ref.lower() == "latest":
                return ModelRef(name=name, latest=True)
            if ref.lower() in _STAGES:
                return ModelRef(name=name, stage=_STAGES[ref.lower()])
    raise InvalidInput(
        f"model URI {uri!r} is not models:/NAME/VERSION, models:/NAME@ALIAS, "
        "models:/NAME/STAGE or models:/NAME/latest"
    )


def resolve_model_version(store: Store, ref: ModelRef) -> ModelVersion:
    """The registry version a ``models:/`` reference points at; NotFound otherwise."""
    registry = store.registry
    if ref.alias is not None:
        return registry.get_model_version_by_alias(ref.name, ref.alias)
    if ref.version is not None:
        return registry.get_model_version(ref.name, ref.version)
    stages = [ref.stage] if ref.stage else None
    versions = registry.get_latest_versions(ref.name, stages)
    if not versions:
        where = f"in stage {ref.stage}" if ref.stage else "at all"
        raise NotFound(f"registered model {ref.name!r} has no version {where}")
    return max(versions, key=lambda v: v.version)


def _store() -> Store:
    from cairn.tracking.fluent import _client

    return _client().store


def locate_model(uri: str, store: Store | None = None) -> tuple[str, ModelVersion | None]:
    """The URI of the files a ``models:/`` URI names (registry ``source`` or a logged model's
    files) and the registry version it resolved to; other URIs come back unchanged."""
    if not uri.startswith("models:/"):
        return uri, None
    store = store or _store()
    ref = parse_models_uri(uri)
    if ref.model_id is not None:
        logged = store.logged_models.get_logged_model(ref.model_id)
        return logged.tags.get("cairn.model_uri") or logged.artifact_location, None
    version = resolve_model_version(store, ref)
    return _as_runs_uri(store, version.source, version.run_id), version


def resolve_source(uri: str, store: Store | None = None) -> str:
    """Turn ``models:/`` URIs into the URI of the files they name; others come back as given."""
    return locate_model(uri, store)[0]


def _as_runs_uri(store: Store, source: str, run_id: str | None) -> str:
    """``source`` as ``runs:/RUN/path`` when it lies under its run's artifacts, so the files
    are read the way the store reaches them (directly, or through a server's proxy)."""
    if not run_id or source.startswith("runs:/"):
        return source
    try:
        root = store.runs.get_run(run_id).info.artifact_uri.rstrip("/")
    except NotFound:
        return source
    if source == root or source.startswith(root + "/"):
        return f"runs:/{run_id}/{source[len(root) :].strip('/')}"
    return source


def _runs_uri(uri: str) -> tuple[str, str]:
    body = uri[len("runs:/") :].lstrip("/")
    run_id, _, path = body.partition("/")
    if not run_id:
        raise InvalidInput(f"model URI {uri!r} is not runs:/RUN_ID/PATH")
    return run_id, path.strip("/")


def download_model(
    uri: str | os.PathLike[str],
    dst: str | os.PathLike[str] | None = None,
    store: Store | None = None,
) -> Path:
    """A local folder holding the model ``uri`` names (a local path is used in place)."""
    from cairn.tracking.client import CairnClient

    text = os.fspath(uri)
    if not text:
        raise InvalidInput("model URI is empty")
    if text.startswith("models:/"):
        text = resolve_source(text, store)
    if text.startswith("runs:/"):
        run_id, path = _runs_uri(text)
        if store is not None:
            run = store.runs.get_run(run_id)
            artifacts = store.artifact_store(run.info.artifact_uri, run_id)
            return Path(artifacts.download(path or None, dst))
        from cairn.tracking.fluent import _client

        client: CairnClient = _client()
        return Path(client.download_artifacts(run_id, path or None, dst))
    if text.startswith("file://"):
        text = text[len("file://") :]
    if "://" not in text:
        local = Path(text).expanduser()
        if not local.exists():
            raise NotFound(f"no model at {local}")
        return local.parent if local.name == "MLmodel" and local.is_file() else local
    from cairn.artifacts import open_artifact_store

    return Path(open_artifact_store(text).download(None, dst))
