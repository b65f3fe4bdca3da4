"""Local pack files: many small objects in one file of the cache.

Adding a folder of 20,000 small files used to create 20,000 object files, and creating a file
(its inode and directory entry) is most of what a copy of small files costs. Packed, they
cost one file, like git's packs::

    <root>/packs/<name>.pack   the objects' bytes, one after another
    <root>/packs/<name>.idx    MAGIC, then per object, sorted by oid: its 32 bytes, its offset
                               and its size (little-endian u64 each)
    <root>/packs/dropped       objects found corrupt in a pack: a line "<oid> <pack name>" each

An index is written (to a temporary name, renamed) only once its pack is whole, so a pack
without an index is an interrupted write, deleted by gc like other temporary files. An
index entry past the end of its pack (a power cut before write-back) is ignored: the object
counts as absent and the next add or fetch stores it again. So does an object in ``dropped``
(the bytes read for it from that pack did not hash to its oid); gc's repack removes them.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple, TypeVar

PACKS_DIR = "packs"
DROPPED = "dropped"
MAGIC = b"CAIRNPK1"
ENTRY = struct.Struct("<32sQQ")
PACK_SUFFIX, INDEX_SUFFIX = ".pack", ".idx"
Where = TypeVar("Where", bound=tuple)  # what an index parser gives per oid (pack first)


class Location(NamedTuple):
    """Where a packed object's bytes are."""

    pack: str  # the pack file's path
    offset: int
    size: int


def index_bytes(entries: Iterable[tuple[str, int, int]]) -> bytes:
    """The index of ``(oid, offset, size)`` entries (sorted here)."""
    rows = sorted((bytes.fromhex(oid), offset, size) for oid, offset, size in entries)
    return MAGIC + b"".join(ENTRY.pack(*row) for row in rows)


def parse_index(data: bytes, pack: str, pack_size: int) -> dict[str, Location]:
    """The entries of an index whose bytes lie inside the pack's ``pack_size`` bytes; none
    for an index that is not one."""
    new = tuple.__new__  # (a third faster than calling Location, for 20,000 entries)
    return {raw.hex(): new(Location, (pack, offset, size))
            for raw, offset, size in _entries(data) if offset + size <= pack_size}  # fmt: skip


def parse_oids(data: bytes, pack: str, pack_size: int) -> dict[str, tuple[str]]:
    """:func:`parse_index` without offsets and sizes (oid -> ``(pack,)``), three times
    faster."""
    where = (pack,)
    return {raw.hex(): where for raw, offset, size in _entries(data) if offset + size <= pack_size}


