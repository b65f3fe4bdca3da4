"""Moving a stage's files between machines through the project's data remote.

A path (file or folder) becomes a :class:`Shipped` entry: its oid (a folder's is the oid of
its manifest) stored in an :class:`ObjectDB`. The client stores and pushes a stage's deps;
a worker fetches them into its own cache and places them in a scratch folder, then stores
and pushes the outs, which the client fetches and places in the workspace. Nothing but the
remote is shared, so a worker may be another machine.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cairn.data.fetch import fetch_objects
from cairn.data.materialize import DEFAULT_LINK, Materializer
from cairn.data.push import push_objects
from cairn.data.remote_index import RemoteIndex
from cairn.data.remote_layout import RemoteStorage
from cairn.data.walk import scan_folder
from cairn.errors import ObjectMissing
from cairn.objects.db import ObjectDB
from cairn.objects.manifest import Manifest

_JOBS = 4


@dataclass(frozen=True)
class Shipped:
    """One path of a stage (project-relative, POSIX): its oid, whether it is a folder, and
    (for a file) whether it is executable."""

    path: str
    oid: str
    is_dir: bool = False
    executable: bool = False


@dataclass(frozen=True)
class RemoteSpec:
    """A data remote as a worker can open it: its name and URL (a folder is absolute)."""

    name: str
    url: str

    @classmethod
    def of_project(cls, root: Path, name: str | None = None) -> RemoteSpec:
        """The project's remote ``name`` (or the default one); :class:`ConfigError` telling
        to ``cairn data remote add`` when there is none."""
        from cairn.data.remotes import get_remote

        remote = get_remote(root, name)
        storage = RemoteStorage.open(remote.name, remote.url, root)
        return cls(remote.name, storage.url)

    def index(self, cache_dir: Path | None = None) -> RemoteIndex:
        """The remote's index, loaded (one listing)."""
        storage = RemoteStorage.open(self.name, self.url, Path("/"))
        return RemoteIndex(storage, cache_dir).load()


def store_paths(
    cache: ObjectDB, base: Path, paths: Iterable[str], known: Mapping[str, str] | None = None
) -> list[Shipped]:
    """Store the files and folders at ``base/path`` in ``cache``; absent paths are left out.
    ``known`` (path -> oid) names files whose oid was computed already: present in the
    cache, they are not read again."""
    shipped = []
    for path in paths:
        full = base / path
        if full.is_dir():
            scan = scan_folder(full)
            entries = [
                (rel, cache.add_file(full / rel), found.signature[2], found.executable)
                for rel, found in sorted(scan.files.items())
            ]
            oid = cache.add_bytes(Manifest.from_entries(entries).to_bytes())
            shipped.append(Shipped(path, oid, is_dir=True))
        elif full.is_file():
            oid = (known or {}).get(path, "")
            if not (oid and cache.has(oid)):
                oid = cache.add_file(full)
            shipped.append(Shipped(path, oid, executable=os.access(full, os.X_OK)))
    return shipped


def _manifest(cache: ObjectDB, item: Shipped) -> Manifest:
    return Manifest.from_bytes(cache.read_bytes(item.oid), f"the manifest of {item.path}")


def push(
    cache: ObjectDB, remote: RemoteSpec, items: Iterable[Shipped], cache_dir: Path | None
) -> int:
    """Send the objects of ``items`` the remote lacks; how many were sent."""
    items = list(items)
    files = [item.oid for item in items if not item.is_dir]
    manifests = [item.oid for item in items if item.is_dir]
    for item in items:
        if item.is_dir:
            files += sorted(_manifest(cache, item).oids())
    if not files and not manifests:
        return 0
    result = push_objects(cache, remote.index(cache_dir), files, manifests, jobs=_JOBS)
    return result.pushed


def fetch(
    cache: ObjectDB, remote: RemoteSpec, items: Iterable[Shipped], cache_dir: Path | None
) -> None:
    """Bring the objects of ``items`` that ``cache`` lacks from the remote (manifests first,
    then their files); :class:`ObjectMissing` names what the remote does not hold."""
    items = list(items)
    if not items:
        return
    index = remote.index(cache_dir)
    _fetch(cache, index, [item.oid for item in items])
    files = {oid for item in items if item.is_dir for oid in _manifest(cache, item).oids()}
    _fetch(cache, index, sorted(files))


def _fetch(cache: ObjectDB, index: RemoteIndex, oids: list[str]) -> None:
    result = fetch_objects(cache, index, oids, jobs=_JOBS)
    if result.failed:
        raise result.failed[0]
    if result.absent:
        raise ObjectMissing(
            f"data remote {index.storage.name!r} ({index.storage.url}) lacks "
            f"{len(result.absent)} object(s) of this stage, e.g. {result.absent[0]}"
        )


def place(cache: ObjectDB, base: Path, items: Iterable[Shipped]) -> None:
    """Put each item at ``base/path`` from ``cache``, replacing what is there."""
    materializer = Materializer(cache, DEFAULT_LINK, {})
    for item in items:
        dest = base / item.path
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        elif dest.exists() or dest.is_symlink():
            dest.unlink()
        if not item.is_dir:
            dest.parent.mkdir(parents=True, exist_ok=True)
            materializer.place(item.oid, dest, item.executable)
            continue
        dest.mkdir(parents=True)
        for entry in _manifest(cache, item).entries:
            target = dest / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            materializer.place(entry.oid, target, entry.executable, entry.size)
