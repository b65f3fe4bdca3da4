"""The object database: a folder mapping each oid to one read-only file, or to its bytes in
a local pack (:mod:`cairn.objects.local_packs`: many small objects stored at once share one).

Loose objects live at ``<root>/<oid[:2]>/<oid[2:]>``; a loose copy is read before a packed
one. Every write goes to a temporary name on the
same filesystem (beside the object when its oid is known, under ``<root>/tmp/`` while it is
still being hashed) and is renamed into place, so a reader never sees half an object; the C
loop of :meth:`ObjectDB.store_files` writes an unnamed file (``O_TMPFILE``) and links it into
place instead where the filesystem allows, to the same effect.
Nothing here trusts a file's name: :meth:`ObjectDB.read_bytes`, :meth:`ObjectDB.verify` and
:meth:`ObjectDB.add_stream` rehash what they read.
"""

from __future__ import annotations

import contextlib
import errno
import io
import itertools
import os
import stat as stat_module
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from cairn.errors import CorruptObject, ObjectMissing
from cairn.objects.digest import all_hex, check_oid
from cairn.objects.hashing import THREADED_FROM, Hasher, hash_bytes, hash_file
from cairn.objects.linking import copy_and_hash, copy_file
from cairn.objects.local_packs import LocalPacks, Location

if TYPE_CHECKING:
    from cairn.objects.pack_writer import PackWriter

try:  # the per-file loop of store_files in C (optional: see setup.py)
    import cairn.objects._faststore as _faststore
except ImportError:  # pragma: no cover - only where the extension was not compiled
    _faststore = None

READ_ONLY = 0o444
# Up to this many objects written without fsync, sync() fsyncs each; above, the filesystem.
SYNC_EACH_UP_TO = 64
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
TMP_DIR = "tmp"
READ_MANY_MAX = 64 << 20  # read_many reads objects up to this size in its C loop


class CacheListing(NamedTuple):
    """What :meth:`ObjectDB.listing` found: the oids and the temporary files' paths."""

    oids: list[str]
    temporaries: list[str]