def _entries(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    body = memoryview(data)[len(MAGIC) :]
    if not data.startswith(MAGIC) or len(body) % ENTRY.size:
        return iter(())
    return ENTRY.iter_unpack(body)


class LocalPacks:
    """The packs under ``<root>/packs``: their index, read once on first use."""

    def __init__(self, root: Path) -> None:
        self.folder = Path(root) / PACKS_DIR
        self._index: dict[str, Location] | None = None
        self._stamp: int | None = None  # the folder's mtime when the index was read

    def index(self) -> dict[str, Location]:
        """Every packed object present (oid -> location), dropped ones left out: as read on
        first use (see :meth:`refresh` for packs other processes wrote since)."""
        if self._index is None:
            self.refresh()
        assert self._index is not None
        return self._index

    def get(self, oid: str) -> Location | None:
        """Where ``oid`` is packed, or None; a miss rereads the index when a pack was added
        (or removed) since it was read."""
        found = self.index().get(oid)
        if found is None and self._stamp != self._folder_stamp():
            found = self.refresh().get(oid)
        return found

    def refresh(self) -> dict[str, Location]:
        """Read the index again when the packs changed since (by their folder's mtime)."""
        stamp = self._folder_stamp()
        if self._index is None or stamp != self._stamp:
            self._stamp = stamp
            self._index = self._load()
        return self._index

    def _folder_stamp(self) -> int:
        try:
            return os.stat(self.folder).st_mtime_ns
        except FileNotFoundError:
            return 0

    def oids(self) -> list[str]:
        """Every packed object present, read from the indexes now (not kept: for a caller
        that lists the cache once, where building every location would cost three times as
        much)."""
        return list(self._load(parse_oids))

    def _load(
        self, parse: Callable[[bytes, str, int], dict[str, Where]] = parse_index
    ) -> dict[str, Where]:
        found: dict[str, Where] = {}
        for name in sorted(_listed(self.folder)):
            if not name.endswith(INDEX_SUFFIX):
                continue
            pack = f"{self.folder}/{name[: -len(INDEX_SUFFIX)]}{PACK_SUFFIX}"
            try:
                pack_size = os.stat(pack).st_size
                with open(self.folder / name, "rb") as handle:
                    data = handle.read()
            except FileNotFoundError:  # removed by a repack meanwhile
                continue
            found.update(parse(data, pack, pack_size))
        for oid, pack_name in self.dropped():
            where = found.get(oid)
            if where is not None and os.path.basename(where[0]) == pack_name:
                del found[oid]
        return found

    def dropped(self) -> set[tuple[str, str]]:
        """The objects found corrupt in a pack: (oid, the pack's file name)."""
        try:
            lines = (self.folder / DROPPED).read_text().splitlines()
        except FileNotFoundError:
            return set()
        return {(parts[0], parts[1]) for line in lines if len(parts := line.split()) == 2}

    def drop(self, oid: str) -> None:
        """Count packed object ``oid`` as absent from now on (its bytes are corrupt)."""
        where = self.index().pop(oid, None)
        if where is None:
            return
        with open(self.folder / DROPPED, "a") as handle:
            handle.write(f"{oid} {os.path.basename(where.pack)}\n")

    def read(self, location: Location) -> bytes:
        """The bytes at ``location`` (not checked against the oid)."""
        fd = os.open(location.pack, os.O_RDONLY | os.O_CLOEXEC)
        try:
            data = os.pread(fd, location.size, location.offset)
        finally:
            os.close(fd)
        if len(data) != location.size:  # the pack shrank since its index was read
            raise FileNotFoundError(f"{location.pack} ends before the object's bytes")
        return data

    def orphans(self) -> list[str]:
        """The packs without an index (interrupted writes) and temporary index files."""
        names = set(_listed(self.folder))
        return [
            f"{self.folder}/{name}"
            for name in sorted(names)
            if name.endswith(".tmp")
            or (
                name.endswith(PACK_SUFFIX) and name[: -len(PACK_SUFFIX)] + INDEX_SUFFIX not in names
            )
        ]

    def repack(self, remove: set[str], new_name: str) -> None:
        """Rewrite every pack holding an object of ``remove`` (or a dropped one) without
        those: a pack left with nothing is deleted, the others' live objects go to new packs
        (``new_name`` plus a counter); then ``dropped`` is emptied."""
        index = self.index()
        dropped = self.dropped()
        by_pack: dict[str, list[tuple[str, Location]]] = {}
        for oid, where in index.items():
            by_pack.setdefault(where.pack, []).append((oid, where))
        touched = {where.pack for oid, where in index.items() if oid in remove}
        touched |= {f"{self.folder}/{pack_name}" for _, pack_name in dropped}
        for number, pack in enumerate(sorted(touched)):
            held = by_pack.get(pack, [])
            for oid, _ in held:
                index.pop(oid, None)
            live = [(oid, where) for oid, where in held if oid not in remove]
            if live:  # (written, and indexed, before the old pack goes)
                self._write_live(live, f"{new_name}-{number}")
            _unlink_quietly(pack[: -len(PACK_SUFFIX)] + INDEX_SUFFIX)
            _unlink_quietly(pack)
        if dropped:
            _unlink_quietly(str(self.folder / DROPPED))

    def _write_live(self, live: list[tuple[str, Location]], name: str) -> None:
        """Copy ``live`` (all of one pack) into the new pack ``name``, indexed and on disk."""
        pack = f"{self.folder}/{name}{PACK_SUFFIX}"
        entries: dict[str, Location] = {}
        with open(live[0][1].pack, "rb") as old, open(pack, "xb") as out:
            for oid, where in sorted(live, key=lambda item: item[1].offset):
                data = os.pread(old.fileno(), where.size, where.offset)
                if len(data) != where.size:
                    raise OSError(f"{where.pack} ends before the bytes of {oid}")
                entries[oid] = Location(pack, out.tell(), where.size)
                out.write(data)
            out.flush()
            os.fsync(out.fileno())
        write_index(self.folder / f"{name}{INDEX_SUFFIX}", entries, durable=True)
        self.index().update(entries)


def write_index(path: Path, entries: dict[str, Location], *, durable: bool) -> None:
    """Write the index of ``entries`` at ``path`` (a temporary name renamed: all or nothing)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    data = index_bytes((oid, where.offset, where.size) for oid, where in entries.items())
    with open(tmp, "xb") as out:
        out.write(data)
        if durable:
            out.flush()
            os.fsync(out.fileno())
    os.replace(tmp, path)


def _listed(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return []


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
