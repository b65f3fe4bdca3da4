"""Resumable uploads staged under the server's artifact destination.

Each upload is a folder ``<destination>/.cairn-uploads/<upload_id>/`` holding a
``manifest.json`` and one ``part-00000``-style file per part received, so every worker and
process of the server sees the same state. The upload id is derived from (run, path, size,
digest): a client that starts again, even from a new process, finds its parts still there.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

import blake3

from cairn.artifacts import ArtifactStore
from cairn.errors import ArtifactError, InvalidInput, NotFound
from cairn.server.v1.artifact_files import PendingFile

JOIN_BLOCK = 8 << 20  # parts are joined in big reads: hashing them uses every core

PART_SIZE = 16 << 20
MAX_UPLOAD_SIZE = 5 << 40  # 5 TiB, the largest object S3 accepts
STAGING = ".cairn-uploads"
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
_PART = re.compile(r"^part-(\d+)$")


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an upload will produce: the run's file, its size and digest, cut in parts."""

    upload_id: str
    run_id: str
    path: str
    size: int
    blake3: str
    part_size: int

    @property
    def part_count(self) -> int:
        """How many parts the file is cut into."""
        return -(-self.size // self.part_size)

    def part_length(self, index: int) -> int:
        """The exact size of part ``index``; InvalidInput for an index out of range."""
        if not 0 <= index < self.part_count:
            raise InvalidInput(
                f"part index {index} is out of range: upload {self.upload_id} has parts "
                f"0 to {self.part_count - 1}"
            )
        return min(self.part_size, self.size - index * self.part_size)


def upload_id_for(run_id: str, path: str, size: int, digest: str) -> str:
    """The id of the upload of this content to this run's path (the same on every call)."""
    key = "\0".join((run_id, path, str(size), digest)).encode()
    return blake3.blake3(key).hexdigest()[:32]


class Staging:
    """The uploads in progress on one artifact destination."""

    def __init__(self, destination: str) -> None:
        self._files = ArtifactStore(destination)
        self.fs = self._files.fs

    def _path(self, upload_id: str, name: str = "") -> str:
        if not _UPLOAD_ID.match(upload_id):
            raise InvalidInput(f"upload id {upload_id!r} is not 32 hexadecimal characters")
        return self._files.full_path(f"{STAGING}/{upload_id}/{name}".rstrip("/"))

    def open(self, run_id: str, path: str, size: int, digest: str) -> Manifest:
        """The upload of ``path`` with this size and digest, created unless it exists."""
        if not 0 <= size <= MAX_UPLOAD_SIZE:
            raise InvalidInput(f"upload size {size} must be between 0 and {MAX_UPLOAD_SIZE}")
        upload_id = upload_id_for(run_id, path, size, digest)
        try:
            return self.load(upload_id)
        except NotFound:
            pass
        manifest = Manifest(upload_id, run_id, path, size, digest, PART_SIZE)
        pending = PendingFile(self.fs, self._path(upload_id, "manifest.json"))
        pending.write(json.dumps(asdict(manifest)).encode())
        pending.commit()
        return manifest

    def load(self, upload_id: str) -> Manifest:
        """The manifest of an upload in progress; NotFound if there is none."""
        path = self._path(upload_id, "manifest.json")
        self.fs.invalidate_cache(self._path(upload_id))
        try:
            with self.fs.open(path, "rb") as handle:
                return Manifest(**json.loads(handle.read()))
        except FileNotFoundError as exc:
            raise NotFound(
                f"no upload {upload_id!r} in progress; start one with POST "
                "/api/v1/runs/<run_id>/artifacts/uploads"
            ) from exc
        except (OSError, ValueError, TypeError) as exc:
            raise ArtifactError(
                f"reading the manifest of upload {upload_id} failed: {exc}"
            ) from exc

    def received(self, manifest: Manifest) -> list[int]:
        """The indexes of the parts stored so far, in order."""
        folder = self._path(manifest.upload_id)
        self.fs.invalidate_cache(folder)
        try:
            names = self.fs.ls(folder, detail=False)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ArtifactError(f"listing upload {manifest.upload_id} failed: {exc}") from exc
        found = (_PART.match(str(name).rstrip("/").rsplit("/", 1)[-1]) for name in names)
        indexes = {int(m.group(1)) for m in found if m}
        return sorted(i for i in indexes if i < manifest.part_count)

    def part_writer(self, manifest: Manifest, index: int) -> PendingFile:
        """Where part ``index`` is written; it counts as received once committed."""
        manifest.part_length(index)
        return PendingFile(self.fs, self._path(manifest.upload_id, f"part-{index:05d}"))

    def assemble(self, manifest: Manifest, target: PendingFile) -> None:
        """Copy every part, in order, into ``target`` (which the caller commits or discards)."""
        for index in range(manifest.part_count):
            try:
                with self.fs.open(self._path(manifest.upload_id, f"part-{index:05d}"), "rb") as fh:
                    while block := fh.read(JOIN_BLOCK):
                        target.write(block)
            except FileNotFoundError as exc:
                raise NotFound(f"part {index} of upload {manifest.upload_id} is gone") from exc
            except OSError as exc:
                raise ArtifactError(
                    f"reading part {index} of upload {manifest.upload_id} failed: {exc}"
                ) from exc

    def remove(self, upload_id: str) -> None:
        """Delete an upload's folder (its parts and manifest)."""
        folder = self._path(upload_id)
        try:
            if self.fs.exists(folder):
                self.fs.rm(folder, recursive=True)
        except OSError as exc:
            raise ArtifactError(f"removing upload {upload_id} failed: {exc}") from exc
