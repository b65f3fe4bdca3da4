"""A tracked folder's listing as last verified against its manifest, and what changed since.

A :class:`Tree` is kept in the state index per tracked folder: the scan record (every path
with inode, mtime, size, mode and link flag, in the order met; see :mod:`cairn.data.walk`),
where its rows start, and for each row the file's oid and the manifest's executable flag.
Comparing a new scan with it costs a few C-level operations over the two records (the rows
equal at the start and at the end are found with one XOR of big integers each), and only the
rows in between are decoded: changing one file of 20,000 reads one row, not the manifest.
"""

from __future__ import annotations

import os
import struct
import sys
from array import array
from bisect import bisect_left, bisect_right
from typing import NamedTuple

# After each path and its NUL: inode, mtime_ns, size, mode, linked (see walk.py).
ROW = struct.Struct("<QqqIB")
OID_BYTES = 32


def array_of(offsets: bytes) -> array:
    """Row offsets (uint32 little-endian bytes) as an array."""
    found = array("I")
    found.frombytes(offsets)
    if sys.byteorder != "little":  # pragma: no cover - big-endian machines
        found.byteswap()
    return found


class Tree(NamedTuple):
    """A folder listing verified to equal the manifest ``oid`` (see :mod:`cairn.data.state`)."""

    oid: str  # the manifest's
    size: int  # bytes of every file together
    record: bytes
    offsets: bytes  # uint32 little-endian per row
    oids: bytes  # 32 bytes per row
    executables: bytes  # 1 byte per row: the manifest's executable flag

    @property
    def nfiles(self) -> int:
        """How many files the folder holds."""
        return len(self.offsets) // 4

    def consistent(self) -> bool:
        """Whether the columns agree in length (a damaged row is ignored, not trusted)."""
        n = self.nfiles
        return (
            len(self.offsets) == 4 * n and len(self.oids) == OID_BYTES * n
            and len(self.executables) == n and (n > 0) == (len(self.record) > 0)
        )  # fmt: skip

    def oid_at(self, index: int) -> str:
        """The oid of row ``index``."""
        return self.oids[OID_BYTES * index : OID_BYTES * (index + 1)].hex()


class Row(NamedTuple):
    """One decoded row: its index, path, signature fields, mode and link flag."""

    index: int
    path: str
    inode: int
    mtime_ns: int
    size: int
    mode: int
    linked: bool
    raw: bytes  # the row's bytes after the path's NUL

    @property
    def signature(self) -> tuple[int, int, int]:
        """Inode, mtime_ns, size."""
        return (self.inode, self.mtime_ns, self.size)

    @property
    def executable(self) -> bool:
        """Whether the owner may execute the file."""
        return self.mode & 0o100 != 0


class Delta(NamedTuple):
    """Where a new listing differs from a tree: rows ``[head, n - tail)`` of each side."""

    head: int
    tail: int
    old: dict[str, Row]  # the tree's rows in between, by path
    new: list[Row]  # the new listing's rows in between, in order


def _rows(record: bytes, offsets: array, start: int, stop: int) -> list[Row]:
    found = []
    unpack, size, decode = ROW.unpack_from, ROW.size, os.fsdecode
    for index in range(start, stop):
        begin = offsets[index]
        cut = record.index(b"\0", begin)
        fields = unpack(record, cut + 1)
        found.append(
            Row(index, decode(record[begin:cut]), *fields[:4], fields[4] != 0,
                record[cut + 1 : cut + 1 + size])
        )  # fmt: skip
    return found


_BLOCK = 1 << 16


def _common_prefix(a: bytes, b: bytes) -> int:
    """How many bytes ``a`` and ``b`` share at the start (block by block, then halving the
    first block that differs: each step one C-level comparison)."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i : i + _BLOCK] == b[i : i + _BLOCK]:
        i += _BLOCK
    if i >= n:
        return n
    lo, hi = i, min(i + _BLOCK, n)  # the first difference is in [lo, hi], hi meaning none
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return hi if a[lo:hi] == b[lo:hi] else lo


def _common_suffix(a: bytes, b: bytes) -> int:
    """How many bytes ``a`` and ``b`` share at the end."""
    return _common_prefix(a[::-1], b[::-1])


def diff(tree: Tree, record: bytes, offsets_bytes: bytes) -> Delta:
    """The rows where the listing ``record`` (rows starting at ``offsets_bytes``) differs
    from ``tree``; rows outside ``[head, n - tail)`` are byte for byte the same on both
    sides, at the same place from the start or from the end."""
    old, old_at = tree.record, array_of(tree.offsets)
    new, new_at = record, array_of(offsets_bytes)
    n_old, n_new = len(old_at), len(new_at)
    prefix = _common_prefix(old, new)
    # Rows wholly inside the equal prefix start at equal offsets on both sides.
    head = max(0, bisect_right(old_at, prefix) - 1) if prefix < len(old) else n_old
    head = min(head, n_new)
    while head and (new_at[head - 1] != old_at[head - 1] or _end(new_at, head - 1, new) > prefix):
        head -= 1  # (never in practice: the same bytes parse into the same rows)
    suffix = _common_suffix(old, new)
    tail = n_old - bisect_left(old_at, len(old) - suffix)
    tail = min(tail, n_old - head, n_new - head)
    shift = len(new) - len(old)
    while tail and new_at[n_new - tail] != old_at[n_old - tail] + shift:
        tail -= 1  # a row boundary of one side falls inside a row of the other
    old_rows = _rows(old, old_at, head, n_old - tail)
    return Delta(head, tail, {row.path: row for row in old_rows},
                 _rows(new, new_at, head, n_new - tail))  # fmt: skip


def _end(offsets: array, index: int, record: bytes) -> int:
    return offsets[index + 1] if index + 1 < len(offsets) else len(record)


def spliced(tree: Tree, delta: Delta, column: bytes, middle: bytes, width: int) -> bytes:
    """A column of ``tree`` (``width`` bytes per row) with the rows in between replaced."""
    n_old = tree.nfiles
    return column[: width * delta.head] + middle + column[width * (n_old - delta.tail) :]
