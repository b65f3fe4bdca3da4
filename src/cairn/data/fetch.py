"""Fetch: bring objects the cache lacks from a remote, verifying each before it is stored.

Packed objects are read with ranged requests, neighbours merged into one read, so pulling
20,000 small files costs a handful of requests. Every object's bytes are hashed before the
object enters the cache: a corrupted or truncated remote object is reported with its remote
path and never stored. Objects are written without a per-file fsync (``durable=False``) and
flushed to disk together at the end (:meth:`ObjectDB.sync`, with ``[data] fsync``). The objects
of ranged reads are checked in a C loop. From ``PACK_FROM`` of them on, they go into one new
local pack (:class:`~cairn.objects.pack_writer.PackWriter`, neighbours in one write), whose index is
written every ``CHECKPOINT_SECONDS`` so that an interrupted fetch keeps what it stored; fewer
go each into its own file (:meth:`ObjectDB.store_blobs`). Each stored big object's signature
is returned, so the state index can remember it as checked and checkout need not hash it
again (small ones are checked whenever they are copied out).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cairn.data.packs import PackEntry, ReadRange, plan_reads
from cairn.data.progress import QUIET, Advance, Reporter
from cairn.data.remote_index import RemoteIndex
from cairn.data.remote_layout import loose_path, pack_path
from cairn.data.state import Signature, signature
from cairn.data.transfer import run_tasks
from cairn.errors import CorruptObject, ObjectMissing
from cairn.objects.db import ObjectDB
from cairn.objects.hashing import BLOCK, THREADED_FROM, Hasher
from cairn.objects.linking import copy_and_hash
from cairn.objects.pack_writer import PACK_FROM, PackWriter

# C threads storing the objects of one ranged read (the reads themselves run in parallel too).
STORE_THREADS = 2
# A fetch into a local pack writes its index at least this often (seconds), so an interrupted
# fetch keeps what it stored and the next one resumes from there.
CHECKPOINT_SECONDS = 1.0


@dataclass
class FetchResult:
    """What a fetch did: objects stored (big ones with their signatures), and those that could
    not be."""

    remote: str
    fetched: int = 0
    fetched_bytes: int = 0
    present: int = 0
    absent: list[str] = field(default_factory=list)
    failed: list[CorruptObject | ObjectMissing] = field(default_factory=list)
    stored: list[tuple[str, Signature]] = field(default_factory=list)
    requests: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "remote": self.remote,
            "fetched": self.fetched,
            "fetched_bytes": self.fetched_bytes,
            "already_present": self.present,
            "not_on_remote": list(self.absent),
            "failed": [error.message for error in self.failed],
        }

    def absorb(self, other: FetchResult) -> None:
        """Add the counts of a later phase."""
        self.fetched += other.fetched
        self.fetched_bytes += other.fetched_bytes
        self.present += other.present
        self.absent += other.absent
        self.failed += other.failed
        self.stored += other.stored
        self.requests = max(self.requests, other.requests)


def fetch_objects(
    cache: ObjectDB,
    index: RemoteIndex,
    oids: Iterable[str],
    *,
    jobs: int,
    reporter: Reporter = QUIET,
    label: str = "fetch",
) -> FetchResult:
    """Store in ``cache`` each of ``oids`` it lacks, from the remote of ``index``."""
    result = FetchResult(index.storage.name)
    unique = list(dict.fromkeys(oids))
    have = cache.present(unique)
    wanted = [oid for oid in unique if oid not in have]
    result.present = len(unique) - len(wanted)
    result.absent = [oid for oid in wanted if oid not in index]
    here = [oid for oid in wanted if oid in index]
    if here:
        loose = [oid for oid in here if index.locations[oid].pack is None]
        by_pack: dict[str, list[PackEntry]] = {}
        for oid in here:
            where = index.locations[oid]
            if where.pack is not None:
                by_pack.setdefault(where.pack, []).append(
                    PackEntry(oid, where.offset, where.length)
                )
        total = sum(index.locations[oid].length for oid in here)
        with reporter.track(f"{label} from {index.storage.name}", len(here), total) as advance:
            _run(cache, index, loose, by_pack, jobs, advance, result)
    result.requests = index.storage.requests
    return result


@dataclass
class _Batch:
    """Objects one task stored ``(oid, size, signature or None for a small object)``, and
    those it found corrupt."""

    stored: list[tuple[str, int, Signature | None]] = field(default_factory=list)
    corrupt: list[CorruptObject] = field(default_factory=list)


def _run(
    cache: ObjectDB,
    index: RemoteIndex,
    loose: list[str],
    by_pack: dict[str, list[PackEntry]],
    jobs: int,
    advance: Advance,
    result: FetchResult,
) -> None:
    packed = sum(len(entries) for entries in by_pack.values())
    writer = cache.pack_writer(durable=False) if packed >= PACK_FROM else None

    def tasks() -> Iterator[Callable[[], _Batch]]:
        for oid in loose:
            yield lambda oid=oid: _fetch_loose(cache, index, oid)  # type: ignore[misc]
        for pack, entries in by_pack.items():
            for read in plan_reads(entries):
                yield lambda pack=pack, read=read: _fetch_range(cache, index, pack, read, writer)  # type: ignore[misc]

    checkpointed = time.monotonic()

    def record(batch: _Batch) -> None:
        nonlocal checkpointed
        if writer is not None and time.monotonic() - checkpointed >= CHECKPOINT_SECONDS:
            writer.checkpoint()
            checkpointed = time.monotonic()
        for oid, size, sig in batch.stored:
            result.fetched += 1
            result.fetched_bytes += size
            if sig is not None:  # (small objects are not remembered as checked)
                result.stored.append((oid, sig))
        advance(sum(size for _, size, _ in batch.stored), len(batch.stored))
        result.failed += batch.corrupt

    try:
        result.failed += run_tasks(  # type: ignore[arg-type]
            tasks(),
            jobs,
            record,
            keep_going=lambda exc: isinstance(exc, CorruptObject | ObjectMissing),
        )
    finally:
        try:
            if writer is not None:
                writer.close()
        finally:
            cache.sync()


def _fetch_loose(cache: ObjectDB, index: RemoteIndex, oid: str) -> _Batch:
    storage = index.storage
    rel = loose_path(oid)
    tmp = cache.temp_path()
    try:
        if storage.local:
            with storage.guard("reading", rel):  # the copy is hashed as it is written
                got = copy_and_hash(storage.local_path(rel), tmp)
            size = os.stat(tmp).st_size
        else:
            hasher = Hasher(threaded=True)
            with open(tmp, "xb") as out:
                for chunk in storage.read_chunks(rel, BLOCK):
                    hasher.update(chunk)
                    out.write(chunk)
            got, size = hasher.oid(), hasher.size
        if got != oid:
            raise _corrupt(oid, storage.uri(rel), f"its {size} bytes hash to {got}")
        cache.add_file(tmp, oid, move=True, durable=False)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return _Batch([(oid, size, signature(os.stat(cache.path_of(oid))))])


def _fetch_range(
    cache: ObjectDB, index: RemoteIndex, pack: str, read: ReadRange, writer: PackWriter | None
) -> _Batch:
    storage = index.storage
    rel = pack_path(pack)
    data = storage.read_range(rel, read.start, read.end)
    batch = _Batch()
    spans = read.spans(len(data))
    if writer is not None:
        outcomes = writer.store_blobs(data, spans, jobs=STORE_THREADS)
    else:
        outcomes = cache.store_blobs(data, spans, durable=False, jobs=STORE_THREADS)
    for entry, (_, _, got_bytes), outcome in zip(read.members, spans, outcomes, strict=True):
        if isinstance(outcome, str):
            where = f"{storage.uri(rel)} (bytes {entry.offset}-{entry.end})"
            why = f"{got_bytes} of {entry.length} bytes read, hashing to {outcome}"
            batch.corrupt.append(_corrupt(entry.oid, where, why))
        elif entry.length < THREADED_FROM or writer is not None:  # checked when copied out
            batch.stored.append((entry.oid, entry.length, None))
        else:
            sig = signature(os.stat(cache.path_of(entry.oid)))
            batch.stored.append((entry.oid, entry.length, sig))
    return batch


def _corrupt(oid: str, where: str, why: str) -> CorruptObject:
    return CorruptObject(f"object {oid} at {where} is corrupt ({why}); it was not stored")
