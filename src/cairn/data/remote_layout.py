"""A data remote's files: where each thing lives, and every read and write of them.

Layout under the remote's URL (a local folder or any fsspec URL)::

    objects/ab/cdef...        a large object (>= 1 MiB), stored loose under its oid
    packs/<P>.pack            small objects concatenated; P is the BLAKE3 of the pack's bytes
    packs/<P>.idx             the pack's index: oid -> offset, length (written after the pack)
    index/<T>-<S>.json        a segment of the remote index: the loose objects and packs the
                              remote holds; T is when it was written (ns), S the BLAKE3 of
                              its bytes. A segment is written only after the data it names
                              is complete; many are compacted into one (``remote_index``).

Every name is content-addressed, so files never change once written and two pushers can
write at once. Writes are atomic: on a local folder (and other backends with folders and a
rename, such as HDFS) a file is written under a temporary name beside its final one and
renamed; on object stores (S3, GCS, Azure) it is one PUT or a multipart upload, which
becomes visible only whole. A half-written object is therefore never seen; objects read
back are verified against their oid by the caller before they enter the cache.

Credentials never come from cairn's config: each backend reads its usual chain (environment
variables, profiles, instance roles). ``CAIRN_S3_ENDPOINT_URL`` (or ``AWS_ENDPOINT_URL``)
points ``s3://`` at an S3-compatible server.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cairn.errors import ConfigError, ObjectMissing, RemoteError
from cairn.extras import FILESYSTEM_MODULES, backend_errors, install_hint
from cairn.objects.hashing import hash_file
from cairn.objects.linking import copy_and_hash, copy_file

OBJECTS = "objects"
PACKS = "packs"
INDEX = "index"

# Object stores: a file is one PUT (or multipart upload), visible only whole. Every other
# backend (local, hdfs, sftp, ...) has folders and a rename: temporary name, then rename.
_OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oss"}
READ_BLOCK = 8 << 20
_NO_CREDENTIALS = {"NoCredentialsError", "PartialCredentialsError"}  # botocore's


def loose_path(oid: str) -> str:
    """Where a loose object lives on a remote."""
    return f"{OBJECTS}/{oid[:2]}/{oid[2:]}"


def pack_path(pack_oid: str) -> str:
    """Where a pack's bytes live on a remote."""
    return f"{PACKS}/{pack_oid}.pack"


def pack_index_path(pack_oid: str) -> str:
    """Where a pack's index lives on a remote."""
    return f"{PACKS}/{pack_oid}.idx"


def segment_path(name: str) -> str:
    """Where a segment of the remote index lives (``name`` is ``<time>-<oid>``)."""
    return f"{INDEX}/{name}.json"


def scheme_of(url: str) -> str:
    """The URL's scheme; ``file`` for a plain path."""
    return url.split("://", 1)[0].lower() if "://" in url else "file"


