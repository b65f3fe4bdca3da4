"""``log_model`` for every flavor: save into a temp folder, upload it as run artifacts, record
the logged model, and register it when asked."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput
from cairn.models.info import ModelInfo
from cairn.models.model import Model

if TYPE_CHECKING:
    from cairn.tracking.client import CairnClient

__all__ = ["MODEL_URI_TAG", "log_model_folder", "log_model_to_run"]

#: Tag on the logged-model record holding the ``runs:/`` URI of its files.
MODEL_URI_TAG = "cairn.model_uri"


def _artifact_path(artifact_path: str | None, name: str | None) -> str:
    from cairn.artifacts import clean_artifact_path

    if artifact_path and name and artifact_path != name:
        raise InvalidInput(f"give artifact_path or name, not both ({artifact_path!r} and {name!r})")
    path = clean_artifact_path(artifact_path or name or "model")
    if not path:
        raise InvalidInput("the model's artifact path is empty")
    return path


def log_model_folder(
    save: Callable[[Path, Model], Any],
    *,
    artifact_path: str | None = None,
    name: str | None = None,
    registered_model_name: str | None = None,
    model_type: str | None = None,
) -> ModelInfo:
    """Run ``save(folder, mlmodel)`` (a flavor's ``save_model`` that fills the given
    :class:`Model`) in a temp folder, then log the folder to the active run (one is started
    when none is active) under the artifact path."""
    from cairn.tracking.fluent import _ensure_run

    path = _artifact_path(artifact_path, name)
    if registered_model_name is not None:
        from cairn.store import registry_validation as rv

        if not str(registered_model_name).strip():
            raise InvalidInput("registered_model_name is empty")
        rv.model_name(registered_model_name)  # checked before anything is logged
    run = _ensure_run()
    run_id = run.info.run_id
    mlmodel, model_id = log_model_to_run(
        run.client, run_id, run.info.experiment_id, path, save, model_type=model_type
    )
    model_uri = f"runs:/{run_id}/{path}"
    version = None
    if registered_model_name:
        from cairn.registry import register_model

        version = register_model(model_uri, registered_model_name).version
    return ModelInfo(
        model_uri=model_uri,
        artifact_path=path,
        run_id=run_id,
        model_uuid=mlmodel.model_uuid,
        signature=mlmodel.signature,
        flavors=mlmodel.flavors,
        registered_model_version=version,
        model_id=model_id,
        utc_time_created=mlmodel.utc_time_created,
    )


def log_model_to_run(
    client: CairnClient,
    run_id: str,
    experiment_id: str,
    path: str,
    save: Callable[[Path, Model], Any],
    *,
    model_type: str | None = None,
) -> tuple[Model, str]:
    """Run ``save(folder, mlmodel)`` in a temp folder and log the folder under ``path`` of run
    ``run_id`` (of experiment ``experiment_id``), recording it as a logged model (READY, or
    FAILED when anything raised); returns the saved :class:`Model` and the logged model's id."""
    store = client.store
    logged = store.logged_models.create_logged_model(
        experiment_id,
        name=path.rsplit("/", 1)[-1],
        source_run_id=run_id,
        model_type=model_type,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="cairn-model-") as tmp:
            folder = Path(tmp) / "model"
            mlmodel = Model(artifact_path=path, run_id=run_id)
            mlmodel.extra["model_id"] = logged.model_id
            save(folder, mlmodel)
            mlmodel = Model.load(folder)
            client.log_artifacts(run_id, folder, path)
        model_uri = f"runs:/{run_id}/{path}"
        store.logged_models.set_logged_model_tags(logged.model_id, {MODEL_URI_TAG: model_uri})
        store.logged_models.finalize_logged_model(logged.model_id, "READY")
    except BaseException as exc:
        store.logged_models.finalize_logged_model(logged.model_id, "FAILED", str(exc)[:500])
        raise
    return mlmodel, logged.model_id
