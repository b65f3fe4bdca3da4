"""``cairn data diff``: files added, modified and deleted inside versioned data between two
git revisions, or between a revision and the workspace.

Pointer files of a revision are read from git's objects (nothing in the work tree changes);
folder manifests come from the cache, so a revision whose data was never fetched asks for
``cairn data fetch --rev REV`` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data import git
from cairn.data.current import file_oid, folder_oids
from cairn.data.pointer import Pointer, parse
from cairn.data.walk import scan_folder
from cairn.errors import NotFound
from cairn.objects.manifest import Manifest

if TYPE_CHECKING:
    from cairn.data.workspace import Workspace

WORKSPACE = "workspace"


@dataclass(frozen=True, slots=True)
class Change:
    """One file that differs: its path (from the project root), old and new oid and size."""

    path: str
    old_oid: str | None
    new_oid: str | None
    old_size: int | None = None
    new_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "path": self.path,
            "old_hash": f"blake3:{self.old_oid}" if self.old_oid else None,
            "new_hash": f"blake3:{self.new_oid}" if self.new_oid else None,
            "old_size": self.old_size, "new_size": self.new_size,
        }  # fmt: skip


@dataclass
class DiffReport:
    """The changes from ``old`` to ``new`` (revisions, or ``workspace``)."""

    old: str
    new: str
    added: list[Change] = field(default_factory=list)
    modified: list[Change] = field(default_factory=list)
    deleted: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether nothing changed."""
        return not (self.added or self.modified or self.deleted)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "old": self.old, "new": self.new,
            "added": [c.to_dict() for c in self.added],
            "modified": [c.to_dict() for c in self.modified],
            "deleted": [c.to_dict() for c in self.deleted],
        }  # fmt: skip


# path from the root -> (oid, size): the files of one side, folders expanded
Files = dict[str, tuple[str, int]]


def diff(
    workspace: Workspace,
    old: str | None = None,
    new: str | None = None,
    *,
    targets: list[str] | None = None,
    cwd: Path | None = None,
) -> DiffReport:
    """The changes from revision ``old`` (default HEAD) to revision ``new`` (default: the
    workspace), limited to the data at ``targets`` when given."""
    old = old or "HEAD"
    git.require_repository(workspace.root)
    wanted = [workspace.rel(workspace.absolute(t, cwd)) for t in targets] if targets else None
    before, before_names = _revision_files(workspace, old, wanted)
    if new is None:
        after, after_names = _workspace_files(workspace, wanted)
    else:
        after, after_names = _revision_files(workspace, new, wanted)
    if wanted:
        names = before_names | after_names
        for target in wanted:
            if not any(_selected(name, [target]) for name in names):
                raise NotFound(
                    f"no data is tracked at {target} in {old} or {new or WORKSPACE}; "
                    "`cairn data ls` lists what is tracked"
                )
    report = DiffReport(old, new or WORKSPACE)
    for path in sorted(before.keys() | after.keys()):
        was, now = before.get(path), after.get(path)
        if was is None and now is not None:
            report.added.append(Change(path, None, now[0], None, now[1]))
        elif now is None and was is not None:
            report.deleted.append(Change(path, was[0], None, was[1], None))
        elif was is not None and now is not None and was[0] != now[0]:
            report.modified.append(Change(path, was[0], now[0], was[1], now[1]))
    return report


def _selected(data_rel: str, wanted: list[str] | None) -> bool:
    return wanted is None or any(
        data_rel == w or data_rel.startswith(w + "/") or w.startswith(data_rel + "/")
        for w in wanted
    )


def _narrow(files: Files, data_rel: str, wanted: list[str] | None) -> Files:
    """Keep only the files under the wanted paths (a target may be inside a folder)."""
    if wanted is None:
        return files
    inside = [w for w in wanted if w.startswith(data_rel + "/")]
    if not inside or any(data_rel == w or data_rel.startswith(w + "/") for w in wanted):
        return files
    return {p: v for p, v in files.items() if any(p == w or p.startswith(w + "/") for w in inside)}


def _revision_files(
    workspace: Workspace, revision: str, wanted: list[str] | None
) -> tuple[Files, set[str]]:
    from cairn.data.lock_outs import is_lock_path, parse_outs

    commit = git.resolve_revision(workspace.root, revision)
    blobs = git.pointer_blobs(workspace.root, commit, with_locks=True)
    contents = git.read_blobs(workspace.root, blobs.values())
    files: Files = {}
    names: set[str] = set()
    for pointer_rel, blob in sorted(blobs.items()):
        source = f"{pointer_rel} at {revision}"
        text = contents.get(blob, b"")
        found = parse_outs(text, source) if is_lock_path(pointer_rel) else [parse(text, source)]
        folder = pointer_rel.rpartition("/")[0]
        for pointer in found:
            data_rel = f"{folder}/{pointer.path}" if folder else pointer.path
            if not _selected(data_rel, wanted):
                continue
            names.add(data_rel)
            files.update(
                _narrow(_expand(workspace, data_rel, pointer, source, revision), data_rel, wanted)
            )
    return files, names


def _expand(
    workspace: Workspace, data_rel: str, pointer: Pointer, source: str, revision: str
) -> Files:
    if not pointer.is_dir:
        return {data_rel: (pointer.oid, pointer.size)}
    manifest: Manifest = workspace.manifest(
        pointer.oid, source, hint=f"run `cairn data fetch --rev {revision}` first"
    )
    return {
        f"{data_rel}/{path}": (oid, size)
        for path, oid, size in zip(manifest.paths, manifest.oids_, manifest.sizes, strict=True)
    }


def _workspace_files(workspace: Workspace, wanted: list[str] | None) -> tuple[Files, set[str]]:
    files: Files = {}
    names: set[str] = set()
    for pointer_path, pointer in workspace.pointers():
        data = workspace.data_path(pointer_path, pointer)
        data_rel = workspace.rel(data)
        if not _selected(data_rel, wanted):
            continue
        names.add(data_rel)
        found: Files = {}
        if data.is_dir() and not data.is_symlink():
            scan = scan_folder(data)
            oids = folder_oids(workspace, data, scan)
            found = {f"{data_rel}/{rel}": (oid, scan.files[rel].signature[2])
                     for rel, oid in oids.items()}  # fmt: skip
        elif data.is_file():
            found = {data_rel: (file_oid(workspace, data), data.stat().st_size)}
        files.update(_narrow(found, data_rel, wanted))
    return files, names
