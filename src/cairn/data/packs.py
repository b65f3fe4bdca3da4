"""Pack files: many small objects travel to a remote as one file plus an index.

A pack is the plain concatenation of its objects' bytes (no header, so any object is one byte
range). Its name is the BLAKE3 of those bytes, so a pack is immutable and can be written by
two pushers at once without harm. Its index is one JSON document holding a :class:`PackTable`
in columns (the oids as one hex string, then offsets and lengths), in pack order; columns
parse about ten times faster than a list of rows::

    {"format": "cairn-pack-index", "version": 1, "pack": "<oid>", "size": 1234,
     "oids": "<64 hex><64 hex>", "offsets": [0, 512], "lengths": [512, 722]}

Readers fetch only the ranges they need: :func:`plan_reads` merges the ranges of wanted
objects that lie close together into one request.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cairn.errors import CorruptObject
from cairn.objects.digest import is_oid, split_oids
from cairn.objects.hashing import hash_bytes

FORMAT = "cairn-pack-index"
VERSION = 1
# Objects below this size travel in packs; larger ones are stored loose.
PACK_OBJECT_MAX = 1 << 20
# A pack is closed once it holds this many bytes (so it is one PUT of at most ~16 MiB).
PACK_TARGET = 16 << 20
# Two wanted ranges of a pack closer than this are read as one request, up to READ_SPAN bytes.
READ_GAP = 256 << 10
READ_SPAN = 32 << 20
_HEX = re.compile(r"(?:[0-9a-f]{64})*")


class PackEntry(NamedTuple):
    """Where one object lies inside a pack."""

    oid: str
    offset: int
    length: int

    @property
    def end(self) -> int:
        """The offset just past the object."""
        return self.offset + self.length


class PackTable(NamedTuple):
    """A pack's size and its objects, in columns (equal lengths, pack order)."""

    size: int
    oids: list[str]
    offsets: list[int]
    lengths: list[int]

    @classmethod
    def of(cls, size: int, entries: Iterable[PackEntry]) -> PackTable:
        """The table of ``entries`` in a pack of ``size`` bytes."""
        rows = list(entries)
        return cls(size, [e.oid for e in rows], [e.offset for e in rows], [e.length for e in rows])

    def entries(self) -> list[PackEntry]:
        """The table as rows."""
        return list(map(PackEntry, self.oids, self.offsets, self.lengths))

    def to_json(self) -> dict[str, Any]:
        """The columns as JSON values (oids joined into one hex string)."""
        return {"size": self.size, "oids": "".join(self.oids), "offsets": self.offsets,
                "lengths": self.lengths}  # fmt: skip

    @classmethod
    def from_json(cls, doc: dict[str, Any], source: str) -> PackTable:
        """Parse and check the columns of ``doc`` (from ``source``, for errors)."""
        size, offsets, lengths = doc.get("size"), doc.get("offsets"), doc.get("lengths")
        if type(size) is not int or size < 0:
            raise CorruptObject(f"{source} has no valid pack size")
        oids = parse_columns(doc.get("oids"), [offsets, lengths], source)
        if oids and max(map(operator.add, offsets, lengths)) > size:  # type: ignore[arg-type]
            raise CorruptObject(f"{source} places an object past the end of its pack")
        return cls(size, oids, offsets, lengths)  # type: ignore[arg-type]


def parse_columns(hexed: object, columns: list[object], source: str) -> list[str]:
    """The oids of a column table (one hex string of 64-digit ids), checking that every other
    column is a list of as many whole numbers >= 0."""
    if type(hexed) is not str or not _HEX.fullmatch(hexed):
        raise CorruptObject(f"{source} has object ids that are not 64 lowercase hex digits each")
    count = len(hexed) // 64
    for values in columns:
        if not (
            type(values) is list
            and len(values) == count
            and all(type(v) is int for v in values)
            and (not values or min(values) >= 0)
        ):
            raise CorruptObject(f"{source} has a column that is not {count} whole numbers")
    return split_oids(hexed)


