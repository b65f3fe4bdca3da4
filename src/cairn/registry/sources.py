"""Where a model to register lives: a model URI resolved to the ``source`` a version keeps,
with the run and logged model it came from.

``runs:/RUN/path`` becomes the run's artifact location joined with ``path`` (the folder
must hold an ``MLmodel``); ``models:/m-<id>`` is a logged model's folder; ``models:/NAME/3``,
``models:/NAME@alias`` and ``models:/NAME/Production`` copy that version's source; a local
folder holding an ``MLmodel`` is kept as its absolute path; any other URI (``s3://...``) is
kept as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from cairn.entities import RunInfo
    from cairn.store.base import Store

MODEL_URI_TAG = "cairn.model_uri"  # set by cairn.models.logging on a logged model


@dataclass(frozen=True, slots=True)
class ModelSource:
    """A version's files (``source``) and where they came from."""

    source: str
    run_id: str | None = None
    model_id: str | None = None


def resolve_model_source(store: Store, model_uri: str) -> ModelSource:
    """The source, run and logged model of ``model_uri``; InvalidInput or NotFound when it
    names no model."""
    if not isinstance(model_uri, str) or not model_uri.strip():
        raise InvalidInput(f"model URI must be a non-empty string, got {model_uri!r}")
    uri = model_uri.strip()
    if uri.startswith("runs:/"):
        return _run_model(store, uri)
    if uri.startswith("models:/"):
        return _registered(store, uri)
    if "://" in uri or uri.startswith(("s3:", "gs:", "abfs:", "hdfs:")):
        return ModelSource(uri)
    folder = Path(uri).expanduser()
    if not (folder / "MLmodel").is_file():
        raise InvalidInput(
            f"{uri!r} is not a model folder (no MLmodel file in it); give a folder written by "
            "save_model or a runs:/RUN_ID/PATH URI"
        )
    return ModelSource(str(folder.resolve()))


def _run_model(store: Store, uri: str) -> ModelSource:
    run_id, _, path = uri.removeprefix("runs:/").partition("/")
    path = path.strip("/")
    if not run_id or not path:
        raise InvalidInput(f"model URI {uri!r} is not runs:/RUN_ID/PATH (e.g. runs:/<id>/model)")
    info = store.runs.get_run(run_id).info
    files = store.artifact_store(info.artifact_uri, info.run_id)
    if not files.exists(f"{path}/MLmodel"):
        raise NotFound(
            f"run {info.run_id} has no model at {path!r} (no {path}/MLmodel among its "
            "artifacts); `cairn artifacts list` shows what the run logged"
        )
    return ModelSource(
        f"{info.artifact_uri.rstrip('/')}/{path}", info.run_id, _logged_model_of(store, info, uri)
    )


def _logged_model_of(store: Store, info: RunInfo, uri: str) -> str | None:
    """The logged model that ``uri`` was logged as, when the store recorded one."""
    page = store.logged_models.search_logged_models([info.experiment_id], max_results=1000)
    for model in page.items:
        if model.source_run_id == info.run_id and model.tags.get(MODEL_URI_TAG) == uri:
            return str(model.model_id)
    return None


def _registered(store: Store, uri: str) -> ModelSource:
    from cairn.models.uris import parse_models_uri, resolve_model_version

    ref = parse_models_uri(uri)
    if ref.model_id is not None:
        logged = store.logged_models.get_logged_model(ref.model_id)
        logged_uri = logged.tags.get(MODEL_URI_TAG, "")
        if logged_uri.startswith("runs:/"):
            found = _run_model(store, logged_uri)
            return ModelSource(found.source, found.run_id, logged.model_id)
        return ModelSource(logged.artifact_location, logged.source_run_id, logged.model_id)
    version = resolve_model_version(store, ref)
    return ModelSource(version.source, version.run_id, version.model_id)
