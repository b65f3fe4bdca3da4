"""``cairn data add`` and ``cairn data commit``: store data in the cache, write its pointer.

Every target is checked before anything is written (inside the project, not ``.cairn/`` or
``.git``, not a pointer, not inside or around data tracked already, not tracked by git, only
regular files and folders). Then, per target: unchanged files (by the state index) are not
read again, the others are hashed while they are copied into the cache (many at once in
threads, no fsync each), the cache is flushed once (with ``[data] fsync``; else the OS writes
it back, as with git and DVC), and only then is the pointer written
(atomically) and the data path added to the folder's ``.gitignore``.
"""

from __future__ import annotations

import os
import stat as stat_module
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data import gitignore
from cairn.data import pointer as pointer_file_io
from cairn.data.add_targets import Target, check_targets, refuse_odd_contents
from cairn.data.add_tree import Stored, store_by_tree, store_paths
from cairn.data.materialize import Materializer, link_setting
from cairn.data.pointer import Pointer, pointer_path_for
from cairn.data.progress import QUIET, Reporter
from cairn.data.state import Signature, signature
from cairn.data.status_tree import tree_of
from cairn.data.walk import Scan, folder_manifest, scan_folder
from cairn.errors import InvalidInput, NotFound
from cairn.objects.hashing import THREADED_FROM
from cairn.security.guard import check_path

if TYPE_CHECKING:
    from cairn.data.tree import Tree
    from cairn.data.workspace import Workspace
    from cairn.objects.manifest import Manifest


@dataclass(frozen=True, slots=True)
class AddResult:
    """What adding one path did."""

    path: str  # the data, relative to the project root
    pointer_path: str
    pointer: Pointer
    changed: bool  # the pointer's content changed (or it is new)
    hashed_files: int  # files read because the state index did not know them
    stored_objects: int  # objects newly written to the cache
    stored_bytes: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "path": self.path, "pointer": self.pointer_path, **self.pointer.to_dict(),
            "changed": self.changed, "hashed_files": self.hashed_files,
            "stored_objects": self.stored_objects, "stored_bytes": self.stored_bytes,
        }  # fmt: skip


def add(
    workspace: Workspace,
    targets: list[str | Path],
    *,
    cwd: Path | None = None,
    link: str | None = None,
    reporter: Reporter = QUIET,
) -> list[AddResult]:
    """Track ``targets`` (files and folders): store them and write ``PATH.cairn`` beside each."""
    if not targets:
        raise InvalidInput("name at least one file or folder to add")
    strategies = link_setting(workspace.config, link)
    checked = check_targets(workspace, targets, cwd)
    for target in checked:  # the project's sensitive-data policy, before anything is stored
        check_path(target.path, f"cairn data add {target.rel}")
    return [_add_one(workspace, target, strategies, reporter) for target in checked]


def commit(
    workspace: Workspace,
    targets: list[str | Path] | None = None,
    *,
    cwd: Path | None = None,
    link: str | None = None,
    reporter: Reporter = QUIET,
) -> list[AddResult]:
    """Record the workspace's current content of tracked data in their pointers."""
    strategies = link_setting(workspace.config, link)
    from cairn.data.lock_outs import is_lock_path

    # Pipeline outs (recorded in cairn.lock) are committed by `cairn pipeline run`.
    found = [(f, p) for f, p in workspace.pointers(targets, cwd) if not is_lock_path(f)]
    if not found:
        raise NotFound("no data is tracked here yet; track some with `cairn data add PATH`")
    data_paths = []
    for pointer_path, pointer in found:
        data = workspace.data_path(pointer_path, pointer)
        if not os.path.lexists(data):
            raise NotFound(
                f"{workspace.display(data)} (of {workspace.display(pointer_path)}) is missing, so "
                "there is nothing to commit; `cairn data checkout` brings it back"
            )
        data_paths.append(data)
    checked = check_targets(workspace, data_paths, cwd)
    return [_add_one(workspace, target, strategies, reporter) for target in checked]