@dataclass(frozen=True, slots=True)
class Pack:
    """A built pack: its name (the BLAKE3 of ``data``), bytes and index."""

    oid: str
    data: bytes
    entries: tuple[PackEntry, ...]

    def table(self) -> PackTable:
        """The pack's index as a table."""
        return PackTable.of(len(self.data), self.entries)

    def index_bytes(self) -> bytes:
        """The pack's index document (deterministic JSON, UTF-8)."""
        doc = {"format": FORMAT, "version": VERSION, "pack": self.oid, **self.table().to_json()}
        return json.dumps(doc, separators=(",", ":")).encode()


def build_pack(objects: Iterable[tuple[str, bytes]]) -> Pack:
    """Concatenate ``(oid, data)`` pairs into a pack (duplicates are stored once)."""
    parts: list[bytes] = []
    entries: list[PackEntry] = []
    seen: set[str] = set()
    offset = 0
    for oid, data in objects:
        if oid in seen:
            continue
        seen.add(oid)
        parts.append(data)
        entries.append(PackEntry(oid, offset, len(data)))
        offset += len(data)
    blob = b"".join(parts)
    return Pack(hash_bytes(blob), blob, tuple(entries))


def group_for_packs(sized: Iterable[tuple[str, int]], target: int | None = None) -> list[list[str]]:
    """Split ``(oid, size)`` pairs, in the given order, into groups of about ``target`` bytes
    (default ``PACK_TARGET``). The grouping is greedy, so the groups left after removing some
    whole groups are the same as before: a resumed push rebuilds identical packs."""
    target = PACK_TARGET if target is None else target
    groups: list[list[str]] = []
    current: list[str] = []
    filled = 0
    for oid, size in sized:
        if current and filled + size > target:
            groups.append(current)
            current, filled = [], 0
        current.append(oid)
        filled += size
    if current:
        groups.append(current)
    return groups


def read_document(data: bytes, what: str, kind: str, version: int) -> dict[str, Any]:
    """A JSON document cairn wrote on a remote (``{"format": kind, "version": ...}``),
    checked to be that kind and version; :class:`CorruptObject` naming ``what`` otherwise."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptObject(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != kind:
        raise CorruptObject(f"{what} is not a {kind} document")
    if doc.get("version") != version:
        raise CorruptObject(
            f"{what} has version {doc.get('version')!r}; this cairn reads version {version} "
            "(upgrade cairn)"
        )
    return doc


def decode_index(data: bytes, source: str) -> tuple[str, PackTable]:
    """Parse and check a pack index read from ``source``: the pack's oid and table."""
    doc = read_document(data, f"pack index {source}", FORMAT, VERSION)
    pack = doc.get("pack")
    if not isinstance(pack, str) or not is_oid(pack):
        raise CorruptObject(f"pack index {source} does not name its pack")
    return pack, PackTable.from_json(doc, f"pack index {source}")


@dataclass
class ReadRange:
    """One ranged read of a pack covering one or more wanted objects."""

    start: int
    end: int
    members: list[PackEntry] = field(default_factory=list)

    @property
    def length(self) -> int:
        """Bytes this read transfers."""
        return self.end - self.start

    def spans(self, got: int) -> list[tuple[str, int, int]]:
        """Each member's ``(oid, offset, length)`` inside the ``got`` bytes this range
        returned (cut short, down to nothing, where fewer bytes came back than asked)."""
        out = []
        for entry in self.members:
            start = min(entry.offset - self.start, got)
            out.append((entry.oid, start, min(entry.end - self.start, got) - start))
        return out


def plan_reads(
    entries: Iterable[PackEntry], gap: int = READ_GAP, span: int = READ_SPAN
) -> list[ReadRange]:
    """Merge the wanted entries of one pack into few ranged reads.

    Entries closer than ``gap`` bytes are read together, as long as a read stays under
    ``span`` bytes (a single larger object is still one read).
    """
    ranges: list[ReadRange] = []
    for entry in sorted(entries, key=lambda e: e.offset):
        last = ranges[-1] if ranges else None
        if (
            last is not None
            and entry.offset - last.end <= gap
            and max(last.end, entry.end) - last.start <= span
        ):
            last.end = max(last.end, entry.end)
            last.members.append(entry)
        else:
            ranges.append(ReadRange(entry.offset, entry.end, [entry]))
    return ranges
