"""What the workspace holds now: the oid of each data file, rehashing only what changed
since the state index last saw it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.data.progress import QUIET, Reporter
from cairn.data.state import signature
from cairn.data.walk import Scan
from cairn.objects.hashing import hash_file

if TYPE_CHECKING:
    from cairn.data.workspace import Workspace


def file_oid(workspace: Workspace, path: Path, st: os.stat_result | None = None) -> str:
    """The oid of the data file at ``path`` (from the state index when it is unchanged)."""
    observed = time.time_ns()
    st = st or os.stat(path)
    rel = workspace.rel(path)
    sig = signature(st)
    known = workspace.state.get(rel)
    if known is not None and known[0] == sig:
        return known[1]
    oid, _ = hash_file(path)
    workspace.state.record([(rel, sig, oid)], observed_at_ns=observed)
    return oid


def folder_oids(
    workspace: Workspace, folder: Path, scan: Scan, reporter: Reporter = QUIET
) -> dict[str, str]:
    """The oid of every file of ``scan`` (paths relative to ``folder``)."""
    base = workspace.rel(folder)
    known = workspace.state.under(base)
    oids: dict[str, str] = {}
    todo: list[str] = []
    for rel, found in scan.files.items():
        record = known.get(rel)
        if record is not None and record[0] == found.signature:
            oids[rel] = record[1]
        else:
            todo.append(rel)
    if not todo:
        return oids
    nbytes = sum(scan.files[rel].signature[2] for rel in todo)
    with reporter.track(f"hashing {workspace.display(folder)}", len(todo), nbytes) as advance:

        def one(rel: str) -> str:
            oid, size = hash_file(folder / rel)
            advance(size, 1)
            return oid

        hashed = workspace.map(one, todo)
    oids.update(zip(todo, hashed, strict=True))
    files = scan.files
    workspace.state.record_under(
        base, {rel: (files[rel][0], oid) for rel, oid in oids.items()},
        observed_at_ns=scan.observed_at_ns,
    )  # fmt: skip
    return oids
