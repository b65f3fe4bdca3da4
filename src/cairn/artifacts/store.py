"""``ArtifactStore``: a run's (or experiment's) files on any fsspec filesystem.

A local folder by default; ``s3://``, ``gs://``, ``az://``, ``hdfs://`` through fsspec's
backends (the ``cairn[s3]``, ``[gcs]``, ``[azure]`` extras). Every path a user gives is
checked by :func:`cairn.artifacts.paths.clean_artifact_path` before any I/O.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from cairn.artifacts.base import Artifacts
from cairn.artifacts.paths import clean_artifact_path, ensure_inside
from cairn.entities import FileInfo
from cairn.errors import ArtifactError, ConfigError, InvalidPath, NotFound
from cairn.extras import FILESYSTEM_MODULES, backend_errors, install_hint


def _storage_options(scheme: str) -> dict[str, Any]:
    if scheme in ("s3", "s3a"):
        endpoint = os.environ.get("CAIRN_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            return {"client_kwargs": {"endpoint_url": endpoint}}
    return {}


class ArtifactStore(Artifacts):
    """Files under one root URI (``/abs/path``, ``file:///...``, ``s3://bucket/prefix`` ...)."""

    def __init__(self, root_uri: str, **storage_options: Any) -> None:
        self.root_uri = root_uri.rstrip("/")
        scheme = self.root_uri.split("://", 1)[0] if "://" in self.root_uri else "file"
        options = {**_storage_options(scheme), **storage_options}
        try:
            self.fs, self._root = url_to_fs(self.root_uri, **options)
        except ImportError as exc:
            module = FILESYSTEM_MODULES.get(scheme) or exc.name
            advice = f"needs {module}: {install_hint(module)}" if module else f"fails: {exc}"
            raise ConfigError(f"artifact location {root_uri!r} {advice}") from exc
        except ValueError as exc:
            raise ConfigError(f"artifact location {root_uri!r} is not usable: {exc}") from exc
        self._local = isinstance(self.fs, LocalFileSystem)
        self._errors = backend_errors()

    def _full(self, rel: str) -> str:
        if not rel:
            return self._root
        full = f"{self._root.rstrip('/')}/{rel}"
        if self._local:
            ensure_inside(Path(self._root), Path(full), "artifact path")
        return full

    def full_path(self, path: str | None = None) -> str:
        """The path on ``self.fs`` of an artifact path, refused if it leaves the root."""
        return self._full(clean_artifact_path(path))

    # -- writes -------------------------------------------------------------------------------

    def log_bytes(self, data: bytes, artifact_file: str) -> str:
        """Write bytes to ``artifact_file`` (a file path under the root)."""
        rel = clean_artifact_path(artifact_file, "artifact file")
        if not rel:
            raise InvalidPath("artifact file must name a file, e.g. 'config.json'")
        full = self._full(rel)
        try:
            self.fs.makedirs(full.rsplit("/", 1)[0], exist_ok=True)
            with self.fs.open(full, "wb") as handle:
                handle.write(data)
        except self._errors as exc:
            raise ArtifactError(
                f"writing artifact {rel!r} to {self.root_uri} failed: {exc}"
            ) from exc
        return rel

    def _put(self, src: Path, rel: str) -> None:
        full = self._full(rel)
        try:
            if self._local:
                Path(full).parent.mkdir(parents=True, exist_ok=True)
                tmp = f"{full}.tmp-{os.getpid()}"
                shutil.copyfile(src, tmp)
                os.replace(tmp, full)
            else:
                self.fs.put_file(str(src), full)
        except self._errors as exc:
            raise ArtifactError(f"copying {src} to {self.uri_of(rel)} failed: {exc}") from exc

    # -- reads --------------------------------------------------------------------------------

    def list(self, path: str | None = None) -> list[FileInfo]:
        """Files and folders directly under ``path`` (the root when None), sorted."""
        rel = clean_artifact_path(path)
        full = self._full(rel)
        try:
            if not self.fs.exists(full):
                return []
            if self.fs.isfile(full):
                return [FileInfo(rel, False, self.fs.size(full))]
            entries = self.fs.ls(full, detail=True)
        except self._errors as exc:
            raise ArtifactError(f"listing {self.uri_of(rel)} failed: {exc}") from exc
        infos = []
        base = self._root.rstrip("/")
        for entry in entries:
            name = entry["name"].rstrip("/")
            child = (
                name[len(base) + 1 :] if name.startswith(base + "/") else name.rsplit("/", 1)[-1]
            )
            if child == rel:
                continue
            is_dir = entry["type"] == "directory"
            infos.append(FileInfo(child, is_dir, None if is_dir else int(entry.get("size") or 0)))
        return sorted(infos, key=lambda f: f.path)

    def exists(self, path: str | None = None) -> bool:
        """True if a file or folder exists at ``path`` (the root when None)."""
        try:
            return bool(self.fs.exists(self._full(clean_artifact_path(path))))
        except self._errors as exc:
            raise ArtifactError(f"checking {self.uri_of(path or '')} failed: {exc}") from exc

    def read_bytes(self, path: str) -> bytes:
        """The content of one artifact file."""
        rel = clean_artifact_path(path)
        full = self._full(rel)
        try:
            with self.fs.open(full, "rb") as handle:
                return handle.read()
        except FileNotFoundError as exc:
            raise NotFound(f"no artifact {rel!r} under {self.root_uri}") from exc
        except IsADirectoryError as exc:
            raise InvalidPath(f"artifact {rel!r} is a folder; download it instead") from exc
        except self._errors as exc:
            raise ArtifactError(f"reading {self.uri_of(rel)} failed: {exc}") from exc

    def download(self, path: str | None, dst: str | os.PathLike[str] | None = None) -> Path:
        """Copy an artifact file or folder to ``dst`` (a new temp folder when None)."""
        rel = clean_artifact_path(path)
        full = self._full(rel)
        if not self.fs.exists(full):
            raise NotFound(f"no artifact {rel or '(root)'!r} under {self.root_uri}")
        dest = Path(dst) if dst is not None else Path(tempfile.mkdtemp(prefix="cairn-artifacts-"))
        dest.mkdir(parents=True, exist_ok=True)
        files = [FileInfo(rel, False)] if self.fs.isfile(full) else self.walk(rel)
        prefix = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        for info in files:
            local = ensure_inside(dest, dest / info.path[len(prefix) :], "download target")
            local.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.fs.get_file(self._full(info.path), str(local))
            except self._errors as exc:
                raise ArtifactError(f"downloading {self.uri_of(info.path)} failed: {exc}") from exc
        return dest / rel[len(prefix) :] if rel else dest

    def delete_all(self) -> None:
        """Remove everything under the root (used when purging a run or experiment)."""
        try:
            if self.fs.exists(self._root):
                self.fs.rm(self._root, recursive=True)
        except self._errors as exc:
            raise ArtifactError(f"deleting {self.root_uri} failed: {exc}") from exc


def open_artifact_store(root_uri: str, **storage_options: Any) -> ArtifactStore:
    """The artifact store for a root URI; a ``cairn.artifact_backends`` plugin wins for its scheme."""
    scheme = root_uri.split("://", 1)[0] if "://" in root_uri else "file"
    if scheme != "file":
        for ep in entry_points(group="cairn.artifact_backends"):
            if ep.name == scheme:
                return ep.load()(root_uri, **storage_options)  # type: ignore[no-any-return]
    return ArtifactStore(root_uri, **storage_options)