def store(workspace: Workspace, path: Path, reporter: Reporter = QUIET) -> Pointer:
    """Store the file or folder at ``path`` (absolute, inside the project) in the cache without
    writing a pointer file: for data recorded elsewhere (a pipeline's outs, in ``cairn.lock``)."""
    observed = time.time_ns()
    st = os.stat(path)
    rel = workspace.rel(path)
    if stat_module.S_ISDIR(st.st_mode):
        target = Target(path, rel, True, scan=scan_folder(path))
        refuse_odd_contents(workspace, target, rel)
        pointer, *_, tree = _store_folder(workspace, target, None, reporter)
        workspace.cache.sync()
        if tree is not None:
            workspace.state.record_tree(rel, tree)
        return pointer
    elif stat_module.S_ISREG(st.st_mode):
        target = Target(path, rel, False, stat=st, observed_at_ns=observed)
        pointer = _store_file(workspace, target, reporter)[0]
    else:
        raise InvalidInput(f"{rel} is neither a regular file nor a folder")
    workspace.cache.sync()
    return pointer


# -- storing -----------------------------------------------------------------------------------


def _add_one(
    workspace: Workspace, target: Target, strategies: tuple[str, ...], reporter: Reporter
) -> AddResult:
    pointer_path = pointer_path_for(target.path)
    old = _old_pointer(workspace, pointer_path)
    tree = None
    by_tree = None
    if target.is_dir and strategies[0] not in ("hardlink", "symlink"):
        by_tree = _by_tree(workspace, target, old, reporter)
    if by_tree is not None:
        pointer, hashed, stored, stored_bytes, tree = by_tree
        placed: dict[str, str] = {}
    elif target.is_dir:
        # (linked workspace files need loose objects to link to: no pack then)
        pointer, hashed, stored, stored_bytes, placed, tree = _store_folder(
            workspace, target, old, reporter, pack=strategies[0] not in ("hardlink", "symlink")
        )
    else:
        pointer, hashed, stored, stored_bytes, placed = _store_file(workspace, target, reporter)
    workspace.cache.sync()
    changed = old != pointer
    if changed or not pointer_path.exists():
        pointer_file_io.write(pointer_path, pointer)
    if tree is not None:  # (recorded after the pointer: see cairn.data.state)
        workspace.state.record_tree(target.rel, tree)
        if by_tree is not None and target.rows is not None:
            workspace.state.record_folder(target.rel, target.rows.fingerprint(), pointer.oid)
    gitignore.ensure_ignored(target.path.parent, target.path.name)
    if strategies[0] in ("hardlink", "symlink"):
        _link_workspace(workspace, target, pointer, placed, strategies)
    return AddResult(
        target.rel, workspace.display(pointer_path), pointer, changed, hashed, stored,
        stored_bytes,
    )  # fmt: skip


def _by_tree(
    workspace: Workspace, target: Target, old: Pointer | None, reporter: Reporter
) -> Stored | None:
    """The folder stored from its tree in the state index, when that tree is the old
    pointer's (see :mod:`cairn.data.add_tree`); None otherwise."""
    if old is None or not old.is_dir or target.rows is None:
        return None
    tree = workspace.state.tree(target.rel)
    if tree is None or tree.oid != old.oid or not workspace.cache.has(old.oid):
        return None
    return store_by_tree(workspace, target.path, target.rel, target.rows, tree, old, reporter)


def _old_pointer(workspace: Workspace, pointer_path: Path) -> Pointer | None:
    if not pointer_path.is_file():
        return None
    try:
        return workspace.read_pointer(pointer_path)
    except InvalidInput:
        return None  # nonsense is simply replaced by the new pointer


def _store_file(
    workspace: Workspace, target: Target, reporter: Reporter
) -> tuple[Pointer, int, int, int, dict[str, str]]:
    assert target.stat is not None
    sig = signature(target.stat)
    known = workspace.state.get(target.rel)
    size = target.stat.st_size
    with reporter.track(f"adding {target.rel}", 1, size) as advance:
        if known is not None and known[0] == sig:
            oid, written = workspace.cache.store_file(target.path, known[1], durable=False)
            hashed = 0
        else:
            oid, written = workspace.cache.store_file(target.path, durable=False)
            hashed = 1
        advance(size, 1)
    if written:
        workspace.state.mark_verified([(oid, signature(os.stat(workspace.cache.path_of(oid))))])
    if hashed:
        workspace.state.record([(target.rel, sig, oid)], observed_at_ns=target.observed_at_ns)
    pointer = Pointer(target.path.name, "file", oid, size)
    return pointer, hashed, int(written), size if written else 0, {"": oid}


