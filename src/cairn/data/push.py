"""Push: copy the objects a remote lacks from the cache, small ones in packs, big ones loose.

The remote index says what is there (one listing); only the rest moves. File objects go
first and folder manifests last, so a remote that holds a manifest holds all its files. The
index is written as the push goes (a segment every few seconds), so an interrupted push is
resumed by pushing again: packs and loose objects that were complete but not yet indexed
are found and adopted instead of being sent twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cairn.data.packs import PACK_OBJECT_MAX, PackEntry, PackTable, build_pack, group_for_packs
from cairn.data.progress import QUIET, Advance, Reporter
from cairn.data.remote_index import IndexRecorder, RemoteIndex
from cairn.data.remote_layout import loose_path, pack_index_path, pack_path
from cairn.data.transfer import run_tasks
from cairn.objects.db import ObjectDB

# C threads reading and checking the objects of one pack (packs are built in parallel too).
READ_THREADS = 2


@dataclass
class PushResult:
    """What a push did."""

    remote: str
    pushed: int = 0
    pushed_bytes: int = 0
    packs: int = 0
    present: int = 0
    skipped: list[str] = field(default_factory=list)
    requests: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "remote": self.remote,
            "pushed": self.pushed,
            "pushed_bytes": self.pushed_bytes,
            "packs": self.packs,
            "already_present": self.present,
            "skipped": list(self.skipped),
        }


@dataclass(frozen=True, slots=True)
class _Stored:
    """One finished upload: a loose object or a pack."""

    loose: str | None
    pack: str | None
    size: int
    entries: tuple[PackEntry, ...] = ()
    sent: int = 0


def push_objects(
    cache: ObjectDB,
    index: RemoteIndex,
    files: list[str],
    manifests: list[str],
    *,
    jobs: int,
    reporter: Reporter = QUIET,
    force: bool = False,
    trusted: Callable[[str], bool] | None = None,
    known_sizes: Mapping[str, int] | None = None,
) -> PushResult:
    """Send the ``files`` objects, then the ``manifests``, that the remote does not hold
    (with ``force``: all of them, rewriting what the remote has). ``known_sizes`` are the
    objects' sizes where a manifest gives them (the others are looked up in the cache; an
    object of another size in the cache is found corrupt as it is read).

    Every object is hashed on its way out, so a corrupt cache object is never pushed, except
    large ones that ``trusted`` vouches for (the state index saw them verified, unchanged
    since): those are copied without being read twice.
    """
    result = PushResult(index.storage.name)
    files = list(dict.fromkeys(files))
    manifests = [oid for oid in dict.fromkeys(manifests) if oid not in set(files)]
    todo_files, todo_manifests = files, manifests
    if not force:
        todo_files, todo_manifests = index.missing(files), index.missing(manifests)
        if todo_files or todo_manifests:
            index.adopt_orphan_packs()
            todo_files, todo_manifests = index.missing(todo_files), index.missing(todo_manifests)
    result.present = len(files) + len(manifests) - len(todo_files) - len(todo_manifests)
    if todo_files or todo_manifests:
        known = known_sizes or {}
        sizes = {
            oid: known[oid] if oid in known else cache.size(oid)
            for oid in [*todo_files, *todo_manifests]
        }
        large = [oid for oid, size in sizes.items() if size >= PACK_OBJECT_MAX]
        vouched = {oid for oid in large if trusted(oid)} if trusted else set()
        recorder = IndexRecorder(index)
        label = f"push to {index.storage.name}"
        with reporter.track(label, len(sizes), sum(sizes.values())) as advance:
            pusher = _Pusher(cache, index, sizes, recorder, advance, result, force, vouched)
            try:
                for phase in (todo_files, todo_manifests):
                    run_tasks(pusher.tasks(phase), jobs, pusher.record)
                    recorder.flush()
            finally:
                recorder.flush()
        index.compact()
    result.requests = index.storage.requests
    return result


@dataclass
class _Pusher:
    """The uploads of one push and the bookkeeping of what they stored."""

    cache: ObjectDB
    index: RemoteIndex
    sizes: dict[str, int]
    recorder: IndexRecorder
    advance: Advance
    result: PushResult
    force: bool
    vouched: set[str]

    def tasks(self, oids: list[str]) -> Iterator[Callable[[], _Stored]]:
        """One task per large object, one per pack of small ones."""
        small = [(oid, self.sizes[oid]) for oid in oids if self.sizes[oid] < PACK_OBJECT_MAX]
        for oid in oids:
            if self.sizes[oid] >= PACK_OBJECT_MAX:
                yield lambda oid=oid: self.loose(oid)  # type: ignore[misc]
        for group in group_for_packs(small):
            yield lambda group=group: self.pack(group)  # type: ignore[misc]

    def loose(self, oid: str) -> _Stored:
        """Upload one large object (unless an interrupted push stored it whole already)."""
        rel, size = loose_path(oid), self.sizes[oid]
        storage = self.index.storage
        if not self.force and storage.size(rel) == size:
            return _Stored(oid, None, size)
        storage.upload(rel, self.cache.path_of(oid), None if oid in self.vouched else oid)
        return _Stored(oid, None, size, sent=size)

    def pack(self, oids: list[str]) -> _Stored:
        """Build and upload one pack, then its index."""
        pack = build_pack(zip(oids, self.cache.read_many(oids, jobs=READ_THREADS), strict=True))
        storage = self.index.storage
        sent = 0
        if self.force or storage.size(pack_path(pack.oid)) != len(pack.data):
            storage.write(pack_path(pack.oid), pack.data)
            sent = len(pack.data)
        storage.write(pack_index_path(pack.oid), pack.index_bytes())
        return _Stored(None, pack.oid, len(pack.data), pack.entries, sent=sent)

    def record(self, stored: _Stored) -> None:
        """Count a finished upload and note it for the next index segment."""
        if stored.pack is None:
            assert stored.loose is not None
            self.recorder.loose(stored.loose, stored.size)
            count = 1
        else:
            self.recorder.pack(stored.pack, PackTable.of(stored.size, stored.entries))
            count = len(stored.entries)
        self.advance(stored.size, count)
        if stored.sent:
            self.result.pushed += count
            self.result.packs += stored.pack is not None
            self.result.pushed_bytes += stored.sent
        else:  # complete on the remote already: a killed push sent it
            self.result.present += count
