"""Push, fetch and pull a workspace's data, and compare it with a remote.

Like the other data verbs they take no lock themselves: the caller (the CLI) holds the
repository's data lock, shared for ``push`` and exclusive for ``fetch`` and ``pull``. These
verbs work on pointers (the workspace's, or a git revision's) and leave the moving of
objects to :mod:`cairn.data.push` and :mod:`cairn.data.fetch`. Folder manifests come first
on a fetch (their files are only known from them) and last on a push (a remote holding a
manifest holds its files). The remote's index is read once per command and its local copy
kept in ``.cairn/remotes/``.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data import git
from cairn.data.fetch import FetchResult, fetch_objects
from cairn.data.pointer import Pointer, parse
from cairn.data.progress import QUIET, Reporter
from cairn.data.push import PushResult, push_objects
from cairn.data.remote_index import RemoteIndex
from cairn.data.remote_layout import RemoteStorage, loose_path, pack_path
from cairn.data.remotes import index_copy_dir, open_remote
from cairn.data.state import signature
from cairn.data.transfer import default_jobs
from cairn.errors import CorruptObject, InvalidInput, ObjectMissing
from cairn.objects.hashing import hash_bytes
from cairn.objects.manifest import Manifest

if TYPE_CHECKING:
    from cairn.data.checkout import CheckoutReport
    from cairn.data.workspace import Workspace

Pointers = Sequence[tuple[Path, Pointer]]


def connect(ws: Workspace, remote: str | None) -> RemoteIndex:
    """The index of remote ``remote`` (or the default), loaded (one listing)."""
    storage = open_remote(ws.root, remote)
    return RemoteIndex(storage, index_copy_dir(ws.root, storage)).load()


def _jobs(jobs: int | None, storage: RemoteStorage) -> int:
    if jobs is not None and jobs < 1:
        raise InvalidInput(f"--jobs must be at least 1, got {jobs}")
    return jobs or default_jobs(storage.local)


# -- push ---------------------------------------------------------------------------------------


def push(
    ws: Workspace,
    targets: Iterable[str | Path] | None = None,
    *,
    remote: str | None = None,
    jobs: int | None = None,
    reporter: Reporter = QUIET,
    cwd: Path | None = None,
    force: bool = False,
) -> PushResult:
    """Send the data of ``targets`` (default: every pointer) that the remote lacks; with
    ``force``, all of it again (repairs objects the remote holds damaged).

    Data in neither the cache nor the remote is skipped and named in an
    :class:`ObjectMissing` raised after everything else was pushed.
    """
    pointers = ws.pointers(targets, cwd)
    index = connect(ws, remote)
    files, manifests, skipped, sizes = _push_plan(ws, index, pointers, force)
    result = push_objects(
        ws.cache,
        index,
        files,
        manifests,
        jobs=_jobs(jobs, index.storage),
        reporter=reporter,
        force=force,
        trusted=lambda oid: _verified(ws, oid),
        known_sizes=sizes,
    )
    result.skipped = skipped
    if skipped:
        raise ObjectMissing(
            f"not pushed, because their data is not in the cache: {', '.join(skipped)} "
            f"(the rest was pushed: {result.pushed} objects). Get it with `cairn data fetch` "
            "from a remote that has it, or re-add it with `cairn data add`"
        )
    return result


def _verified(ws: Workspace, oid: str) -> bool:
    """Whether the state index saw cache object ``oid`` verified and unchanged since."""
    try:
        sig = signature(os.stat(ws.cache.path_of(oid)))
    except FileNotFoundError:
        return False
    return ws.state.is_verified(oid, sig)


def _push_plan(
    ws: Workspace, index: RemoteIndex, pointers: Pointers, force: bool = False
) -> tuple[list[str], list[str], list[str], dict[str, int]]:
    """File oids and manifest oids to push, the pointers whose data is in neither the
    cache nor the remote, and the sizes the manifests give for the files. Only objects the
    remote lacks (with ``force``: all) are looked for in the cache."""
    wanted: list[tuple[str, Pointer, list[str]]] = []
    sizes: dict[str, int] = {}
    for pointer_file, pointer in pointers:
        shown = ws.display(ws.data_path(pointer_file, pointer))
        listed = pointer.oid in index and not force
        if pointer.is_dir and not listed and ws.cache.has(pointer.oid):
            manifest = ws.manifest(pointer.oid, shown)
            sizes.update(zip(manifest.oids_, manifest.sizes, strict=True))
            entries = sorted(set(manifest.oids_))
        else:  # a file, or a folder the remote holds whole (or that cannot be pushed)
            entries = []
        wanted.append((shown, pointer, entries))
    every = [o for _, p, e in wanted for o in (p.oid, *e)]
    lacking = set(every if force else index.missing(every))
    have = ws.cache.present(lacking)
    files: list[str] = []
    manifests: list[str] = []
    skipped: list[str] = []
    for shown, pointer, entries in wanted:
        unpushable = [o for o in (pointer.oid, *entries) if o in lacking and o not in have]
        if unpushable:
            skipped.append(shown)
        files.extend(o for o in entries if o not in lacking or o in have)
        if pointer.oid in unpushable:
            continue
        (manifests if pointer.is_dir else files).append(pointer.oid)
        if pointer.is_dir and unpushable:  # never a manifest without all its files
            manifests.pop()
    return files, manifests, skipped, sizes


# -- fetch and pull -------------------------------------------------------------------------------


def fetch(
    ws: Workspace,
    targets: Iterable[str | Path] | None = None,
    *,
    remote: str | None = None,
    jobs: int | None = None,
    revs: Sequence[str] = (),
    reporter: Reporter = QUIET,
    cwd: Path | None = None,
) -> FetchResult:
    """Bring into the cache the data of ``targets`` (default: every pointer) — of the
    workspace, or of each git revision in ``revs`` — that it lacks.

    Objects that are corrupt or absent on the remote are not stored; after the others were,
    one :class:`CorruptObject` or :class:`ObjectMissing` names them.
    """
    return _fetch(ws, targets, remote, jobs, revs, reporter, cwd)


def pull(
    ws: Workspace,
    targets: Sequence[str | Path] | None = None,
    *,
    remote: str | None = None,
    jobs: int | None = None,
    force: bool = False,
    link: str | None = None,
    reporter: Reporter = QUIET,
    cwd: Path | None = None,
) -> tuple[FetchResult, CheckoutReport]:
    """Fetch, then check out (see :func:`cairn.data.checkout.checkout`); nothing is checked
    out when any object could not be fetched."""
    from cairn.data.checkout import checkout, raise_failures

    fetched = _fetch(ws, targets, remote, jobs, (), reporter, cwd)
    report = checkout(ws, targets, force=force, link=link, cwd=cwd, reporter=reporter)
    raise_failures(report)
    return fetched, report


def _fetch(
    ws: Workspace,
    targets: Iterable[str | Path] | None,
    remote: str | None,
    jobs: int | None,
    revs: Sequence[str],
    reporter: Reporter,
    cwd: Path | None,
) -> FetchResult:
    if revs:
        pointers = [p for rev in revs for p in revision_pointers(ws, rev, targets, cwd)]
    else:
        pointers = [(ws.display(ws.data_path(f, p)), p) for f, p in ws.pointers(targets, cwd)]
    index = connect(ws, remote)
    result = fetch_pointers(ws, index, pointers, jobs=_jobs(jobs, index.storage), reporter=reporter)
    raise_for_failures(result, index.storage)
    return result


def fetch_pointers(
    ws: Workspace,
    index: RemoteIndex,
    pointers: Sequence[tuple[str, Pointer]],
    *,
    jobs: int,
    reporter: Reporter = QUIET,
) -> FetchResult:
    """Fetch the pointers' objects: first their own (manifests included), then the files of
    each folder; what was stored is remembered as verified in the state index."""
    result = fetch_objects(ws.cache, index, [p.oid for _, p in pointers], jobs=jobs,
                           reporter=reporter, label="fetch")  # fmt: skip
    entries: list[str] = []
    for shown, pointer in pointers:
        if pointer.is_dir and ws.cache.has(pointer.oid):
            entries.extend(sorted(ws.manifest_oids(pointer.oid, shown)))
    if entries:
        result.absorb(fetch_objects(ws.cache, index, entries, jobs=jobs, reporter=reporter,
                                    label="fetch files"))  # fmt: skip
    if result.stored:  # just hashed: checkout copies them without reading them twice
        ws.state.mark_verified(result.stored)
    return result


def raise_for_failures(result: FetchResult, storage: RemoteStorage) -> None:
    """One error for everything a fetch could not bring: corrupt objects, then absent ones."""
    if result.failed:
        first = result.failed[0].message
        more = f" (and {len(result.failed) - 1} more)" if len(result.failed) > 1 else ""
        error = CorruptObject if isinstance(result.failed[0], CorruptObject) else ObjectMissing
        raise error(
            f"{first}{more}. Repair the remote from a clone that has the data "
            f"(`cairn data push --force PATH -r {storage.name}`), then try again"
        )
    if result.absent:
        raise ObjectMissing(
            f"{len(result.absent)} objects are not on data remote {storage.name!r} "
            f"({storage.url}), e.g. {result.absent[0]}; push them from a clone that has the "
            "data (`cairn data push`)"
        )


def revision_pointers(
    ws: Workspace, revision: str, targets: Iterable[str | Path] | None, cwd: Path | None
) -> list[tuple[str, Pointer]]:
    """The pointers of git revision ``revision`` (pipeline outs in its cairn.lock files
    included; restricted to ``targets``), read from git."""
    from cairn.data.lock_outs import is_lock_path, parse_outs

    commit = git.resolve_revision(ws.root, revision)
    blobs = git.pointer_blobs(ws.root, commit, with_locks=True)
    wanted = None if targets is None else [ws.rel(ws.absolute(t, cwd)) for t in targets]

    def named(data: str) -> bool:
        return wanted is None or any(_names(data, want) for want in wanted)

    blobs = {
        path: blob for path, blob in blobs.items()
        if is_lock_path(path) or named(path.removesuffix(".cairn"))
    }  # fmt: skip
    texts = git.read_blobs(ws.root, blobs.values())
    found = []
    for path, blob in sorted(blobs.items()):
        source = f"{path} at {revision}"
        pointers = (
            parse_outs(texts[blob], source) if is_lock_path(path) else [parse(texts[blob], source)]
        )
        found += [(posixpath.join(posixpath.dirname(path), p.path), p) for p in pointers]
    found = [item for item in found if named(item[0])]
    if targets is not None and not found:
        raise ObjectMissing(
            f"no tracked data at {', '.join(map(str, targets))} in revision {revision!r}; "
            f"see `git ls-tree -r --name-only {revision}`"
        )
    return found


def _names(data: str, wanted: str) -> bool:
    """Whether the data at ``data`` is the data ``wanted`` (or its pointer file) or lies under it."""
    return wanted in ("", ".") or data == wanted or data + ".cairn" == wanted or (
        data.startswith(wanted.rstrip("/") + "/"))  # fmt: skip


# -- status against a remote ----------------------------------------------------------------------


@dataclass
class RemoteStatus:
    """How the cache and a remote compare for some pointers (paths are the data paths)."""

    remote: str
    url: str
    to_push: list[str] = field(default_factory=list)
    to_fetch: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    objects_to_push: int = 0
    bytes_to_push: int = 0
    objects_to_fetch: int = 0
    bytes_to_fetch: int = 0
    requests: int = 0

    @property
    def in_sync(self) -> bool:
        """Whether the remote and the cache hold the same data for these pointers."""
        return not (self.to_push or self.to_fetch or self.lost)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "remote": self.remote,
            "url": self.url,
            "in_sync": self.in_sync,
            "not_on_remote": list(self.to_push),
            "not_in_cache": list(self.to_fetch),
            "in_neither": list(self.lost),
            "objects_to_push": self.objects_to_push,
            "bytes_to_push": self.bytes_to_push,
            "objects_to_fetch": self.objects_to_fetch,
            "bytes_to_fetch": self.bytes_to_fetch,
        }


def status_against_remote(
    ws: Workspace, remote_name: str | None, pointers: Pointers
) -> RemoteStatus:
    """Compare the cache with remote ``remote_name`` (or the default) for ``pointers``."""
    index = connect(ws, remote_name)
    status = RemoteStatus(index.storage.name, index.storage.url)
    needs: list[tuple[str, set[str]]] = []
    for pointer_file, pointer in pointers:
        shown = ws.display(ws.data_path(pointer_file, pointer))
        oids = {pointer.oid}
        if pointer.is_dir:
            manifest = _manifest_anywhere(ws, index, pointer.oid, shown)
            if manifest is None:
                status.lost.append(shown)
                continue
            oids |= manifest.oids()
        needs.append((shown, oids))
    every = set().union(*(oids for _, oids in needs))
    here = ws.cache.present(every)
    there = {oid for oid in every if oid in index.locations}
    for shown, oids in needs:
        if (oids & here) - there:
            status.to_push.append(shown)
        if (oids & there) - here:
            status.to_fetch.append(shown)
        if oids - here - there:
            status.lost.append(shown)
    for oid in here - there:
        status.objects_to_push += 1
        status.bytes_to_push += ws.cache.size(oid)
    for oid in there - here:
        status.objects_to_fetch += 1
        status.bytes_to_fetch += index.locations[oid].length
    status.requests = index.storage.requests
    return status


def _manifest_anywhere(ws: Workspace, index: RemoteIndex, oid: str, shown: str) -> Manifest | None:
    """A folder's manifest from the cache, else read (and checked) from the remote, else None."""
    if ws.cache.has(oid):
        return ws.manifest(oid, shown)
    where = index.locations.get(oid)
    if where is None:
        return None
    storage = index.storage
    rel = loose_path(oid) if where.pack is None else pack_path(where.pack)
    if where.pack is None:
        data = storage.read(rel)
    else:
        data = storage.read_range(rel, where.offset, where.offset + where.length)
    if hash_bytes(data) != oid:
        raise CorruptObject(f"folder manifest {oid} at {storage.uri(rel)} is corrupt")
    return Manifest.from_bytes(data, f"folder manifest {oid} at {storage.uri(rel)}")
