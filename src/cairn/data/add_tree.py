"""``cairn data add`` of a folder whose previous version the state index holds as a tree.

When the folder's pointer names the manifest its :class:`~cairn.data.tree.Tree` was verified
against and only some files changed (none added or removed), the new version needs neither
the whole manifest parsed nor every file's row rewritten: the changed files are stored, their
lines of the previous manifest's bytes are replaced (the manifest is one canonical line per
file, so the result is the bytes a manifest built from scratch would have), and the tree's
columns are spliced. Anything else goes the general way (None).
"""

from __future__ import annotations

import contextlib
import functools
import os
from typing import TYPE_CHECKING, NamedTuple

from cairn.data.pointer import Pointer
from cairn.data.progress import Reporter
from cairn.data.state import signature
from cairn.data.status_tree import differing
from cairn.data.tree import OID_BYTES, Row, Tree, diff, spliced
from cairn.objects.hashing import THREADED_FROM
from cairn.objects.pack_writer import PACK_FROM

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from cairn.data.walk import Rows
    from cairn.data.workspace import Workspace

MAX_ROWS = 2048  # more changed rows than this go the general way
BATCH = 512  # files stored per call of ObjectDB.store_files (the progress bar moves between)
_HEAD = b'{"format": "cairn.manifest/1", "files": [\n'


class Stored(NamedTuple):
    """What storing the folder did, and the tree to record once the pointer is written."""

    pointer: Pointer
    hashed: int
    stored: int
    stored_bytes: int
    tree: Tree | None  # None: the listing was not settled


def _line(path: str, oid: str, size: int, executable: bool) -> bytes | None:
    """A manifest's line for one file (None when the path needs JSON escaping)."""
    from cairn.objects.manifest import _needs_escaping

    if _needs_escaping(path):
        return None
    return f'["{path}", "{oid}", {size}, {1 if executable else 0}]'.encode()


def patch_manifest(data: bytes, changes: list[tuple[bytes, bytes]]) -> bytes | None:
    """``data`` (a canonical manifest) with each ``(old line, new line)`` replaced; None when
    a line is not found exactly once where a line starts."""
    if not data.startswith(_HEAD):
        return None
    out = bytearray(data)
    for old, new in changes:
        at = -1
        for end in (b",\n", b"\n]}"):
            found = out.find(b"\n" + old + end)
            if found >= 0:
                at = found + 1
                break
        if at < 0:
            return None
        out[at : at + len(old)] = new
    return bytes(out)


def store_paths(
    workspace: Workspace,
    items: list[tuple[str, str | None, int]],
    advance: Callable[[int, int], None],
    *,
    pack: bool = True,
) -> list[tuple[str, bool]]:
    """Store each ``(path, oid when known, size)`` in the cache (no fsync: the caller syncs),
    in batches of ``BATCH`` files so that the progress bar moves; ``(oid, written)`` each.
    With ``pack``, many small files go into one local pack (one file instead of one each)."""
    results: list[tuple[str, bool]] = []
    jobs = workspace.jobs()
    cache = workspace.cache
    small = sum(1 for *_, size in items if size < THREADED_FROM)
    with contextlib.ExitStack() as stack:
        if pack and small >= PACK_FROM:
            store = stack.enter_context(cache.pack_writer(durable=False)).store_files
        else:
            store = functools.partial(cache.store_files, durable=False)
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            oids = [oid for _, oid, _ in batch]
            results += store([path for path, _, _ in batch], oids if any(oids) else None, jobs=jobs)
            advance(sum(size for *_, size in batch), len(batch))
    return results


def store_by_tree(
    workspace: Workspace,
    folder: Path,
    rel: str,
    rows: Rows,
    tree: Tree,
    old: Pointer,
    reporter: Reporter,
) -> Stored | None:
    """Store the folder's new version from its tree (see the module docstring), or None."""
    delta = diff(tree, rows.record, rows.offsets)
    if len(delta.new) != len(delta.old) or any(row.path not in delta.old for row in delta.new):
        return None  # files were added or removed
    if differing(delta) > MAX_ROWS:
        return None
    cache, state = workspace.cache, workspace.state
    changed: list[tuple[Row, str | None]] = []
    for row in delta.new:
        before = delta.old[row.path]
        if before.raw == row.raw:
            continue
        if before.signature == row.signature:  # only the mode changed: the bytes did not
            changed.append((row, tree.oid_at(before.index)))
            continue
        known = state.get(f"{rel}/{row.path}")
        ok = known is not None and known[0] == row.signature
        changed.append((row, known[1] if ok and known is not None else None))
    nbytes = sum(row.size for row, _ in changed)
    base = str(folder)
    with reporter.track(f"adding {rel}", len(changed), nbytes) as advance:
        results = store_paths(
            workspace,
            [(f"{base}/{row.path}", oid, row.size) for row, oid in changed],
            advance,
        )
    oids = {row.path: oid for (row, _), (oid, _) in zip(changed, results, strict=True)}
    lines = []
    size = tree.size
    for row, _ in changed:
        before = delta.old[row.path]
        old_line = _line(row.path, tree.oid_at(before.index), before.size,
                         bool(tree.executables[before.index]))  # fmt: skip
        new_line = _line(row.path, oids[row.path], row.size, row.executable)
        if old_line is None or new_line is None:
            return None  # (what was stored stays in the cache, as after any add)
        lines.append((old_line, new_line))
        size += row.size - before.size
    patched = patch_manifest(cache.read_bytes(old.oid, verify=True), lines)
    if patched is None:
        return None
    manifest_oid = cache.add_bytes(patched)
    stored = [(row, written) for (row, _), (_, written) in zip(changed, results, strict=True)]
    state.mark_verified(
        (oids[row.path], signature(os.stat(cache.path_of(oids[row.path]))))
        for row, written in stored if written and row.size >= THREADED_FROM
    )  # fmt: skip
    hashed = [row for row, oid in changed if oid is None]
    state.record([(f"{rel}/{row.path}", row.signature, oids[row.path]) for row in hashed],
                 observed_at_ns=rows.observed_at_ns)  # fmt: skip
    pointer = Pointer(folder.name, "dir", manifest_oid, size, tree.nfiles)
    new_tree = None
    if rows.settled:
        middle = b"".join(
            bytes.fromhex(oids[row.path]) if row.path in oids
            else tree.oids[OID_BYTES * delta.old[row.path].index :][:OID_BYTES]
            for row in delta.new
        )  # fmt: skip
        executables = bytes(
            row.executable if row.path in oids else tree.executables[delta.old[row.path].index]
            for row in delta.new
        )
        new_tree = Tree(manifest_oid, size, rows.record, rows.offsets,
                        spliced(tree, delta, tree.oids, middle, OID_BYTES),
                        spliced(tree, delta, tree.executables, executables, 1))  # fmt: skip
    written_rows = [row for row, written in stored if written]
    return Stored(pointer, len(hashed), len(written_rows), sum(r.size for r in written_rows),
                  new_tree)  # fmt: skip