class ObjectDB:
    """Content-addressed objects under ``root`` (created on the first write)."""

    def __init__(self, root: Path, flush: bool = True) -> None:
        self.root = Path(root)
        self.flush = flush  # whether sync() waits for the disk (else the OS writes back)
        self._root_text = str(self.root)
        self._made: set[str] = set()
        # The C loop's view of the 256 prefix folders (see _faststore.c: 1 exists, 2 made by
        # this ObjectDB's C loop, so holding only objects linked there without replacing).
        self._prefixes = bytearray(256)
        self._token = f"{os.getpid()}-{os.urandom(3).hex()}-"
        self._counter = itertools.count()
        self._unsynced: list[str] = []
        self.packs = LocalPacks(self.root)

    def __repr__(self) -> str:
        return f"ObjectDB({str(self.root)!r})"

    # -- where and whether ------------------------------------------------------------------

    def path_of(self, oid: str) -> Path:
        """The file that holds (or would hold) object ``oid``."""
        check_oid(oid)
        return self.root / oid[:2] / oid[2:]

    def has(self, oid: str) -> bool:
        """Whether object ``oid`` is present (its bytes are not checked)."""
        return os.path.isfile(self.path_of(oid)) or self.packs.get(oid) is not None

    def size(self, oid: str) -> int:
        """The size in bytes of object ``oid``; :class:`ObjectMissing` when absent."""
        try:
            return os.stat(self.path_of(oid)).st_size
        except FileNotFoundError:
            where = self.packs.get(oid)
            if where is None:
                raise self._missing(oid) from None
            return where.size

    def packed(self, oid: str) -> Location | None:
        """Where object ``oid``'s bytes are in a pack, when it has no loose copy (else None)."""
        where = self.packs.get(oid)
        if where is None or os.path.isfile(self.path_of(oid)):
            return None
        return where

    def pack_sources(self, oids: Sequence[str]) -> list[Location | None] | None:
        """For the C loops: where each of ``oids`` is packed (None: read it loose), or None
        when none is. One look at the index, no ``stat`` per object: a packed object with a
        loose copy too is read from its pack, checked all the same."""
        index = self.packs.refresh()
        sources = [index.get(oid) for oid in oids] if index else []
        return sources if any(sources) else None

    def file_of(self, oid: str) -> Path:
        """A file holding object ``oid``: its loose copy, made from its pack (checked) when it
        has none, for what needs a path (links, readers of a path)."""
        final = self.path_of(oid)
        where = None if final.is_file() else self.packs.get(oid)
        if where is None:
            return final  # (missing, when it is neither: the caller's open says so)
        data = self.packs.read(where)
        if hash_bytes(data) != oid:
            raise self.corrupt(oid)
        self.store_bytes(data, oid=oid)
        return final

    def iter_oids(self) -> Iterator[str]:
        """Every oid present, in no particular order."""
        return iter(self.listing().oids)

    def listing(self) -> CacheListing:
        """Every oid present (in no particular order) and the paths of temporary files (and
        of packs an interrupted write left without an index), from one ``listdir`` per
        folder."""
        oids: list[str] = []
        spare = self.root / TMP_DIR
        temporaries = [f"{spare}/{name}" for name in self._listed(spare)]
        temporaries += self.packs.orphans()
        packed = self.packs.oids()
        try:
            folders = os.listdir(self.root)
        except FileNotFoundError:
            return CacheListing(list(packed), temporaries)
        for prefix in folders:
            if len(prefix) != 2 or not all_hex(prefix):
                continue
            folder = self.root / prefix
            names = self._listed(folder)
            wanted = [name for name in names if len(name) == 62]
            if not all_hex("".join(wanted)):  # a stray file: check each name
                wanted = [name for name in wanted if all_hex(name)]
            oids += [prefix + name for name in wanted]
            temporaries += [f"{folder}/{name}" for name in names if name.endswith(".tmp")]
        if packed:
            loose = set(oids)
            oids += [oid for oid in packed if oid not in loose]
        return CacheListing(oids, temporaries)

    def present(self, oids: Iterable[str]) -> set[str]:
        """Which of ``oids`` the cache holds: one ``stat`` each for a few, one listing per
        two-hex-digit folder for many (20,000 stats cost more than 256 listings)."""
        wanted = set(oids)
        packed = self.packs.refresh()
        found = {oid for oid in wanted if oid in packed}
        rest = wanted - found
        if len(rest) < 1024:
            return found | {oid for oid in rest if os.path.isfile(self.path_of(oid))}
        listed: dict[str, set[str]] = {}
        return found | {oid for oid in rest if self._listed_loose(listed, oid)}

    def _listed_loose(self, listed: dict[str, set[str]], oid: str) -> bool:
        """Whether ``oid`` is present loose, by the listing of its prefix folder (read once
        into ``listed``, prefix -> names)."""
        names = listed.get(oid[:2])
        if names is None:
            names = listed[oid[:2]] = set(self._listed(self.root / oid[:2]))
        return oid[2:] in names

    @staticmethod
    def _listed(folder: Path) -> list[str]:
        try:
            return os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return []

    # -- writing ----------------------------------------------------------------------------

    def add_file(
        self, src: Path, oid: str | None = None, *, move: bool = False, durable: bool = True
    ) -> str:
        """Store the file ``src`` and return its oid; a no-op when the object is present.

        Without ``oid`` the object's oid is computed from the bytes written to the cache (so
        the cache never holds an object under a wrong name, even if ``src`` changes
        meanwhile). With ``move`` the file is renamed into the cache instead of copied
        (``src`` is consumed: it is removed when the object was present already).
        ``durable=False`` skips the fsync; the caller then calls :meth:`sync` once after a
        batch.
        """
        return self.store_file(src, oid, move=move, durable=durable)[0]

    def store_file(
        self, src: Path | str, oid: str | None = None, *, move: bool = False, durable: bool = True
    ) -> tuple[str, bool]:
        """Like :meth:`add_file`, also telling whether the object was written (False: it was
        present already)."""
        if oid is None:
            if move:
                oid, _ = hash_file(Path(src))
            else:
                return self._copy_hashing(src, durable=durable)
        src = Path(src)
        check_oid(oid)
        final = self.path_of(oid)
        if final.is_file():
            if move:
                src.unlink()
            return oid, False
        tmp = self._tmp_beside(final)
        try:
            if move:
                try:
                    os.rename(src, tmp)
                except OSError:  # another filesystem: copy, then drop the source
                    copy_file(src, tmp)
                    src.unlink()
            else:
                copy_file(src, tmp)
            self._install(tmp, final, durable)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        return oid, True

    def add_bytes(self, data: bytes) -> str:
        """Store ``data`` and return its oid."""
        return self.store_bytes(data)[0]

    def add_stream(
        self, expected_oid: str, chunks: Iterable[bytes], *, source: str = "a stream"
    ) -> int:
        """Store the bytes of ``chunks``, checking they hash to ``expected_oid``; their size.

        On a mismatch the partial file is deleted and :class:`CorruptObject` names the oid and
        ``source``; the cache is left as it was.
        """
        check_oid(expected_oid, "expected object id")
        final = self.path_of(expected_oid)
        tmp = self._tmp_beside(final)
        hasher = Hasher()
        try:
            with open(tmp, "xb") as out:
                for chunk in chunks:
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
                os.fchmod(out.fileno(), READ_ONLY)
            _check_stream(hasher, expected_oid, source)
            os.replace(tmp, final)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        return hasher.size

    def remove(self, oid: str) -> None:
        """Delete object ``oid`` (nothing happens when it is absent)."""
        self.remove_many([oid])

    def remove_many(self, oids: Iterable[str]) -> None:
        """Delete these objects: loose copies at once, packed ones by rewriting their packs
        without them (which also drops the bytes of objects found corrupt in a pack)."""
        gone = set(oids)
        for oid in gone:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path_of(oid))
        if self.packs.dropped() or (gone and not gone.isdisjoint(self.packs.refresh())):
            self.packs.repack(gone, self._pack_name())

    def pack_writer(self, *, durable: bool = True) -> PackWriter:
        """A :class:`~cairn.objects.pack_writer.PackWriter` storing small files into one new
        pack of this cache."""
        from cairn.objects.pack_writer import PackWriter

        return PackWriter(self, durable=durable)

    def _pack_name(self) -> str:
        return f"{time.time_ns()}-{self._token}{next(self._counter)}"

    def sync(self) -> None:
        """Flush every object written with ``durable=False`` since the last call to the disk:
        one fsync each when they are few, else one ``syncfs`` of the cache's filesystem.
        Without ``flush`` they are left to the OS's write-back (as git and DVC do)."""
        written, self._unsynced = self._unsynced, []
        if not written or not self.flush:
            return
        if len(written) <= SYNC_EACH_UP_TO:
            for path in written:
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            return
        fd = os.open(self.root, os.O_RDONLY)
        try:
            if not _syncfs(fd):
                os.sync()
        finally:
            os.close(fd)

    # -- reading ----------------------------------------------------------------------------

    def open(self, oid: str) -> BinaryIO:
        """The object's bytes as a binary file (not verified: use :class:`Hasher` to check)."""
        try:
            return open(self.path_of(oid), "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            where = self.packs.get(oid)
            if where is None:
                raise self._missing(oid) from None
            try:
                return io.BytesIO(self.packs.read(where))
            except FileNotFoundError:
                raise self._missing(oid) from None

    def read_bytes(self, oid: str, verify: bool = True) -> bytes:
        """The whole object; with ``verify`` a :class:`CorruptObject` when it does not hash to
        ``oid``."""
        with self.open(oid) as handle:
            data = handle.read()
        if verify and hash_bytes(data) != oid:
            raise self.corrupt(oid)
        return data

    def read_many(self, oids: Sequence[str], *, jobs: int = 1) -> list[bytes]:
        """:meth:`read_bytes` (checked) of each of ``oids``: in ``jobs`` threads of the C loop
        of ``cairn.objects._faststore`` where it was compiled. Raises as :meth:`read_bytes`
        would for the first object that is missing, corrupt or unreadable."""
        if _faststore is None:
            return [self.read_bytes(oid) for oid in oids]
        sources = self.pack_sources(oids)
        done = _faststore.read_objects(self._root_text, list(oids), jobs, READ_MANY_MAX, sources)
        out = []
        for oid, got, source in zip(oids, done, sources or [None] * len(oids), strict=True):
            if isinstance(got, bytes):
                out.append(got)
            elif got is False and source is None:
                raise self.corrupt(oid)
            elif isinstance(got, int) and not isinstance(got, bool) and got != errno.ENOENT:
                raise OSError(got, os.strerror(got), source.pack if source else self.path_of(oid))
            else:  # packed (a loose copy is read first), missing, or too big for the C loop
                out.append(self.read_bytes(oid))
        return out

    def verify(self, oid: str) -> bool:
        """Whether the object's bytes hash to ``oid`` (:class:`ObjectMissing` when absent)."""
        try:
            got, _ = hash_file(self.path_of(oid))
        except FileNotFoundError:
            with self.open(oid) as handle:  # packed, or ObjectMissing
                return hash_bytes(handle.read()) == oid
        return got == oid

    def corrupt(self, oid: str) -> CorruptObject:
        """The error for a cache object whose bytes do not match its oid. A packed one is
        dropped from the cache here (it counts as absent from now on: see
        :mod:`cairn.objects.local_packs`), so that fetching or adding it again stores it."""
        where = self.packed(oid)
        if where is None:
            return CorruptObject(
                f"cache object {self.path_of(oid)} is corrupt: its bytes do not hash to {oid}; "
                "delete it and fetch it again (cairn data fetch), or re-add the data"
            )
        self.packs.drop(oid)
        end = where.offset + where.size
        return CorruptObject(
            f"cache object {oid} (bytes {where.offset}-{end} of {where.pack}) is corrupt: its "
            "bytes do not hash to it. It was dropped from the cache: fetch it again (cairn data "
            "fetch), or re-add the data"
        )

    # -- internals --------------------------------------------------------------------------

    def temp_path(self) -> Path:
        """A fresh temporary file name inside the cache (so renaming it into place is atomic)."""
        return self._folder(TMP_DIR) / f"{os.urandom(8).hex()}.tmp"

    def _missing(self, oid: str) -> ObjectMissing:
        return ObjectMissing(f"object {oid} is not in the cache {self.root}")

    def _folder(self, name: str) -> Path:
        folder = self.root / name
        if name not in self._made:
            folder.mkdir(parents=True, exist_ok=True)
            self._made.add(name)
            if len(name) == 2 and all_hex(name) and not self._prefixes[int(name, 16)]:
                self._prefixes[int(name, 16)] = 1
        return folder

    def _tmp_beside(self, final: Path) -> Path:
        self._folder(final.parent.name)
        return final.with_name(f"{final.name}.{os.urandom(6).hex()}.tmp")

    def _install(self, tmp: Path, final: Path, durable: bool) -> None:
        """Seal a finished temporary file and rename it to its object's name; without
        ``durable`` it is remembered for the next :meth:`sync`."""
        self._seal(tmp, durable)
        os.replace(tmp, final)
        if not durable:
            self._unsynced.append(str(final))

    def _seal(self, tmp: Path, durable: bool) -> None:
        """Make a finished temporary file read-only (and, if ``durable``, flush it to disk)."""
        fd = os.open(tmp, os.O_RDONLY)
        try:
            if durable:
                os.fsync(fd)
            os.fchmod(fd, READ_ONLY)
        finally:
            os.close(fd)

    def _copy_hashing(self, src: Path | str, *, durable: bool) -> tuple[str, bool]:
        """Copy ``src`` into the cache and name it by the hash of the bytes written."""
        with open(src, "rb", buffering=0) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < THREADED_FROM:  # one read; hash and write the same bytes
                return self.store_bytes(handle.readall(), durable=durable)
        tmp = self.temp_path()
        try:
            oid = copy_and_hash(Path(src), tmp)
            final = self.path_of(oid)
            if _whole(final, os.stat(tmp).st_size):
                _unlink_quietly(tmp)
                return oid, False
            self._folder(oid[:2])
            self._install(tmp, final, durable)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        return oid, True

    def store_bytes(
        self, data: bytes, *, durable: bool = True, oid: str | None = None
    ) -> tuple[str, bool]:
        """Store ``data``; its oid and whether it was written (False: present already).

        The lean path for many small objects: plain string paths, the temporary file
        created read-only, one write, a rename. A caller that has just checked ``data``
        against ``oid`` passes it, and the bytes are not hashed again.
        """
        oid = oid or hash_bytes(data)
        prefix = oid[:2]
        final = f"{self._root_text}/{prefix}/{oid[2:]}"
        if _whole(final, len(data)):
            return oid, False
        if prefix not in self._made:
            self._folder(prefix)
        tmp = f"{final}.{self._token}{next(self._counter)}.tmp"
        fd = os.open(tmp, _CREATE_FLAGS, READ_ONLY)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            _unlink_quietly(Path(tmp))
            raise
        os.close(fd)
        os.replace(tmp, final)
        if not durable:
            self._unsynced.append(final)
        return oid, True

    def store_files(
        self,
        paths: Sequence[str | Path],
        oids: Sequence[str | None] | None = None,
        *,
        durable: bool = True,
        jobs: int = 1,
    ) -> list[tuple[str, bool]]:
        """:meth:`store_file` of each of ``paths`` (trusting ``oids[i]`` when not None), in
        ``jobs`` threads; the results in order.

        Files smaller than ``THREADED_FROM`` go through the C loop of
        ``cairn.objects._faststore`` where it was compiled, the others (and all of them
        without it) through :meth:`store_file`. On an error the files before it are stored
        and the error is raised as :meth:`store_file` would raise it.
        """
        texts = [os.fspath(path) for path in paths]
        expected = None if oids is None else list(oids)
        for oid in expected or ():
            if oid is not None:
                check_oid(oid)
        results: list[tuple[str, bool] | None] = [None] * len(texts)
        rest = list(range(len(texts)))
        error: OSError | None = None
        if _faststore is not None and texts:
            done = self._c_store(
                lambda root, token, made: _faststore.store_files(
                    root, token, texts, expected, jobs, THREADED_FROM - 1, made
                )
            )
            rest = []
            finals = []
            for index, (oid, flag, extra) in enumerate(done):
                if oid is not None:
                    results[index] = (oid, flag)
                    if flag:
                        finals.append(f"{self._root_text}/{oid[:2]}/{oid[2:]}")
                elif not isinstance(flag, bool):  # (None, errno, path): it failed
                    error = error or OSError(flag, os.strerror(flag), extra)
                elif flag and error is None:  # not for the C loop: too big or not regular
                    rest.append(index)
            self._written(finals, durable)
        oid_of = (lambda i: None) if expected is None else expected.__getitem__
        stored = _in_threads(
            lambda i: self.store_file(texts[i], oid_of(i), durable=durable), rest, jobs
        )
        for index, result in zip(rest, stored, strict=True):
            results[index] = result
        if error is not None:
            raise error
        return results  # type: ignore[return-value]  # (every slot is filled by now)

    def store_blobs(
        self,
        data: bytes | memoryview,
        entries: Sequence[tuple[str, int, int]],
        *,
        durable: bool = True,
        jobs: int = 1,
    ) -> list[bool | str]:
        """Store each ``(oid, offset, length)`` range of ``data`` as object ``oid`` once its
        bytes are checked against it; per entry, whether it was written (False: present
        already) or, for bytes that hash to another oid, that oid (nothing stored).

        Through the C loop of ``cairn.objects._faststore`` where it was compiled, in ``jobs``
        threads; else :meth:`store_bytes` one by one. An OS error is raised after the entries
        before it are stored."""
        if _faststore is None:
            return [self._store_checked(data[start : start + size], oid, durable)
                    for oid, start, size in entries]  # fmt: skip
        done = self._c_store(
            lambda root, token, made: _faststore.store_blobs(
                root,
                token,
                data,
                [oid for oid, _, _ in entries],
                [start for _, start, _ in entries],
                [size for _, _, size in entries],
                jobs,
                made,
            )  # fmt: skip
        )
        results: list[bool | str] = []
        finals = []
        for (oid, _, _), (first, *rest) in zip(entries, done, strict=True):
            if first is not None:
                results.append(first)
                if first:
                    finals.append(f"{self._root_text}/{oid[:2]}/{oid[2:]}")
            elif len(rest) == 2:  # (None, errno, path)
                self._written(finals, durable)
                raise OSError(rest[0], os.strerror(rest[0]), rest[1])
            elif rest[0] is not None:
                results.append(rest[0])
        self._written(finals, durable)
        return results

    def _store_checked(self, blob: bytes | memoryview, oid: str, durable: bool) -> bool | str:
        got = hash_bytes(blob)
        if got != oid:
            return got
        return self.store_bytes(bytes(blob), durable=durable, oid=oid)[1]

    def _c_store(self, call: Callable[[str, str, bytearray], list]) -> list:
        """``call(root, token, prefix states)``: one C store loop, noting the prefix folders it
        made (see ``_faststore.c``)."""
        self.root.mkdir(parents=True, exist_ok=True)
        known = self._prefixes.count(0)
        done = call(self._root_text, f"{self._token}{next(self._counter)}-", self._prefixes)
        if self._prefixes.count(0) != known:
            self._made.update(f"{i:02x}" for i, state in enumerate(self._prefixes) if state)
        return done

    def _written(self, finals: list[str], durable: bool) -> None:
        """Note the objects the C loop wrote (no fsync): for :meth:`sync`, or flushed now."""
        if not durable:
            self._unsynced += finals
            return
        for final in finals:
            fd = os.open(final, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _in_threads(fn: Callable[[int], tuple[str, bool]], items: list[int], jobs: int) -> list:
    """``fn`` over ``items`` in order, in up to ``jobs`` threads when there are several."""
    if jobs < 2 or len(items) < 2:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(jobs, len(items))) as pool:
        return list(pool.map(fn, items))


def _check_stream(hasher: Hasher, expected_oid: str, source: str) -> None:
    got = hasher.oid()
    if got != expected_oid:
        raise CorruptObject(
            f"object {expected_oid} from {source} is corrupt: its {hasher.size} bytes hash to "
            f"{got}; nothing was stored"
        )


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _whole(final: str | Path, size: int) -> bool:
    """Whether object file ``final`` is present with ``size`` bytes. One of another size was
    torn (a power cut before write-back) and is replaced by the caller; any other entry
    counts as present."""
    try:
        st = os.stat(final)
    except OSError:  # absent, or a file where its prefix folder should be
        return False
    return not stat_module.S_ISREG(st.st_mode) or st.st_size == size


def _syncfs(fd: int) -> bool:
    """Flush the filesystem holding ``fd`` (Linux ``syncfs``); False where it is unavailable."""
    import ctypes

    try:
        call = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return False
    return bool(call(fd) == 0)