def _store_folder(
    workspace: Workspace,
    target: Target,
    old: Pointer | None,
    reporter: Reporter,
    *,
    pack: bool = True,
) -> tuple[Pointer, int, int, int, dict[str, str], Tree | None]:
    if target.scan is None and target.rows is not None:
        target.scan = target.rows.to_scan()
    scan = target.scan
    assert scan is not None
    cache = workspace.cache
    known = workspace.state.under(target.rel)
    previous: Manifest | None = None
    if old is not None and old.is_dir and cache.has(old.oid):
        try:
            previous = workspace.manifest(old.oid)
        except InvalidInput:
            previous = None
    before = previous.oid_by_path() if previous is not None else {}
    oids: dict[str, str] = {}
    work: list[tuple[str, str | None]] = []  # (rel, oid when the state index knows it)
    for rel, found in scan.files.items():
        record = known.get(rel)
        if record is not None and record[0] == found.signature:
            if before.get(rel) == record[1]:
                oids[rel] = record[1]  # stored with the previous version
            else:
                work.append((rel, record[1]))
        else:
            work.append((rel, None))
    nbytes = sum(scan.files[rel].signature[2] for rel, _ in work)
    base = str(target.path)
    items = [(f"{base}/{rel}", oid, scan.files[rel].signature[2]) for rel, oid in work]
    with reporter.track(f"adding {target.rel}", len(work), nbytes) as advance:
        results = store_paths(workspace, items, advance, pack=pack)
    stored = stored_bytes = 0
    verified: list[tuple[str, Signature]] = []
    for (rel, _), (oid, written) in zip(work, results, strict=True):
        oids[rel] = oid
        if written:
            size = scan.files[rel].signature[2]
            stored += 1
            stored_bytes += size
            # Small objects are checked while they are copied out anyway; big ones are
            # remembered as checked so that checkout can copy them in the kernel.
            if size >= THREADED_FROM:
                verified.append((oid, signature(os.stat(cache.path_of(oid)))))
    files = scan.files
    manifest = _manifest_of(scan, oids, previous)
    manifest_oid = cache.add_bytes(manifest.to_bytes())
    workspace.state.mark_verified(verified)
    workspace.state.record_manifest_oids(manifest_oid, manifest.oids_)
    hashed = [rel for (rel, oid) in work if oid is None]
    if work:
        # The recorded listing is still right for every file not in ``work``.
        listing = known
        for rel in known.keys() - files.keys():
            del listing[rel]
        for rel, _ in work:
            listing[rel] = (files[rel][0], oids[rel])
        workspace.state.record_under(target.rel, listing, observed_at_ns=scan.observed_at_ns)
    pointer = Pointer(target.path.name, "dir", manifest_oid, manifest.total_size, manifest.nfiles)
    tree = None
    if scan.settled:
        workspace.state.record_folder(target.rel, scan.fingerprint(), manifest_oid)
        tree = tree_of(scan, oids, manifest, manifest_oid)
    return pointer, len(hashed), stored, stored_bytes, oids, tree


def _manifest_of(scan: Scan, oids: dict[str, str], previous: Manifest | None) -> Manifest:
    """The folder's manifest; built on the previous version's paths when the folder holds
    exactly those files still (no sorting or path checks to repeat)."""
    files = scan.files
    if previous is None or previous.nfiles != len(files):
        return folder_manifest(scan, oids)
    try:
        rows = [files[rel] for rel in previous.paths]
    except KeyError:  # a file was renamed
        return folder_manifest(scan, oids)
    return previous.with_contents(
        [oids[rel] for rel in previous.paths],
        [found.signature[2] for found in rows],
        [found.executable for found in rows],
    )


def _link_workspace(
    workspace: Workspace,
    target: Target,
    pointer: Pointer,
    placed: dict[str, str],
    strategies: tuple[str, ...],
) -> None:
    """Replace the workspace's files by links to their cache objects (hardlink/symlink)."""
    materializer = Materializer(workspace.cache, strategies, workspace.state.verified_objects())
    items = [(target.path / rel if rel else target.path, oid) for rel, oid in placed.items()]
    sigs = workspace.map(lambda item: materializer.place(item[1], item[0]), items)
    workspace.state.mark_verified(materializer.newly_verified.items())
    if target.is_dir:
        workspace.state.record_under(target.rel, {
            rel: (sig, oid) for (rel, oid), sig in zip(placed.items(), sigs, strict=True)
        })  # fmt: skip
    else:
        workspace.state.record([(target.rel, sigs[0], placed[""])])
