"""Reading and writing one artifact file on an fsspec filesystem, in blocks.

A :class:`PendingFile` hashes what it is given and shows nothing at its path until
:meth:`PendingFile.commit`: on a local disk it writes a hidden temporary file beside the
target and renames it into place; on an object store it writes with ``autocommit=False``,
so the object appears only when the upload is completed (and :meth:`discard` aborts it).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import blake3
from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem

from cairn.errors import ArtifactError, InvalidInput, InvalidPath, NotFound

BLOCK = 1 << 20
_REMOTE_BLOCK = 8 << 20  # object-store write buffer (S3's minimum part is 5 MiB)
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def checked_digest(value: str | None, what: str = "X-Cairn-Blake3") -> str | None:
    """A lowercase 64-hex BLAKE3 digest, None when absent; InvalidInput when malformed."""
    if value is None:
        return None
    return required_digest(value, what)


def required_digest(value: str | None, what: str = "X-Cairn-Blake3") -> str:
    """A lowercase 64-hex BLAKE3 digest; InvalidInput when missing or malformed."""
    if value is None:
        raise InvalidInput(f"{what} is required: the BLAKE3 digest (64 hex characters) of the data")
    text = value.strip().lower()
    if not _DIGEST.match(text):
        raise InvalidInput(f"{what} {value!r} is not a BLAKE3 digest (64 hexadecimal characters)")
    return text


class PendingFile:
    """A file written block by block that becomes visible only when committed."""

    def __init__(self, fs: AbstractFileSystem, path: str) -> None:
        self.fs, self.path = fs, path
        self.size = 0
        self._hash = blake3.blake3(max_threads=blake3.blake3.AUTO)
        self._temp: Path | None = None
        try:
            if isinstance(fs, LocalFileSystem):
                target = Path(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                self._temp = target.with_name(f".cairn-tmp-{uuid.uuid4().hex}")
                self._handle: Any = self._temp.open("xb")
            else:
                self._handle = fs.open(path, "wb", autocommit=False, block_size=_REMOTE_BLOCK)
        except (FileExistsError, NotADirectoryError) as exc:
            raise InvalidPath(f"cannot write {path!r}: a parent folder is a file") from exc
        except OSError as exc:
            raise ArtifactError(f"opening {path!r} for writing failed: {exc}") from exc

    @property
    def blake3(self) -> str:
        """The hex digest of the bytes written so far."""
        return self._hash.hexdigest()

    def write(self, block: bytes) -> None:
        """Append ``block``."""
        try:
            self._handle.write(block)
        except OSError as exc:
            self.discard()
            raise ArtifactError(f"writing {self.path!r} failed: {exc}") from exc
        self._hash.update(block)
        self.size += len(block)

    def commit(self) -> None:
        """Move the written bytes into place."""
        try:
            self._handle.close()
            if self._temp is not None:
                os.replace(self._temp, self.path)
            else:
                self._handle.commit()
        except IsADirectoryError as exc:
            self.discard()
            raise InvalidPath(f"cannot write {self.path!r}: it is a folder") from exc
        except OSError as exc:
            self.discard()
            raise ArtifactError(f"storing {self.path!r} failed: {exc}") from exc

    def discard(self) -> None:
        """Throw the written bytes away; the target is left as it was."""
        try:
            if self._temp is not None:
                self._handle.close()
                self._temp.unlink(missing_ok=True)
            else:
                if not self._handle.closed:
                    self._handle.close()
                self._handle.discard()
        except OSError as exc:
            raise ArtifactError(f"discarding a partial {self.path!r} failed: {exc}") from exc


def file_size(fs: AbstractFileSystem, path: str, rel: str) -> int:
    """The size of the file at ``path``; NotFound if missing, InvalidPath for a folder."""
    try:
        info = fs.info(path)
    except FileNotFoundError as exc:
        raise NotFound(f"no artifact {rel!r}") from exc
    except OSError as exc:
        raise ArtifactError(f"reading {rel!r} failed: {exc}") from exc
    if info.get("type") == "directory":
        raise InvalidPath(
            f"artifact {rel or '(root)'!r} is a folder; list it or download its files"
        )
    return int(info.get("size") or 0)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte span a ``Range`` header asks for; None to send the whole file.

    Forms other than one ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` span are ignored, as
    RFC 9110 allows. A span starting past the end raises InvalidInput (answered with 416).
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if int(first) > (int(last) if last else start):
            return None
    else:
        start, end = max(size - int(last), 0), size - 1
    if start >= size:
        raise InvalidInput(f"range {header!r} starts past the end of the file ({size} bytes)")
    return start, end


def read_blocks(fs: AbstractFileSystem, path: str, start: int, end: int) -> Iterator[bytes]:
    """The bytes ``start..end`` (inclusive) of a file, in blocks of at most 1 MiB."""
    remaining = end - start + 1
    with fs.open(path, "rb") as handle:
        handle.seek(start)
        while remaining > 0:
            block = handle.read(min(BLOCK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block


def refuse_folder(fs: AbstractFileSystem, path: str, rel: str) -> None:
    """InvalidPath if a folder stands where the artifact file ``rel`` is to be written."""
    try:
        is_folder = fs.isdir(path)
    except OSError as exc:
        raise ArtifactError(f"checking {rel!r} failed: {exc}") from exc
    if is_folder:
        raise InvalidPath(f"artifact path {rel!r} is a folder; name a file inside it")


def open_target(fs: AbstractFileSystem, path: str, rel: str) -> PendingFile:
    """A pending write of the artifact file ``rel``."""
    refuse_folder(fs, path, rel)
    return PendingFile(fs, path)
