"""``cairn data status``: how the workspace differs from the pointers.

For each pointer: is the data there, does its content match, which files of a folder were
added, modified or deleted, and are the objects the pointer needs in the cache. Only files
whose inode, mtime or size changed since the state index saw them are read.
"""

from __future__ import annotations

import os
import stat as stat_module
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data.current import file_oid, folder_oids
from cairn.data.pointer import Pointer
from cairn.data.progress import QUIET, Reporter
from cairn.data.status_tree import compare_with_tree, tree_of
from cairn.data.walk import Scan, scan_folder, scan_rows
from cairn.errors import ObjectMissing

if TYPE_CHECKING:
    from cairn.data.workspace import Workspace
    from cairn.objects.db import ObjectDB

CLEAN = "clean"
MODIFIED = "modified"
MISSING = "missing"  # the data is not in the workspace
UNKNOWN = "unknown"  # a folder whose manifest is not in the cache: cannot compare


@dataclass
class DatasetStatus:
    """The status of one tracked path."""

    path: str
    pointer_path: str
    pointer: Pointer
    state: str = CLEAN
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    not_in_cache: int = 0  # objects the pointer needs that the cache lacks
    manifest_missing: bool = False

    @property
    def clean(self) -> bool:
        """Whether the workspace matches the pointer and the cache holds everything."""
        return self.state == CLEAN and not self.not_in_cache

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "path": self.path, "pointer": self.pointer_path, "kind": self.pointer.kind,
            "state": self.state, "added": self.added, "modified": self.modified,
            "deleted": self.deleted, "not_in_cache": self.not_in_cache,
            "manifest_missing": self.manifest_missing, "clean": self.clean,
        }  # fmt: skip


@dataclass
class StatusReport:
    """The status of every tracked path asked about."""

    datasets: list[DatasetStatus]

    @property
    def clean(self) -> bool:
        """Whether nothing differs."""
        return all(d.clean for d in self.datasets)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"clean": self.clean, "datasets": [d.to_dict() for d in self.datasets]}


def status(
    workspace: Workspace,
    targets: Iterable[str | Path] | None = None,
    *,
    cwd: Path | None = None,
    reporter: Reporter = QUIET,
) -> StatusReport:
    """Compare the workspace with the pointers named by ``targets`` (default: all)."""
    found = workspace.pointers(targets, cwd)
    cache = workspace.cache
    results = []
    for pointer_path, pointer in found:
        data = workspace.data_path(pointer_path, pointer)
        entry = DatasetStatus(workspace.rel(data), workspace.display(pointer_path), pointer)
        if pointer.is_dir:
            _folder_status(workspace, data, entry, cache, reporter)
        else:
            _file_status(workspace, data, entry, cache)
        results.append(entry)
    return StatusReport(results)


def _file_status(workspace: Workspace, data: Path, entry: DatasetStatus, cache: ObjectDB) -> None:
    entry.not_in_cache = 0 if cache.has(entry.pointer.oid) else 1
    try:
        st = os.stat(data)
    except FileNotFoundError:
        entry.state = MISSING
        return
    if not stat_module.S_ISREG(st.st_mode):
        entry.state = MODIFIED  # a folder where a file was
        return
    if file_oid(workspace, data, st) != entry.pointer.oid:
        entry.state = MODIFIED


def _folder_status(
    workspace: Workspace,
    data: Path,
    entry: DatasetStatus,
    cache: ObjectDB,
    reporter: Reporter,
) -> None:
    pointer = entry.pointer
    scan: Scan | None = None
    is_folder = data.is_dir() and not data.is_symlink()
    tree = workspace.state.tree(entry.path) if is_folder else None
    if tree is not None and tree.oid == pointer.oid:
        rows = scan_rows(data)
        if rows.record == tree.record or compare_with_tree(workspace, data, entry, tree, rows):
            return  # (the tree vouches that every object of the manifest is in the cache)
    matched = workspace.state.folder_match(entry.path)
    if is_folder:
        scan = scan_folder(data)
        fingerprint = scan.fingerprint()
        # (an unchanged fingerprint is not enough here: the tree, recorded below, is needed)
    try:
        manifest = workspace.manifest(pointer.oid, entry.pointer_path)
    except ObjectMissing:
        manifest = None
        entry.manifest_missing = True
        entry.not_in_cache = 1
    if scan is None:
        entry.state = MISSING if not os.path.lexists(data) else MODIFIED
        if manifest is not None:
            entry.not_in_cache = _count_missing(cache, manifest.oids_)
        return
    if manifest is None:
        entry.state = UNKNOWN
        return
    current = folder_oids(workspace, data, scan, reporter)
    expected = manifest.oid_by_path()
    executables = dict(zip(manifest.paths, manifest.executables, strict=True))
    for rel, oid in current.items():
        want = expected.get(rel)
        if want is None:
            entry.added.append(rel)
        elif want != oid:
            entry.modified.append(rel)
        else:
            found = scan.files[rel]
            if not found.linked and found.executable != executables[rel]:
                entry.modified.append(rel)
    entry.deleted = [rel for rel in manifest.paths if rel not in current]
    entry.added.sort()
    entry.modified.sort()
    if entry.added or entry.modified or entry.deleted:
        entry.state = MODIFIED
    if matched is None or matched[1] != pointer.oid:
        # (a folder matched this manifest before: its objects were all in the cache, and only
        # gc, which forgets these matches, deletes objects)
        entry.not_in_cache = _count_missing(cache, manifest.oids_)
    if entry.clean and scan.settled:
        workspace.state.record_folder(entry.path, fingerprint, pointer.oid)
        workspace.state.record_tree(entry.path, tree_of(scan, current, manifest, pointer.oid))


def _count_missing(cache: ObjectDB, oids: Iterable[str]) -> int:
    wanted = set(oids)
    return len(wanted - cache.present(wanted))
