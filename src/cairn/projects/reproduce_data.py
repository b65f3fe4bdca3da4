"""Restore a reproduction worktree's versioned data from the original project's cache.

The worktree shares the original project's content-addressed cache (its own ``.cairn/`` holds
only the state index), so nothing is copied into a second cache. A version missing from the
cache is fetched from the project's data remotes, the default first; one missing from the
cache and from every remote is an :class:`ObjectMissing` naming its path and digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.config import ensure_cairn_dir
from cairn.data.checkout import raise_failures
from cairn.data.pointer import Pointer
from cairn.data.remotes import list_remotes
from cairn.data.sync import connect, fetch_pointers
from cairn.data.transfer import default_jobs
from cairn.data.workspace import Workspace
from cairn.errors import DataError, ObjectMissing

__all__ = ["DataRestore", "restore_data"]


@dataclass
class DataRestore:
    """What restoring the data did: the data paths checked out and the remotes fetched from."""

    paths: dict[str, str] = field(default_factory=dict)  # data path -> oid
    fetched_from: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"paths": dict(self.paths), "fetched_from": list(self.fetched_from)}


def restore_data(worktree: Path, project_root: Path) -> DataRestore:
    """Check out every pointer-tracked path of ``worktree`` from ``project_root``'s cache
    (fetching what it lacks from the project's remotes)."""
    ensure_cairn_dir(worktree)
    origin = Workspace(project_root)
    ws = Workspace(worktree)
    ws.cache = origin.cache  # one cache: the original project's
    try:
        pointers = ws.pointers()
        restore = DataRestore({ws.display(ws.data_path(f, p)): p.oid for f, p in pointers})
        missing = _missing(ws, pointers)
        if missing:
            _fetch(origin, ws, missing, restore)
        if pointers:
            # copies (or reflinks): the re-run must not write through links into the cache
            raise_failures(ws.checkout(force=True, link="reflink,copy"))
        return restore
    finally:
        ws.close()
        origin.close()


def _missing(ws: Workspace, pointers: list[tuple[Path, Pointer]]) -> list[tuple[Path, Pointer]]:
    """The pointers whose data (a folder: its manifest or any of its files) the cache lacks."""
    lacking = []
    for pointer_file, pointer in pointers:
        if not ws.cache.has(pointer.oid):
            lacking.append((pointer_file, pointer))
        elif pointer.is_dir:
            shown = ws.display(pointer_file)
            if any(not ws.cache.has(oid) for oid in ws.manifest_oids(pointer.oid, shown)):
                lacking.append((pointer_file, pointer))
    return lacking


def _fetch(
    origin: Workspace,
    ws: Workspace,
    missing: list[tuple[Path, Pointer]],
    restore: DataRestore,
) -> None:
    remotes = sorted(list_remotes(origin.root), key=lambda r: not r.default)
    problems: list[str] = []
    for remote in remotes:
        wanted = [(ws.display(ws.data_path(f, p)), p) for f, p in missing]
        try:
            index = connect(origin, remote.name)
            result = fetch_pointers(origin, index, wanted, jobs=default_jobs(index.storage.local))
        except DataError as exc:
            problems.append(f"{remote.name}: {exc.message}")
            continue
        if result.fetched:
            restore.fetched_from.append(remote.name)
        missing = _missing(ws, missing)
        if not missing:
            return
    pointer_file, pointer = missing[0]
    path = ws.display(ws.data_path(pointer_file, pointer))
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    where = (
        f"nor on any data remote ({', '.join(r.name for r in remotes)})"
        if remotes
        else "and the project has no data remote"
    )
    detail = f"; {'; '.join(problems)}" if problems else ""
    raise ObjectMissing(
        f"the data version of {path} the run used (digest {pointer.oid}){more} is neither "
        f"in the cache of {origin.root} {where}{detail}. Push it from a machine that has it "
        "(`cairn data push`), or add a remote holding it (`cairn data remote add`)"
    )
