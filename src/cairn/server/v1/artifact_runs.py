"""The run an artifact request names, and the checked location of the path it gives."""

from __future__ import annotations

from dataclasses import dataclass

from cairn.artifacts import ArtifactStore
from cairn.entities import LifecycleStage, RunInfo
from cairn.errors import ArtifactError, InvalidPath, InvalidState
from cairn.server.paths import checked_artifact_path
from cairn.store import Store
from cairn.store.validation import validate_run_id


@dataclass(frozen=True, slots=True)
class RunFiles:
    """A run and the artifact store rooted at its artifact URI."""

    info: RunInfo
    files: ArtifactStore

    def locate(self, raw: str | None, *, file: bool = False) -> tuple[str, str]:
        """``(relative path, path on the filesystem)`` for a path from a request.

        Encoded, climbing and absolute forms are refused, and so are links leading out of a
        local root; ``file=True`` also refuses the root itself.
        """
        rel = checked_artifact_path(raw)
        if file and not rel:
            raise InvalidPath("the artifact path must name a file, e.g. 'model/weights.bin'")
        return rel, self.files.full_path(rel)


def open_run_files(store: Store, run_id: str, *, for_write: bool = False) -> RunFiles:
    """The run's files; NotFound for an unknown run, InvalidState to write to a deleted one."""
    info = store.runs.get_run(validate_run_id(run_id)).info
    if for_write and info.lifecycle_stage != LifecycleStage.ACTIVE.value:
        raise InvalidState(f"run {info.run_id} is deleted; restore it before logging to it")
    files = store.artifact_store(info.artifact_uri, info.run_id)
    if not isinstance(files, ArtifactStore):
        raise ArtifactError(
            f"the artifact proxy cannot serve {info.artifact_uri!r}: its backend is not fsspec"
        )
    return RunFiles(info, files)
