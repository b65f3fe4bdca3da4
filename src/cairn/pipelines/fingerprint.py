"""What a stage's inputs and outputs hash to, and the fingerprint that decides whether it runs.

Files and folders are hashed through the data workspace's state index, so a file whose
inode, mtime and size are unchanged since it was last hashed is not read again; a folder
whose listing is unchanged is not even hashed file by file. One :class:`PathHasher` (one
state index connection) serves a whole pipeline run.
"""

from __future__ import annotations

import json
import os
import stat as stat_module
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.objects.digest import HASH_NAME

if TYPE_CHECKING:
    from cairn.data.workspace import Workspace
    from cairn.pipelines.model import Stage


@dataclass(frozen=True, slots=True)
class PathHash:
    """The content hash of a file or folder (a folder's is its manifest's oid)."""

    oid: str
    size: int
    kind: str = "file"
    files: int | None = None

    def to_lock(self, *, with_kind: bool = False) -> dict[str, Any]:
        """The entry ``cairn.lock`` records for the path."""
        entry: dict[str, Any] = {"hash": f"{HASH_NAME}:{self.oid}", "size": self.size}
        if with_kind:
            entry["kind"] = self.kind
        if self.kind == "dir":
            entry["files"] = self.files
        return entry


class PathHasher:
    """Hashes project paths (POSIX, relative to the root), remembering each answer until
    :meth:`forget` is called for it (when a stage rewrote it)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._known: dict[str, PathHash | None] = {}

    def hash(self, rel: str) -> PathHash | None:
        """The hash of ``rel``, or None when nothing is there."""
        if rel in self._known:
            return self._known[rel]
        found = self._hash(rel)
        self._known[rel] = found
        return found

    def remember(self, rel: str, found: PathHash) -> None:
        """Record that ``rel`` now hashes to ``found`` (a stage just wrote it)."""
        self._known[rel] = found

    def forget(self, rel: str) -> None:
        """Drop what is remembered about ``rel`` (it was rewritten or removed)."""
        self._known.pop(rel, None)

    def _hash(self, rel: str) -> PathHash | None:
        from cairn.data.current import file_oid

        path = self.workspace.root / rel
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat_module.S_ISDIR(st.st_mode):
            return self._folder(rel, path)
        return PathHash(file_oid(self.workspace, path, st), st.st_size)

    def _folder(self, rel: str, path: Path) -> PathHash:
        from cairn.data.current import folder_oids
        from cairn.data.walk import folder_manifest, scan_folder
        from cairn.objects.hashing import hash_bytes

        state = self.workspace.state
        scan = scan_folder(path)
        fingerprint = scan.fingerprint()
        match = state.folder_match(rel)
        if match is not None and match[0] == fingerprint:
            return PathHash(match[1], scan.total_size, "dir", len(scan.files))
        manifest = folder_manifest(scan, folder_oids(self.workspace, path, scan))
        oid = hash_bytes(manifest.to_bytes())
        if scan.settled:
            state.record_folder(rel, fingerprint, oid)
        return PathHash(oid, manifest.total_size, "dir", manifest.nfiles)


def canonical_json(value: Any) -> bytes:
    """``value`` as JSON with sorted keys and no spaces: equal values give equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def stage_fingerprint(
    stage: Stage, deps: Mapping[str, PathHash | None], params: Mapping[str, object]
) -> str:
    """The fingerprint of running ``stage`` on these dep hashes and param values: its
    definition (command, paths, wdir, env, workers), each dep's oid and each param's value."""
    from cairn.objects.hashing import hash_bytes

    document = {
        "definition": stage.definition(),
        "deps": {path: (found.oid if found else None) for path, found in deps.items()},
        "params": dict(params),
    }
    return hash_bytes(canonical_json(document))
