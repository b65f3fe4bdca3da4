"""Putting cache objects into the workspace: reflink, copy, hardlink or symlink.

Strategies are tried in the configured order (``[data] link = "reflink,copy"`` in
``.cairn/config.toml``, or ``--link``), falling through when the filesystem cannot do one.
Every object is checked against its oid before it reaches the workspace: while it is copied
(one read), or before it is linked; an object the state index knows as checked and
unchanged since is not read again. A corrupt object raises :class:`CorruptObject` naming its
path, and the workspace file stays as it was. Copies and reflinks are ordinary writable
files; hardlinks and symlinks share the cache's read-only object.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from cairn.data.state import Signature, signature
from cairn.errors import DataError, InvalidInput, ObjectMissing
from cairn.objects.db import ObjectDB
from cairn.objects.hashing import THREADED_FROM, hash_bytes, hash_file
from cairn.objects.linking import copy_and_hash, copy_file, hardlink, reflink, symlink

try:  # the per-file loop of placing small objects in C (optional: see setup.py)
    import cairn.objects._faststore as _faststore
except ImportError:  # pragma: no cover - only where the extension was not compiled
    _faststore = None

STRATEGIES = ("reflink", "copy", "hardlink", "symlink")
BATCH = 512  # small objects placed per call of the C loop (the progress bar moves between)
DEFAULT_LINK = ("reflink", "copy")
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_CANNOT_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP, errno.ENOTSUP}


def parse_link(text: object, source: str = "--link") -> tuple[str, ...]:
    """The strategies named by ``"reflink,copy"``; :class:`InvalidInput` naming ``source``."""
    if isinstance(text, list | tuple):
        names = [str(name).strip() for name in text]
    elif isinstance(text, str):
        names = [name.strip() for name in text.split(",")]
    else:
        raise InvalidInput(f"{source} must be a list like 'reflink,copy', got {text!r}")
    unknown = [name for name in names if name not in STRATEGIES]
    if not names or unknown or "" in names:
        raise InvalidInput(
            f"{source}: {','.join(unknown) or text!r} is not a link type; use a comma-separated "
            f"list of {', '.join(STRATEGIES)} (e.g. 'reflink,copy')"
        )
    return tuple(dict.fromkeys(names))


def link_setting(config: dict, override: str | None = None) -> tuple[str, ...]:
    """The strategies in force: ``override`` (``--link``), else ``[data] link``, else the
    default ``reflink,copy``."""
    if override:
        return parse_link(override)
    section = config.get("data", {})
    if isinstance(section, dict) and "link" in section:
        return parse_link(section["link"], "[data] link in .cairn/config.toml")
    return DEFAULT_LINK


class Placement(NamedTuple):
    """One object to put at one workspace path."""

    oid: str
    dest: str
    executable: bool
    size: int


# What placing one object gave: the new file's signature, or the problem's message.
Placed = tuple[Signature, None] | tuple[None, str]


def _file_mode(executable: bool) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if executable else 0o666) & ~umask


class Materializer:
    """Places cache objects at workspace paths with the given strategies."""

    def __init__(
        self, cache: ObjectDB, strategies: tuple[str, ...], verified: dict[str, Signature]
    ) -> None:
        self.cache = cache
        self.strategies = strategies
        self.verified = verified
        self.newly_verified: dict[str, Signature] = {}
        self._modes = {False: _file_mode(False), True: _file_mode(True)}
        self._failed: set[str] = set()
        self._cache_root = str(cache.root)
        self._token = f"{os.getpid()}-{os.urandom(3).hex()}-"
        self._counter = itertools.count()

    def place(
        self, oid: str, dest: Path | str, executable: bool = False, size: int | None = None
    ) -> Signature:
        """Put object ``oid`` at ``dest`` (replacing a file there) and return the new file's
        signature; :class:`CorruptObject`/:class:`ObjectMissing` leave ``dest`` untouched.

        ``size`` (from the manifest) lets a small object take the quick path: one read,
        checked in memory, one write.
        """
        if size is not None and size < THREADED_FROM and self._copies_first():
            return self._place_small(oid, os.fspath(dest), executable)
        dest = Path(dest)
        src = self.cache.path_of(oid)
        try:
            sig = signature(os.stat(src))
        except FileNotFoundError:
            try:  # packed: a loose copy is made (checked) for a link or a kernel copy
                sig = signature(os.stat(self.cache.file_of(oid)))
            except FileNotFoundError:
                raise self._missing(oid, dest) from None
        trusted = self.verified.get(oid) == sig or self.newly_verified.get(oid) == sig
        tmp = dest.with_name(f".{dest.name}.{self._token}{next(self._counter)}.cairn-tmp")
        try:
            for strategy in self.strategies:
                if strategy in self._failed:
                    continue
                if strategy == "copy":
                    self._copy(src, tmp, oid, trusted, executable)
                    break
                if not trusted:
                    self._verify(src, oid, sig)
                    trusted = True
                if self._link(strategy, src, tmp, executable):
                    break
            else:
                self._none_worked(dest)
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return signature(os.stat(dest))

    def place_all(
        self,
        placements: list[Placement],
        jobs: int,
        map_threads: Callable[[Callable[[int], Placed], list[int]], list[Placed]],
        advance: Callable[[int, int], None],
    ) -> list[Placed]:
        """:meth:`place` of each placement, a :class:`DataError` (a corrupt or missing object)
        becoming its message; other errors are raised. Small objects go through the C loop
        of ``cairn.objects._faststore`` in ``jobs`` threads where it was compiled, the rest
        through ``map_threads`` (``Workspace.map``); ``advance(bytes, files)`` as they land."""
        results: list[Placed | None] = [None] * len(placements)

        def one(index: int) -> Placed:
            p = placements[index]
            try:
                return self.place(p.oid, p.dest, p.executable, p.size), None
            except DataError as exc:
                return None, exc.message
            finally:
                advance(p.size, 1)

        def place(indices: list[int]) -> None:
            for index, result in zip(indices, map_threads(one, indices), strict=True):
                results[index] = result

        if _faststore is None or not self._copies_first():
            place(list(range(len(placements))))
            return results  # type: ignore[return-value]  # (every slot is filled)
        small = [i for i, p in enumerate(placements) if p.size < THREADED_FROM]
        large = [i for i, p in enumerate(placements) if p.size >= THREADED_FROM]
        # The kernel copies the large objects while the C loop writes the small ones.
        with _beside(place, large):
            for start in range(0, len(small), BATCH):
                chunk = small[start : start + BATCH]
                placed = self._place_small_batch([placements[i] for i in chunk], jobs)
                for index, result in zip(chunk, placed, strict=True):
                    results[index] = result
                done = [i for i in chunk if results[i] is not None]
                advance(sum(placements[i].size for i in done), len(done))
        place([i for i in small if results[i] is None])  # those the C loop left
        return results  # type: ignore[return-value]  # (every slot is filled by now)

    def _place_small_batch(self, batch: list[Placement], jobs: int) -> list[Placed | None]:
        """The C loop over ``batch``; None for the placements it left to :meth:`place`."""
        assert _faststore is not None
        token = f"{self._token}{next(self._counter)}-"
        oids = [p.oid for p in batch]
        done = _faststore.place_files(
            self._cache_root, token, oids, [p.dest for p in batch],
            [p.executable for p in batch], jobs, THREADED_FROM - 1,
            self.cache.pack_sources(oids),
        )  # fmt: skip
        results: list[Placed | None] = []
        error: OSError | None = None
        for p, (first, second, path) in zip(batch, done, strict=True):
            if first is not None:
                results.append(((first, second, path), None))
            elif second == "corrupt":
                results.append((None, self.cache.corrupt(p.oid).message))
            elif second == errno.ENOENT and path is None:
                results.append((None, self._missing(p.oid, Path(p.dest)).message))
            elif isinstance(second, int) and not isinstance(second, bool):
                source = path or str(self.cache.path_of(p.oid))
                error = error or OSError(second, os.strerror(second), source)
                results.append(None)
            else:  # not for the C loop, or skipped after an error
                results.append(None)
        if error is not None:
            raise error
        return results

    def _copies_first(self) -> bool:
        """Whether the first strategy that works here makes a copy (reflink or copy)."""
        for strategy in self.strategies:
            if strategy not in self._failed:
                return strategy in ("reflink", "copy")
        return False

    def _place_small(self, oid: str, dest: str, executable: bool) -> Signature:
        source = f"{self._cache_root}/{oid[:2]}/{oid[2:]}"
        try:
            fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            try:
                data = self.cache.read_bytes(oid, verify=False)  # packed
            except ObjectMissing:
                raise self._missing(oid, Path(dest)) from None
        else:
            try:
                data = _read_all(fd)
            finally:
                os.close(fd)
        if hash_bytes(data) != oid:
            raise self.cache.corrupt(oid)
        folder, _, name = dest.rpartition("/")
        tmp = f"{folder}/.{name}.{self._token}{next(self._counter)}.cairn-tmp"
        out = os.open(tmp, _CREATE, 0o777 if executable else 0o666)
        try:
            _write_all(out, memoryview(data))
            st = os.fstat(out)
        except BaseException:
            os.close(out)
            os.unlink(tmp)
            raise
        os.close(out)
        os.replace(tmp, dest)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _missing(self, oid: str, dest: Path) -> ObjectMissing:
        return ObjectMissing(
            f"object {oid} for {dest} is not in the cache; run `cairn data fetch` (or "
            "`cairn data pull`) to get it from the remote"
        )

    def _none_worked(self, dest: Path) -> None:
        raise InvalidInput(
            f"none of the link types {','.join(self.strategies)} works between the cache and "
            f"{dest}; add 'copy' to [data] link"
        )

    def _copy(self, src: Path, tmp: Path, oid: str, trusted: bool, executable: bool) -> None:
        mode = self._modes[executable]
        if trusted:
            copy_file(src, tmp)
            os.chmod(tmp, mode)
            return
        # Check while copying: the kernel copies, a second thread hashes what was written.
        if copy_and_hash(src, tmp) != oid:
            raise self.cache.corrupt(oid)
        os.chmod(tmp, mode)
        self.newly_verified[oid] = signature(os.stat(src))

    def _verify(self, src: Path, oid: str, sig: Signature) -> None:
        got, _ = hash_file(src)
        if got != oid:
            raise self.cache.corrupt(oid)
        self.newly_verified[oid] = sig

    def _link(self, strategy: str, src: Path, tmp: Path, executable: bool) -> bool:
        try:
            if strategy == "reflink":
                if not reflink(src, tmp):
                    self._failed.add(strategy)
                    return False
                os.chmod(tmp, self._modes[executable])
            elif strategy == "hardlink":
                hardlink(src, tmp)
            else:
                symlink(src, tmp)
        except OSError as exc:
            if exc.errno in _CANNOT_LINK:
                self._failed.add(strategy)
                return False
            raise
        return True


@contextlib.contextmanager
def _beside(fn: Callable[[list[int]], None], items: list[int]) -> Iterator[None]:
    """Run ``fn(items)`` in a thread while the block runs; on leaving, wait for it and raise
    what it raised (after the block's own error, if any)."""
    if not items:
        yield
        return
    from concurrent.futures import ThreadPoolExecutor, wait  # (start-up time: only here)

    with ThreadPoolExecutor(1, thread_name_prefix="cairn-place") as pool:
        running = pool.submit(fn, items)
        try:
            yield
        finally:
            wait([running])
        running.result()


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        written = os.write(fd, view)
        view = view[written:]
