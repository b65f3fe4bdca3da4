"""What every artifact store offers, and the parts that do not depend on where files live."""

from __future__ import annotations

import abc
import builtins
import os
from pathlib import Path

from cairn.artifacts.paths import clean_artifact_path, iter_local_files
from cairn.entities import FileInfo
from cairn.errors import NotFound


class Artifacts(abc.ABC):
    """A run's (or experiment's) files under ``root_uri``: local, fsspec, or a server's proxy."""

    root_uri: str

    @abc.abstractmethod
    def _put(self, src: Path, rel: str) -> None:
        """Store the local file ``src`` as ``rel`` (a clean relative path)."""

    @abc.abstractmethod
    def list(self, path: str | None = None) -> builtins.list[FileInfo]:
        """Files and folders directly under ``path`` (the root when None), sorted."""

    @abc.abstractmethod
    def log_bytes(self, data: bytes, artifact_file: str) -> str:
        """Write bytes to ``artifact_file`` (a file path under the root)."""

    @abc.abstractmethod
    def exists(self, path: str | None = None) -> bool:
        """True if a file or folder exists at ``path`` (the root when None)."""

    @abc.abstractmethod
    def read_bytes(self, path: str) -> bytes:
        """The content of one artifact file."""

    @abc.abstractmethod
    def download(self, path: str | None, dst: str | os.PathLike[str] | None = None) -> Path:
        """Copy an artifact file or folder to ``dst`` (a new temp folder when None)."""

    @abc.abstractmethod
    def delete_all(self) -> None:
        """Remove everything under the root."""

    def uri_of(self, path: str = "") -> str:
        """The URI of a path under this root."""
        rel = clean_artifact_path(path)
        return f"{self.root_uri}/{rel}" if rel else self.root_uri

    def log_file(self, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> str:
        """Store one local file under ``artifact_path`` (a folder); return its artifact path."""
        src = Path(local_path)
        if not src.is_file():
            raise NotFound(f"cannot log artifact {str(src)!r}: no such file")
        folder = clean_artifact_path(artifact_path)
        rel = f"{folder}/{src.name}" if folder else src.name
        self._put(src, rel)
        return rel

    def log_dir(
        self, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> builtins.list[str]:
        """Store a local folder's files under ``artifact_path``; return their artifact paths."""
        src = Path(local_dir)
        if not src.is_dir():
            raise NotFound(f"cannot log artifacts from {str(src)!r}: no such folder")
        folder = clean_artifact_path(artifact_path)
        written = []
        for full, rel in iter_local_files(src):
            target = f"{folder}/{rel}" if folder else rel
            self._put(full, target)
            written.append(target)
        return written

    def walk(self, path: str | None = None) -> builtins.list[FileInfo]:
        """Every file below ``path``, recursively."""
        found: builtins.list[FileInfo] = []
        for info in self.list(path):
            if info.is_dir:
                found.extend(self.walk(info.path))
            else:
                found.append(info)
        return found
