"""The remote index: what a data remote holds, learnt from one listing, not one request per object.

The index is a set of immutable *segments* under ``index/`` on the remote, each named
``<time written in ns>-<BLAKE3 of its bytes>.json`` and listing loose objects and packs, in
columns like a pack's index (:class:`cairn.data.packs.PackTable`)::

    {"format": "cairn-remote-index", "version": 1,
     "loose": {"oids": "<64 hex>...", "sizes": [1073741824, ...]},
     "packs": {"<pack oid>": {"size": 16777000, "oids": "...", "offsets": [...],
                              "lengths": [...]}}}

Segments are merged oldest first, so when two name the same object the newest location wins
(``push --force`` rewrites a damaged object that way). A push writes a segment only after the
objects it names are completely stored, every few
seconds or few thousand objects, so an interrupted push leaves a consistent index and the
next one skips what is already there. When more than ``COMPACT_AT`` segments pile up they
are merged into one; the merged segment is written before the old ones are deleted, and a
reader that loses a race with a compaction simply lists again.

Segments never change, so the local copy in ``.cairn/remotes/<id>/`` stays valid forever:
an unchanged remote costs one listing, and a changed one only the new segments. Every
segment read (from the remote or the local copy) is checked against its name.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import NamedTuple

from cairn.data.packs import PackEntry, PackTable, decode_index, parse_columns, read_document
from cairn.data.remote_layout import (
    INDEX,
    PACKS,
    RemoteStorage,
    pack_index_path,
    pack_path,
    segment_path,
)
from cairn.errors import CorruptObject, ObjectMissing
from cairn.objects.digest import is_oid
from cairn.objects.hashing import hash_bytes

FORMAT = "cairn-remote-index"
VERSION = 1
COMPACT_AT = 16
FLUSH_SECONDS = 5.0
FLUSH_OBJECTS = 5000
_LIST_ATTEMPTS = 4
# <time written, ns>-<BLAKE3 of the bytes>.json: sorting the names orders segments by age
_SEGMENT_NAME = re.compile(r"[0-9]{20}-[0-9a-f]{64}\.json")


def _oid_of(segment_name: str) -> str:
    """The hash part of a segment's name."""
    return segment_name.rpartition("-")[2]


class Location(NamedTuple):
    """Where an object lies on a remote: loose (``pack`` is None) or a range of a pack."""

    pack: str | None
    offset: int
    length: int


@dataclass
class Segment:
    """One piece of the remote index: loose objects with sizes, packs with their tables."""

    loose: dict[str, int] = field(default_factory=dict)
    packs: dict[str, PackTable] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.loose) + sum(len(table.oids) for table in self.packs.values())

    def to_bytes(self) -> bytes:
        """The segment's canonical bytes (sorted, compact JSON)."""
        loose = sorted(self.loose)
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "loose": {"oids": "".join(loose), "sizes": [self.loose[oid] for oid in loose]},
            "packs": {pack: self.packs[pack].to_json() for pack in sorted(self.packs)},
        }
        return json.dumps(doc, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes, source: str) -> Segment:
        """Parse and check a segment read from ``source``."""
        where = f"remote index segment {source}"
        doc = read_document(data, where, FORMAT, VERSION)
        loose, packs = doc.get("loose"), doc.get("packs")
        if not isinstance(loose, dict) or not isinstance(packs, dict):
            raise CorruptObject(f"{where} lacks its loose and packs tables")
        sizes = loose.get("sizes")
        oids = parse_columns(loose.get("oids"), [sizes], f"{where} (loose objects)")
        segment = cls(dict(zip(oids, sizes, strict=True)))  # type: ignore[arg-type]
        for pack, columns in packs.items():
            if not is_oid(pack) or not isinstance(columns, dict):
                raise CorruptObject(f"{where} has a bad pack entry {pack!r:.80}")
            segment.packs[pack] = PackTable.from_json(columns, where)
        return segment


