"""Where the artifact proxy's paths lead: the files of a run or of a logged model.

MLflow's client addresses a run's files as ``<experiment_id>/<run_id>/artifacts/<path>``
and a logged model's as ``<experiment_id>/models/<model_id>/artifacts/<path>`` (the URIs
:mod:`cairn.server.mlflow.convert` hands out). Those map onto the run's own artifact URI and
the model's artifact location, wherever they are; any other path names nothing. The
experiment in the path must be the owner's, so a path cannot borrow another experiment's
permissions. Every path goes through :func:`cairn.server.paths.checked_artifact_path`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cairn.artifacts import ArtifactStore, open_artifact_store
from cairn.entities import LifecycleStage
from cairn.errors import InvalidState, NotFound
from cairn.server.paths import checked_artifact_path
from cairn.store import Store

LAYOUT = (
    "<experiment_id>/<run_id>/artifacts/<path> or "
    "<experiment_id>/models/<model_id>/artifacts/<path>"
)


@dataclass(frozen=True, slots=True)
class Location:
    """A path under the artifact root of a run or a logged model."""

    files: ArtifactStore
    path: str
    run_id: str | None = None
    model_id: str | None = None

    def record(self, store: Store, facts: dict[str, Any]) -> None:
        """Note a stored file (its size and digest) in the owner's audit trail."""
        files = {self.path: facts}
        if self.run_id is not None:
            store.runs.record_artifacts(self.run_id, files)
        else:
            store.logged_models.record_logged_model_artifacts(str(self.model_id), files)


def locate(store: Store, raw: str | None, writing: bool = False) -> Location:
    """The location ``raw`` names; NotFound for a path naming no run or model files."""
    path = checked_artifact_path(raw)
    parts = path.split("/") if path else []
    if len(parts) >= 3 and parts[1] != "models" and parts[2] == "artifacts":
        return _run_files(store, parts[0], parts[1], "/".join(parts[3:]), writing)
    if len(parts) >= 4 and parts[1] == "models" and parts[3] == "artifacts":
        return _model_files(store, parts[0], parts[2], "/".join(parts[4:]))
    raise NotFound(f"no artifacts at {path!r}: proxied artifact paths read {LAYOUT}")


def _run_files(store: Store, experiment_id: str, run_id: str, path: str, writing: bool) -> Location:
    info = store.runs.get_run(run_id).info
    if info.experiment_id != experiment_id:
        raise NotFound(f"run {run_id} is not in experiment {experiment_id!r}")
    if writing and info.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidState(f"run {run_id} is deleted; restore it before changing its files")
    files = store.artifact_store(info.artifact_uri, info.run_id)
    return Location(files, path, run_id=info.run_id)


def _model_files(store: Store, experiment_id: str, model_id: str, path: str) -> Location:
    model = store.logged_models.get_logged_model(model_id)
    if model.experiment_id != experiment_id:
        raise NotFound(f"logged model {model_id} is not in experiment {experiment_id!r}")
    return Location(open_artifact_store(model.artifact_location), path, model_id=model_id)
