"""``cairn data status`` of a folder against the tree the state index keeps for it.

When the pointer names the manifest a :class:`~cairn.data.tree.Tree` was verified against,
the folder's new listing is compared with the tree instead of the manifest: only the rows
that differ are decoded, and only files whose signature changed are hashed (or looked up in
the state index's ``files`` table, where the hash is then kept for ``add``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cairn.data.tree import Delta, Row, Tree, diff, spliced

if TYPE_CHECKING:
    from cairn.data.status import DatasetStatus
    from cairn.data.walk import Rows, Scan
    from cairn.data.workspace import Workspace
    from cairn.objects.manifest import Manifest

# More rows that differ than this (or than a quarter of the folder) go the manifest's way,
# which handles many changes in bulk.
MAX_ROWS = 2048


def changed_oids(
    workspace: Workspace, folder: Path, base: str, tree: Tree, delta: Delta, observed_at_ns: int
) -> dict[str, str]:
    """The oid of every row in ``delta.new`` whose bytes differ from the tree's row of the
    same path (from the ``files`` table when it knows the signature, else hashed and recorded
    there); rows equal to the tree's are left out."""
    from cairn.objects.hashing import hash_file

    oids: dict[str, str] = {}
    todo: list[Row] = []
    state = workspace.state
    for row in delta.new:
        old = delta.old.get(row.path)
        if old is not None and old.raw == row.raw:
            continue
        if old is not None and old.signature == row.signature:
            oids[row.path] = tree.oid_at(old.index)  # only the mode changed
            continue
        known = state.get(f"{base}/{row.path}")
        if known is not None and known[0] == row.signature:
            oids[row.path] = known[1]
        else:
            todo.append(row)
    if todo:
        hashed = workspace.map(lambda row: hash_file(folder / row.path)[0], todo)
        oids.update(zip((row.path for row in todo), hashed, strict=True))
        state.record(
            [(f"{base}/{row.path}", row.signature, oid)
             for row, oid in zip(todo, hashed, strict=True)],
            observed_at_ns=observed_at_ns,
        )  # fmt: skip
    return oids


def differing(delta: Delta) -> int:
    """How many rows were added, removed or changed (rows in between may be equal, moved)."""
    old = delta.old
    changed = sum(1 for row in delta.new if row.path not in old or old[row.path].raw != row.raw)
    return changed + len(old) - sum(1 for row in delta.new if row.path in old)


def small(delta: Delta, tree: Tree) -> bool:
    """Whether few enough rows differ for the tree's way."""
    count = differing(delta)
    return count <= MAX_ROWS and count * 4 <= max(tree.nfiles, 64)


def compare_with_tree(
    workspace: Workspace, data: Path, entry: DatasetStatus, tree: Tree, rows: Rows
) -> bool:
    """Fill ``entry`` from the differences between ``rows`` and ``tree`` (whose manifest the
    pointer names); False, with ``entry`` untouched, when there are too many for this way."""
    delta = diff(tree, rows.record, rows.offsets)
    if not small(delta, tree):
        return False
    oids = changed_oids(workspace, data, entry.path, tree, delta, rows.observed_at_ns)
    seen = set()
    for row in delta.new:
        seen.add(row.path)
        old = delta.old.get(row.path)
        if old is None:
            entry.added.append(row.path)
            continue
        oid = oids.get(row.path)
        if oid is None:
            continue  # the same bytes as the tree's row
        if oid != tree.oid_at(old.index) or (
            not row.linked and row.executable != bool(tree.executables[old.index])
        ):
            entry.modified.append(row.path)
    entry.deleted = sorted(path for path in delta.old if path not in seen)
    entry.added.sort()
    entry.modified.sort()
    if entry.added or entry.modified or entry.deleted:
        entry.state = "modified"
    elif rows.settled:  # only signatures changed (a touch, a copy): remember the new ones
        middle = b"".join(
            bytes.fromhex(tree.oid_at(delta.old[row.path].index))
            if row.path not in oids
            else bytes.fromhex(oids[row.path])
            for row in delta.new
        )
        executables = bytes(tree.executables[delta.old[row.path].index] for row in delta.new)
        workspace.state.record_tree(entry.path, Tree(
            tree.oid, tree.size, rows.record, rows.offsets,
            spliced(tree, delta, tree.oids, middle, 32),
            spliced(tree, delta, tree.executables, executables, 1),
        ))  # fmt: skip
    return True


def tree_of(scan: Scan, oids: dict[str, str], manifest: Manifest, manifest_oid: str) -> Tree:
    """The tree of a scanned folder found equal to ``manifest`` (files hash to ``oids``)."""
    rows = scan.rows()
    executables = dict(zip(manifest.paths, manifest.executables, strict=True))
    files = scan.files
    return Tree(
        manifest_oid, manifest.total_size, rows.record, rows.offsets,
        b"".join(bytes.fromhex(oids[rel]) for rel in files),
        bytes(executables[rel] for rel in files),
    )  # fmt: skip


__all__ = ["changed_oids", "compare_with_tree", "small", "tree_of"]
