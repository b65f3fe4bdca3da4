"""Writing many small objects into one new local pack of an :class:`ObjectDB` (see
:mod:`cairn.objects.local_packs` for the files): from files (``cairn data add``) or from the
byte ranges of a remote pack (``cairn data fetch``)."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from cairn.objects import db as objects_db
from cairn.objects.db import READ_ONLY, ObjectDB
from cairn.objects.digest import check_oid
from cairn.objects.hashing import THREADED_FROM, hash_bytes
from cairn.objects.local_packs import INDEX_SUFFIX, PACK_SUFFIX, Location, write_index

PACK_FROM = 128  # a PackWriter is worth its pack from this many small files on


class PackWriter:
    """Small objects stored into one new pack of ``db`` (see :mod:`cairn.objects.local_packs`),
    over as many :meth:`store_files` and :meth:`store_blobs` calls as wanted, then
    :meth:`close`, which writes the pack's index: until then (or a :meth:`checkpoint`) the
    objects are invisible to other processes (an interrupted writer leaves a pack without an
    index, which gc deletes). Without ``durable`` the pack and its index are flushed by
    ``db``'s next :meth:`ObjectDB.sync`."""

    def __init__(self, db: ObjectDB, *, durable: bool = True) -> None:
        self.db = db
        self.durable = durable
        self.name = db._pack_name()
        self.path = f"{db.packs.folder}/{self.name}{PACK_SUFFIX}"
        self.entries: dict[str, Location] = {}
        self._fd: int | None = None
        self._end = 0
        self._packed = db.packs.refresh()  # (read once: a pack written meanwhile elsewhere
        self._loose: dict[str, set[str]] = {}  # costs duplicate bytes, not a wrong answer)
        self._lock = threading.Lock()  # (store_blobs may run in several threads at once)
        self._claimed: set[str] = set()  # objects store_blobs is writing

    def __enter__(self) -> PackWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def store_files(
        self, paths: Sequence[str], oids: Sequence[str | None] | None = None, *, jobs: int = 1
    ) -> list[tuple[str, bool]]:
        """:meth:`ObjectDB.store_files` of ``paths``, the small regular files going into the
        pack (objects present already are not added again); the results in order."""
        native = objects_db._faststore  # (the C loops, or None: switched off or not built)
        if native is None:
            return self.db.store_files(paths, oids, durable=self.durable, jobs=jobs)
        expected = [None] * len(paths) if oids is None else list(oids)
        results: list[tuple[str, bool] | None] = [None] * len(paths)
        todo = []
        for index, oid in enumerate(expected):
            if oid is not None:
                check_oid(oid)
                if self._present(oid):
                    results[index] = (oid, False)
                    continue
            todo.append(index)
        error: OSError | None = None
        rest: list[int] = []
        if todo:
            done = native.pack_files(
                self._open(), self._end, [os.fspath(paths[i]) for i in todo],
                [expected[i] for i in todo], jobs, THREADED_FROM - 1,
            )  # fmt: skip
            for index, (first, second, third) in zip(todo, done, strict=True):
                if first is not None:
                    self._end = max(self._end, second + third)
                    results[index] = (first, self._keep(first, second, third))
                elif not isinstance(second, bool):  # (None, errno, path or None: the pack)
                    error = error or OSError(second, os.strerror(second), third or self.path)
                elif second and error is None:  # not for the C loop: too big or not regular
                    rest.append(index)
        if rest:
            stored = self.db.store_files(
                [paths[i] for i in rest], [expected[i] for i in rest], durable=self.durable,
                jobs=jobs,
            )  # fmt: skip
            for index, result in zip(rest, stored, strict=True):
                results[index] = result
        if error is not None:
            raise error
        return results  # type: ignore[return-value]  # (every slot is filled by now)

    def store_blobs(
        self, data: bytes | memoryview, entries: Sequence[tuple[str, int, int]], *, jobs: int = 1
    ) -> list[bool | str]:
        """:meth:`ObjectDB.store_blobs` into the pack: each ``(oid, offset, length)`` range of
        ``data`` whose bytes hash to ``oid`` is appended, neighbours in one write, unless the
        cache holds it; per entry, whether it was written, or the oid its bytes hash to
        instead (nothing stored). Several threads may call it at once."""
        for oid, _, _ in entries:
            check_oid(oid)
        checked = _check_blobs(data, entries, jobs)
        results: list[bool | str] = [False if got is None else got for got in checked]
        with self._lock:
            new = [i for i, got in enumerate(checked) if got is None
                   and entries[i][0] not in self._claimed and not self._present(entries[i][0])]  # fmt: skip
            self._claimed.update(entries[i][0] for i in new)
            fd, at = self._open(), self._end
            self._end += sum(entries[i][2] for i in new)
        placed = []
        try:
            for run in _contiguous([entries[i] for i in new]):
                start, end = run[0][1], run[-1][1] + run[-1][2]
                _pwrite_all(fd, memoryview(data)[start:end], at)
                placed += [(oid, at + offset - start, size) for oid, offset, size in run]
                at += end - start
        finally:
            with self._lock:
                for (oid, offset, size), i in zip(placed, new, strict=False):
                    results[i] = self._keep(oid, offset, size)
                self._claimed.difference_update(entries[i][0] for i in new[len(placed) :])
        return results

    def _open(self) -> int:
        if self._fd is None:
            self.db.packs.folder.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
            self._fd = os.open(self.path, flags, READ_ONLY)
        return self._fd

    def _keep(self, oid: str, offset: int, size: int) -> bool:
        """Index the bytes just packed unless the object is present already (their bytes
        then stay in the pack unused until gc repacks it); whether it was new."""
        if self._present(oid):
            return False
        where = Location(self.path, offset, size)
        self.entries[oid] = where
        self._packed[oid] = where  # (the cache's index: readable in this process at once)
        return True

    def _present(self, oid: str) -> bool:
        """Whether the cache holds ``oid``: packed, or loose (one listing per prefix folder,
        not one stat per object)."""
        return oid in self._packed or self.db._listed_loose(self._loose, oid)

    def checkpoint(self) -> None:
        """Write the index of the objects packed so far, so that they stay stored should the
        writer be interrupted (flushed to disk first when the writer is durable)."""
        with self._lock:
            if self._fd is None or not self.entries:
                return
            if self.durable:
                os.fsync(self._fd)
            write_index(self._index_path, self.entries, durable=self.durable)

    def close(self) -> None:
        """Write the pack's index (nothing, and no pack, when no new object went in)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if self.entries and self.durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        if not self.entries:
            os.unlink(self.path)
            return
        write_index(self._index_path, self.entries, durable=self.durable)
        if not self.durable:
            self.db._unsynced += [self.path, str(self._index_path)]

    @property
    def _index_path(self) -> Path:
        return self.db.packs.folder / f"{self.name}{INDEX_SUFFIX}"


def _check_blobs(
    data: bytes | memoryview, entries: Sequence[tuple[str, int, int]], jobs: int
) -> list[str | None]:
    """Per ``(oid, offset, length)`` range of ``data``: None when its bytes hash to ``oid``,
    else the oid they hash to."""
    native = objects_db._faststore
    if native is not None:
        return native.check_blobs(data, [oid for oid, _, _ in entries],
                                  [start for _, start, _ in entries],
                                  [size for _, _, size in entries], jobs)  # fmt: skip
    hashes = [hash_bytes(data[start : start + size]) for _, start, size in entries]
    return [None if got == oid else got for (oid, _, _), got in zip(entries, hashes, strict=True)]


def _contiguous(entries: list[tuple[str, int, int]]) -> Iterator[list[tuple[str, int, int]]]:
    """``(oid, offset, length)`` entries in runs, each starting where the one before ended."""
    run: list[tuple[str, int, int]] = []
    for entry in entries:
        if run and run[-1][1] + run[-1][2] != entry[1]:
            yield run
            run = []
        run.append(entry)
    if run:
        yield run


def _pwrite_all(fd: int, data: memoryview, at: int) -> None:
    while data:
        wrote = os.pwrite(fd, data, at)
        if wrote == 0:
            raise OSError(errno.EIO, "the pack took no bytes")
        data, at = data[wrote:], at + wrote
