"""``cairn data gc``: delete cache objects that nothing references.

Kept: every object the workspace's pointers need (folder manifests expanded) and, with
``all_commits``, every object a pointer file in any commit of any branch or tag needs
(pointer blobs found in one ``git rev-list --all --objects`` walk). A manifest that is not
in the cache cannot be expanded; its pointer is reported and gc refuses to run unless told
to go ahead, since the files it lists might be among the objects it would delete.
Interrupted writes (temporary files older than an hour) are removed too.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data import git
from cairn.data.pointer import Pointer, parse
from cairn.errors import InvalidInput, InvalidState, ObjectMissing

if TYPE_CHECKING:
    from cairn.data.workspace import Workspace

STALE_TMP_SECONDS = 3600


@dataclass
class GcReport:
    """What gc removed (or, in a dry run, would remove)."""

    removed: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    kept: int = 0
    temporaries: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "dry_run": self.dry_run, "removed_objects": len(self.removed),
            "freed_bytes": self.freed_bytes, "kept_objects": self.kept,
            "removed_temporaries": self.temporaries, "removed": self.removed,
        }  # fmt: skip


def collect(
    workspace: Workspace,
    *,
    all_commits: bool = False,
    dry_run: bool = False,
    force: bool = False,
) -> GcReport:
    """Delete the cache objects nothing references (``dry_run``: only report them)."""
    missing: list[tuple[str, str]] = []
    used = _workspace_used(workspace, missing)
    if all_commits:
        used |= _history_used(workspace, missing)
    if missing and not force:
        where, oid = missing[0]
        raise InvalidState(
            f"the folder manifest {oid} of {where} is not in the cache, so gc cannot tell which "
            "objects it needs; fetch it (`cairn data fetch`) or pass --force to collect anyway"
        )
    report = GcReport(dry_run=dry_run)
    cache = workspace.cache
    listed = cache.listing()
    unused = [oid for oid in listed.oids if oid not in used]
    report.kept = len(listed.oids) - len(unused)
    for oid in unused:
        try:
            size = cache.size(oid)
        except ObjectMissing:  # removed meanwhile
            continue
        report.removed.append(oid)
        report.freed_bytes += size
    if not dry_run:
        cache.remove_many(report.removed)  # (packs holding some are rewritten without them)
        # The rows vouching for a manifest gc expanded stay true: it kept all its objects.
        whole = used - {oid for _, oid in missing}
        workspace.state.unverify(report.removed, keep=whole)
        workspace.state.forget_folders(keep=whole)
        report.temporaries = _remove_stale_temporaries(listed.temporaries)
    return report


def _workspace_used(workspace: Workspace, missing: list[tuple[str, str]]) -> set[str]:
    found: list[tuple[Path, str]] = []
    pointers = []
    for pointer_path in workspace.pointer_files():
        try:
            pointers.append((pointer_path, workspace.read_pointer(pointer_path)))
        except InvalidInput as exc:
            raise InvalidState(
                f"{exc.message} (gc reads every pointer, and refuses to guess what a broken one "
                "references)"
            ) from None
    try:
        pointers.extend(workspace.lock_pointers())
    except InvalidInput as exc:
        raise InvalidState(f"{exc.message} (gc refuses to guess what it references)") from None
    used = workspace.used_oids(pointers, found)
    missing.extend((workspace.display(path), oid) for path, oid in found)
    return used


def _history_used(workspace: Workspace, missing: list[tuple[str, str]]) -> set[str]:
    blobs = git.all_pointer_blobs(workspace.root, with_locks=True)
    contents = git.read_blobs(workspace.root, blobs)
    used: set[str] = set()
    expanded: set[str] = set()
    recorded = [(blob, p) for blob, data in contents.items() for p in _blob_pointers(blob, data)]
    for blob, pointer in recorded:
        used.add(pointer.oid)
        if not pointer.is_dir or pointer.oid in expanded:
            continue
        expanded.add(pointer.oid)
        if not workspace.cache.has(pointer.oid):
            missing.append((f"a pointer in the git history (blob {blob[:12]})", pointer.oid))
            continue
        used |= workspace.manifest(pointer.oid).oids()
    return used


def _blob_pointers(blob: str, data: bytes) -> list[Pointer]:
    """The pointers in a git blob: a pointer file's, or a cairn.lock's outs."""
    from cairn.data.lock_outs import parse_outs

    try:
        return [parse(data, f"pointer blob {blob}")]
    except InvalidInput:
        pass
    try:
        return parse_outs(data, f"lock blob {blob}")
    except InvalidInput:
        return []  # a file named like ours that is neither, in some old commit


def _remove_stale_temporaries(paths: list[str]) -> int:
    """Delete temporary files of interrupted writes older than an hour."""
    cutoff = time.time() - STALE_TMP_SECONDS
    removed = 0
    for path in paths:
        try:
            if os.stat(path).st_mtime < cutoff:
                os.unlink(path)
                removed += 1
        except FileNotFoundError:
            continue  # finished (renamed) or removed meanwhile
    return removed
