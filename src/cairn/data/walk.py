"""Listing the files of a tracked folder with one ``scandir`` per folder."""

from __future__ import annotations

import os
import sys
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cairn.data.state import Signature
from cairn.data.tree import ROW, array_of

try:  # the same loop in C, compiled at install time where a compiler is present
    from cairn.data import _fastscan
except ImportError:  # pragma: no cover - a platform without the extension
    _fastscan = None

if TYPE_CHECKING:
    from cairn.objects.manifest import Manifest


class Found(NamedTuple):
    """One regular file found: its stat signature, executable bit and whether it is a link."""

    signature: Signature
    executable: bool
    linked: bool  # a symlink, or a hard link shared with the cache


@dataclass
class Scan:
    """The files under a folder (paths relative to it, POSIX) and what else was met."""

    files: dict[str, Found] = field(default_factory=dict)
    odd: list[str] = field(default_factory=list)  # symlinks to folders, sockets, fifos ...
    observed_at_ns: int = 0
    newest_mtime_ns: int = 0
    # Each file's path, NUL, then inode, mtime, size, mode and linked flag (``_ROW``), in the
    # order met: what the fingerprint covers.
    _record: bytes | bytearray = field(default=b"", repr=False)
    # Where each row of ``_record`` starts (uint32 little-endian), when the scan noted it.
    _offsets: bytes = field(default=b"", repr=False)

    def rows(self) -> Rows:
        """The listing as :class:`Rows` (the record and where its rows start)."""
        record = bytes(self._record)
        offsets = self._offsets or _offsets_of(record, len(self.files))
        return Rows(record, offsets, self.odd, self.observed_at_ns, self.newest_mtime_ns)

    def fingerprint(self) -> str:
        """A digest of every path, signature and mode seen, in the order met: equal
        fingerprints mean nothing in the folder changed (see :mod:`cairn.data.state`)."""
        return _fingerprint(self._record, self.odd)

    @property
    def settled(self) -> bool:
        """Whether no file was modified within the racy window before the scan."""
        from cairn.data.state import RACY_NS

        return self.newest_mtime_ns < self.observed_at_ns - RACY_NS

    @property
    def total_size(self) -> int:
        """The bytes of every file found."""
        return sum(found.signature[2] for found in self.files.values())


def _fingerprint(record: bytes | bytearray, odd: list[str]) -> str:
    from cairn.objects.hashing import hash_bytes

    joined = "\0".join(sorted(odd)).encode("utf-8", "surrogateescape")
    return hash_bytes(bytes(record) + b"\0\0" + joined)


def found_of(st: os.stat_result, is_symlink: bool) -> Found:
    """The :class:`Found` for a stat result."""
    return _new_found(
        Found,
        (
            (st.st_ino, st.st_mtime_ns, st.st_size),
            st.st_mode & 0o100 != 0,
            is_symlink or st.st_nlink > 1,
        ),
    )


_new_found = tuple.__new__
_ROW = ROW


def scan_folder(folder: Path) -> Scan:
    """Every regular file under ``folder`` (symlinks to files are followed, symlinks to
    folders are listed as odd and not entered)."""
    if _fastscan is None:
        return _scan_in_python(folder)
    observed = time.time_ns()
    files, record, odd, newest, offsets = _fastscan.scan(folder, Found)
    return Scan(files, odd, observed, newest, record, offsets)


class Rows(NamedTuple):
    """A folder's listing as the fingerprint record alone (no object per file): what
    :func:`scan_rows` gives for comparing with a listing remembered in the state index."""

    record: bytes
    offsets: bytes  # where each row starts in ``record``, uint32 little-endian
    odd: list[str]
    observed_at_ns: int
    newest_mtime_ns: int

    @property
    def settled(self) -> bool:
        """Whether no file was modified within the racy window before the scan."""
        from cairn.data.state import RACY_NS

        return self.newest_mtime_ns < self.observed_at_ns - RACY_NS

    def fingerprint(self) -> str:
        """As :meth:`Scan.fingerprint`."""
        return _fingerprint(self.record, self.odd)

    def to_scan(self) -> Scan:
        """The same listing as a :class:`Scan` (one :class:`Found` per file)."""
        files: dict[str, Found] = {}
        record, unpack, new = self.record, _ROW.unpack_from, _new_found
        for start in array_of(self.offsets):
            cut = record.index(b"\0", start)
            ino, mtime, size, mode, linked = unpack(record, cut + 1)
            rel = os.fsdecode(record[start:cut])
            files[rel] = new(Found, ((ino, mtime, size), mode & 0o100 != 0, linked != 0))
        return Scan(files, list(self.odd), self.observed_at_ns, self.newest_mtime_ns, record)


def _offsets_of(record: bytes, count: int) -> bytes:
    """Where each of the ``count`` rows of ``record`` starts (read from the front)."""
    offsets = array("I")
    start = 0
    for _ in range(count):
        offsets.append(start)
        start = record.index(b"\0", start) + 1 + _ROW.size
    if sys.byteorder != "little":  # pragma: no cover - big-endian machines
        offsets.byteswap()
    return offsets.tobytes()


def scan_rows(folder: Path) -> Rows:
    """Like :func:`scan_folder`, but only the record and where its rows start."""
    observed = time.time_ns()
    if _fastscan is None:
        return _scan_in_python(folder).rows()
    _, record, odd, newest, offsets = _fastscan.scan(folder, None)
    return Rows(record, offsets, odd, observed, newest)


def _scan_in_python(folder: Path) -> Scan:
    """:func:`scan_folder` where the C loop (``cairn.data._fastscan``) was not compiled."""
    scan = Scan(observed_at_ns=time.time_ns())
    files = scan.files
    record = bytearray()
    pack = _ROW.pack
    encode = os.fsencode
    new = _new_found
    newest = 0
    pending = [(str(folder), "")]
    while pending:
        path, prefix = pending.pop()
        try:
            entries = os.scandir(path)
        except NotADirectoryError:
            continue
        with entries:
            for entry in entries:
                rel = prefix + entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, rel + "/"))
                        continue
                    is_link = entry.is_symlink()
                    st = entry.stat()
                except FileNotFoundError:
                    if entry.is_symlink():
                        scan.odd.append(rel)  # a dangling link
                    continue
                mode = st.st_mode
                if mode & 0o170000 == 0o100000:  # a regular file
                    sig = (st.st_ino, st.st_mtime_ns, st.st_size)
                    linked = is_link or st.st_nlink > 1
                    files[rel] = new(Found, (sig, mode & 0o100 != 0, linked))
                    record += encode(rel) + b"\0" + pack(*sig, mode, linked)
                    if sig[1] > newest:
                        newest = sig[1]
                else:
                    scan.odd.append(rel)
    scan.newest_mtime_ns = newest
    scan._record = record
    return scan


def folder_manifest(scan: Scan, oids: dict[str, str]) -> Manifest:
    """The manifest of a scanned folder whose files hash to ``oids`` (path -> oid)."""
    from cairn.objects.manifest import Manifest

    files = scan.files
    return Manifest.from_entries(
        [(rel, oid, files[rel].signature[2], files[rel].executable) for rel, oid in oids.items()]
    )