def storage_options(scheme: str) -> dict[str, Any]:
    """Options for a backend that cairn sets from its environment (never secrets)."""
    if scheme in ("s3", "s3a"):
        endpoint = os.environ.get("CAIRN_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            return {"client_kwargs": {"endpoint_url": endpoint}}
    return {}


def check_url(url: str) -> str:
    """Check that ``url`` names a folder or a known fsspec backend (:class:`ConfigError`
    otherwise); return what to install when that backend's package is missing here, else ""."""
    scheme = scheme_of(url)
    if not url.strip():
        raise ConfigError("a data remote URL must not be empty: give a folder or s3://bucket/path")
    if scheme == "file":
        return ""
    from fsspec.registry import get_filesystem_class, known_implementations, registry

    if scheme not in known_implementations and scheme not in registry:
        raise ConfigError(
            f"data remote URL {url!r} has an unknown scheme {scheme!r}: use a local folder, "
            "s3://, gs://, az:// or hdfs:// (any fsspec URL)"
        )
    try:
        get_filesystem_class(scheme)
    except ImportError:
        return install_advice(scheme)
    return ""


def install_advice(scheme: str) -> str:
    """What to install for a backend whose package is missing."""
    if scheme in ("hdfs", "webhdfs"):
        return "pip install pyarrow (and a Hadoop client with libhdfs)"
    module = FILESYSTEM_MODULES.get(scheme)
    return install_hint(module) if module else f"install the fsspec backend for {scheme}://"


class RemoteStorage:
    """The files of one data remote, addressed by layout paths (``objects/ab/...``)."""

    def __init__(self, name: str, url: str, fs: Any, root: str) -> None:
        self.name = name
        self.url = url
        self.fs = fs
        self.root = root.rstrip("/")
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        self.local = protocol in ("file", "local")
        self.renames = protocol not in _OBJECT_STORES
        self.requests = 0  # calls made to the backend, for tests and benchmarks
        self._lock = threading.Lock()

    @classmethod
    def open(cls, name: str, url: str, project_root: Path) -> RemoteStorage:
        """The storage of remote ``name`` at ``url`` (a relative folder is under the project)."""
        scheme = scheme_of(url)
        if scheme == "file":
            path = url[len("file://") :] if url.startswith("file://") else url
            folder = (project_root / Path(path).expanduser()).resolve()
            return cls(name, str(folder), LocalFolder(), str(folder))
        from fsspec.core import url_to_fs

        check_url(url)
        try:
            fs, root = url_to_fs(url, skip_instance_cache=True, **storage_options(scheme))
        except ImportError as exc:
            raise ConfigError(
                f"data remote {name!r} ({url}) needs the {scheme}:// backend: "
                f"{install_advice(scheme)}"
            ) from exc
        except (ValueError, OSError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RemoteError(f"cannot open data remote {name!r} ({url}): {first}") from exc
        return cls(name, url.rstrip("/"), fs, root)

    def __repr__(self) -> str:
        return f"RemoteStorage({self.name!r}, {self.url!r})"

    def uri(self, rel: str) -> str:
        """The full URL of a layout path, for messages."""
        return f"{self.url.rstrip('/')}/{rel}"

    def full(self, rel: str) -> str:
        """The backend path of a layout path."""
        return f"{self.root}/{rel}" if self.root else rel

    # -- errors -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def guard(self, action: str, rel: str) -> Iterator[None]:
        """Count one backend call; turn its failure while ``action``-ing ``rel`` into a
        one-line cairn error."""
        with self._lock:
            self.requests += 1
        try:
            yield
        except FileNotFoundError as exc:
            raise ObjectMissing(
                f"{self.uri(rel)} is missing on data remote {self.name!r} while {action}"
            ) from exc
        except backend_errors() as exc:
            raise self.explain(action, rel, exc) from exc

    def explain(self, action: str, rel: str, exc: BaseException) -> RemoteError:
        """A RemoteError saying what failed, why, and what to do."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = f"{action} {self.uri(rel)} (data remote {self.name!r})"
        if isinstance(exc, PermissionError) or type(exc).__name__ in _NO_CREDENTIALS:
            return RemoteError(
                f"{where} was refused: {text}. Check the credentials for {scheme_of(self.url)}:// "
                "(environment variables or profile) and that they may read and write there"
            )
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return RemoteError(f"{where} failed: the remote is full ({text}); free space and retry")
        if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES):
            return RemoteError(f"{where} failed: the remote refuses writes ({text})")
        return RemoteError(f"{where} failed: {text}")

    # -- reads ------------------------------------------------------------------------------

    def listdir(self, rel: str) -> list[tuple[str, int]]:
        """``(name, size)`` of the files directly under a layout folder; [] when absent."""
        full = self.full(rel)
        with self.guard("listing", rel):
            self.fs.invalidate_cache(full)
            try:
                entries = self.fs.ls(full, detail=True)
            except FileNotFoundError:
                return []
        found = []
        for entry in entries:
            if entry.get("type") == "directory":
                continue
            name = str(entry["name"]).rstrip("/").rsplit("/", 1)[-1]
            found.append((name, int(entry.get("size") or 0)))
        return found

    def size(self, rel: str) -> int | None:
        """The size of a file, or None when it does not exist."""
        with self.guard("checking", rel):
            try:
                info = self.fs.info(self.full(rel))
            except FileNotFoundError:
                return None
        return None if info.get("type") == "directory" else int(info.get("size") or 0)

    def read(self, rel: str) -> bytes:
        """A whole file's bytes."""
        with self.guard("reading", rel):
            return bytes(self.fs.cat_file(self.full(rel)))

    def read_range(self, rel: str, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` (exclusive) of a file (one ranged request)."""
        with self.guard("reading", rel):
            return bytes(self.fs.cat_file(self.full(rel), start=start, end=end))

    def read_chunks(self, rel: str, block: int = READ_BLOCK) -> Iterator[bytes]:
        """A file's bytes in blocks (streamed, for large objects)."""
        with self.guard("reading", rel), self.fs.open(self.full(rel), "rb") as handle:
            while chunk := handle.read(block):
                yield chunk

    def local_path(self, rel: str) -> Path:
        """The local file of a layout path (local remotes only)."""
        return Path(self.full(rel))

    # -- writes -----------------------------------------------------------------------------

    def write(self, rel: str, data: bytes) -> None:
        """Write a whole file atomically (temp + rename, or one PUT)."""
        full = self.full(rel)
        with self.guard("writing", rel):
            if self.local:
                tmp = self._local_tmp(full)
                try:
                    with open(tmp, "xb") as out:
                        out.write(data)
                    os.replace(tmp, full)
                except BaseException:
                    _unlink_quietly(tmp)
                    raise
            elif self.renames:
                self._renamed(full, lambda tmp: self.fs.pipe_file(tmp, data))
            else:
                self.fs.pipe_file(full, data)

    def upload(self, rel: str, src: Path, oid: str | None) -> None:
        """Copy the cache file ``src`` to ``rel`` atomically; when ``oid`` is given, check
        that the bytes hash to it (None: the caller vouches for them).

        On a local remote the copy itself is rehashed before the rename; elsewhere the source
        is checked first and then uploaded in one PUT (or one multipart upload).
        """
        full = self.full(rel)
        with self.guard("writing", rel):
            if self.local:
                tmp = self._local_tmp(full)
                try:
                    if oid is None:
                        copy_file(src, Path(tmp))
                    else:  # the copy is hashed as it is written
                        _require_oid(copy_and_hash(src, Path(tmp)), oid, src)
                    os.replace(tmp, full)
                except BaseException:
                    _unlink_quietly(tmp)
                    raise
                return
            if oid is not None:
                _require_oid(hash_file(src)[0], oid, src)
            if self.renames:
                self._renamed(full, lambda tmp: self.fs.put_file(str(src), tmp))
            else:
                self.fs.put_file(str(src), full)

    def delete(self, rel: str) -> None:
        """Remove a file (nothing happens when it is gone already)."""
        with self.guard("deleting", rel), contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self.full(rel))

    def _renamed(self, full: str, put: Callable[[str], object]) -> None:
        """``put`` the bytes under a temporary name beside ``full``, then rename it."""
        tmp = f"{full}.{secrets.token_hex(6)}.tmp"
        self.fs.makedirs(full.rsplit("/", 1)[0], exist_ok=True)
        try:
            put(tmp)
            self.fs.mv(tmp, full)
        except BaseException:
            with contextlib.suppress(*backend_errors()):
                self.fs.rm_file(tmp)
            raise

    def _local_tmp(self, full: str) -> str:
        folder = full.rsplit("/", 1)[0]
        os.makedirs(folder, exist_ok=True)
        return f"{full}.{secrets.token_hex(6)}.tmp"


class LocalFolder:
    """The few filesystem calls a remote makes, for a local folder, without importing fsspec
    (whose start-up costs more than an empty push)."""

    protocol = "file"

    def invalidate_cache(self, path: str | None = None) -> None:
        """Nothing is cached."""

    def ls(self, path: str, detail: bool = True) -> list[dict[str, Any]]:
        """The entries of a folder, as fsspec describes them."""
        with os.scandir(path) as entries:
            return [
                {"name": entry.path, "type": "directory" if entry.is_dir() else "file",
                 "size": 0 if entry.is_dir() else entry.stat().st_size}
                for entry in entries
            ]  # fmt: skip

    def info(self, path: str) -> dict[str, Any]:
        """The type and size of a path."""
        found = os.stat(path)
        return {"type": "directory" if os.path.isdir(path) else "file", "size": found.st_size}

    def cat_file(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        """Bytes ``start`` to ``end`` of a file (all of it by default)."""
        with open(path, "rb") as handle:
            if start:
                handle.seek(start)
            return handle.read() if end is None else handle.read(end - (start or 0))

    def open(self, path: str, mode: str = "rb") -> Any:
        """The file, opened."""
        return open(path, mode)  # noqa: SIM115 - the caller closes it

    def rm_file(self, path: str) -> None:
        """Delete a file."""
        os.unlink(path)


def _require_oid(got: str, oid: str, source: Path) -> None:
    """Raise CorruptObject unless the bytes of cache file ``source`` hashed to ``oid``."""
    from cairn.errors import CorruptObject

    if got != oid:
        raise CorruptObject(
            f"cache object {source} is corrupt: its bytes hash to {got}, not {oid}; nothing was "
            "pushed for it. Delete it and re-add the data (or fetch it from another remote)"
        )


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