class RemoteIndex:
    """The objects a remote holds (``oid -> Location``), from its segments."""

    def __init__(self, storage: RemoteStorage, cache_dir: Path | None = None) -> None:
        self.storage = storage
        self.cache_dir = cache_dir
        self.locations: dict[str, Location] = {}
        self.packs: dict[str, int] = {}
        self.segments: list[str] = []

    def __contains__(self, oid: object) -> bool:
        return oid in self.locations

    def __len__(self) -> int:
        return len(self.locations)

    # -- reading ----------------------------------------------------------------------------

    def load(self) -> RemoteIndex:
        """List the remote's segments and merge them (new ones fetched, known ones local)."""
        for attempt in range(_LIST_ATTEMPTS):
            names = self._list_segments()
            try:
                loaded = [(name, self._segment(name)) for name in names]
            except ObjectMissing:
                if attempt == _LIST_ATTEMPTS - 1:
                    raise
                continue  # compacted while we read: list again
            break
        self.locations.clear()
        self.packs.clear()
        self.segments = []
        for name, segment in loaded:
            self._merge(name, segment)
        self._forget_cached(set(names))
        return self

    def missing(self, oids: list[str]) -> list[str]:
        """The oids the remote does not hold, in the given order."""
        return [oid for oid in oids if oid not in self.locations]

    def _list_segments(self) -> list[str]:
        return sorted(
            name[: -len(".json")]
            for name, _ in self.storage.listdir(INDEX)
            if _SEGMENT_NAME.fullmatch(name)
        )

    def _segment(self, name: str) -> Segment:
        cached = self._cached_path(name)
        if cached is not None and cached.is_file():
            data = cached.read_bytes()
            if hash_bytes(data) == _oid_of(name):
                return Segment.from_bytes(data, str(cached))
            cached.unlink()
        rel = segment_path(name)
        data = self.storage.read(rel)
        if hash_bytes(data) != _oid_of(name):
            raise CorruptObject(
                f"remote index segment {self.storage.uri(rel)} is corrupt (its bytes do not "
                "match its name); delete that file and push again to rewrite what it listed"
            )
        segment = Segment.from_bytes(data, self.storage.uri(rel))
        self._cache(name, data)
        return segment

    def _merge(self, name: str, segment: Segment) -> None:
        self.segments.append(name)
        found = self.locations
        loose = segment.loose
        found.update(
            zip(loose, map(Location, repeat(None), repeat(0), loose.values()), strict=True)
        )
        for pack, table in segment.packs.items():
            self.packs[pack] = table.size
            at = map(Location, repeat(pack), table.offsets, table.lengths)
            found.update(zip(table.oids, at, strict=True))

    # -- writing ----------------------------------------------------------------------------

    def write_segment(self, segment: Segment) -> str | None:
        """Store ``segment`` on the remote (after the data it names) and merge it; its name."""
        if not len(segment) and not segment.packs:
            return None
        data = segment.to_bytes()
        name = f"{time.time_ns():020d}-{hash_bytes(data)}"
        self.storage.write(segment_path(name), data)
        self._cache(name, data)
        if name not in self.segments:
            self._merge(name, segment)
        return name

    def compact(self, at: int = COMPACT_AT) -> bool:
        """Merge every segment into one when there are more than ``at``; whether it did."""
        if len(self.segments) <= at:
            return False
        old = list(self.segments)
        merged = Segment()
        grouped: dict[str, list[PackEntry]] = {}
        for oid, where in self.locations.items():
            if where.pack is None:
                merged.loose[oid] = where.length
            else:
                grouped.setdefault(where.pack, []).append(PackEntry(oid, *where[1:]))
        for pack, entries in grouped.items():
            merged.packs[pack] = PackTable.of(self.packs[pack], sorted(entries, key=lambda e: e[1]))
        new = self.write_segment(merged)
        for name in old:
            if name != new:
                self.storage.delete(segment_path(name))
        self.segments = [new] if new else []
        self._forget_cached(set(self.segments))
        return True

    def adopt_orphan_packs(self) -> int:
        """Index packs that are complete on the remote but in no segment (a push was killed
        after writing them); the number of objects adopted."""
        listed = {name for name, _ in self.storage.listdir(PACKS)}
        orphans = [
            name[: -len(".idx")]
            for name in listed
            if name.endswith(".idx")
            and is_oid(name[: -len(".idx")])
            and name[: -len(".idx")] not in self.packs
            and f"{name[: -len('.idx')]}.pack" in listed
        ]
        segment = Segment()
        for pack in orphans:
            rel = pack_index_path(pack)
            try:
                named, table = decode_index(self.storage.read(rel), self.storage.uri(rel))
            except (CorruptObject, ObjectMissing):
                continue  # an unusable index: the objects are pushed again
            if named == pack and self.storage.size(pack_path(pack)) == table.size:
                segment.packs[pack] = table
        if segment.packs:
            self.write_segment(segment)
        return len(segment)

    # -- the local copy ---------------------------------------------------------------------

    def _cached_path(self, name: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / f"{name}.json"

    def _cache(self, name: str, data: bytes) -> None:
        path = self._cached_path(name)
        if path is None or path.is_file():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def _forget_cached(self, keep: set[str]) -> None:
        if self.cache_dir is None or not self.cache_dir.is_dir():
            return
        for path in self.cache_dir.glob("*.json"):
            if path.stem not in keep:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


class IndexRecorder:
    """Collects what a push stored and writes it as segments now and then (so a killed push
    loses at most a few seconds of work)."""

    def __init__(
        self,
        index: RemoteIndex,
        every_seconds: float | None = None,
        every_objects: int | None = None,
    ) -> None:
        self.index = index
        self.every_seconds = FLUSH_SECONDS if every_seconds is None else every_seconds
        self.every_objects = FLUSH_OBJECTS if every_objects is None else every_objects
        self._pending = Segment()
        self._since = time.monotonic()

    def loose(self, oid: str, size: int) -> None:
        """A loose object is completely stored."""
        self._pending.loose[oid] = size
        self.maybe_flush()

    def pack(self, pack_oid: str, table: PackTable) -> None:
        """A pack and its index are completely stored."""
        self._pending.packs[pack_oid] = table
        self.maybe_flush()

    def maybe_flush(self) -> None:
        """Write a segment when enough time or objects have gathered."""
        if (
            len(self._pending) >= self.every_objects
            or time.monotonic() - self._since >= self.every_seconds
        ):
            self.flush()

    def flush(self) -> None:
        """Write whatever is pending as one segment."""
        pending, self._pending = self._pending, Segment()
        self._since = time.monotonic()
        if len(pending) or pending.packs:
            self.index.write_segment(pending)
