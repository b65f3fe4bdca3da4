"""Folder manifests: the canonical listing of a folder's files, stored as one object.

A manifest is UTF-8 JSON, one file per line, sorted by path, so equal folders give equal
bytes (and so equal oids) and a manifest reads well in a diff::

    {"format": "cairn.manifest/1", "files": [
    ["d00/a.bin", "<64-hex oid>", 1234, 0],
    ["d00/run.sh", "<64-hex oid>", 56, 1]
    ]}

Each row is ``[relative POSIX path, oid, size, executable 0/1]``. Changing one file of a
folder changes one row, so storing the new version costs that file's object plus this
manifest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import NamedTuple

from cairn.errors import CorruptObject
from cairn.objects.digest import all_hex, is_oid

FORMAT = "cairn.manifest/1"


class ManifestEntry(NamedTuple):
    """One file of a folder: its path inside the folder, oid, size and executable bit."""

    path: str
    oid: str
    size: int
    executable: bool = False


# Joined as "/p1/p2/.../pn/", an unsafe path shows as one of these (an absolute path or an
# empty component makes "//"); each test is one C-level scan of the whole listing.
_UNSAFE = ("//", "/./", "/../", "\\", "\x00", "\r", "\n")


_ESCAPED = re.compile(r'["\\\x00-\x1f\x7f\u2028\u2029]')


def _needs_escaping(text: str) -> bool:
    """Whether JSON would write ``text`` other than between quotes as it is."""
    return _ESCAPED.search(text) is not None


def _column_problem(paths: tuple, oids: tuple, sizes: tuple) -> str | None:
    """What is wrong with the oids and sizes given to :meth:`Manifest.from_entries`."""
    if set(map(type, paths)) != {str}:
        return "paths must be strings"
    if set(map(type, oids)) != {str} or set(map(len, oids)) != {64} or not all_hex("".join(oids)):
        return f"{next(o for o in oids if not is_oid(o))!r:.80} is not a 64-hex object id"
    if set(map(type, sizes)) != {int} or min(sizes) < 0:
        return "sizes must be whole numbers >= 0"
    return None


_path_of = itemgetter(0)


def _columns(data: bytes, source: str) -> tuple[tuple, tuple, tuple, tuple]:
    """The paths, oids, sizes and executable flags of a stored manifest, each checked for its
    type and range (not the paths' safety and order: :meth:`Manifest._problem`)."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptObject(f"{source} is not a folder manifest (not JSON: {exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CorruptObject(f"{source} is not a folder manifest (no format {FORMAT!r})")
    files = document.get("files")
    if not isinstance(files, list):
        raise CorruptObject(f"{source} is not a folder manifest ('files' is not a list)")
    if not files:
        return (), (), (), ()
    if set(map(type, files)) != {list} or set(map(len, files)) != {4}:
        raise CorruptObject(f"{source}: every file row must be [path, oid, size, 0|1]")
    paths, oids, sizes, executables = zip(*files, strict=True)
    if set(map(type, paths)) != {str} or set(map(type, oids)) != {str}:
        raise CorruptObject(f"{source}: paths and oids must be strings")
    if set(map(type, sizes)) != {int} or min(sizes) < 0:
        raise CorruptObject(f"{source}: sizes must be whole numbers >= 0")
    if not set(executables) <= {0, 1} or set(map(type, executables)) - {int}:
        raise CorruptObject(f"{source}: the executable flag must be 0 or 1")
    if any(len(oid) != 64 for oid in oids) or not all_hex("".join(oids)):
        bad = next(oid for oid in oids if not is_oid(oid))
        raise CorruptObject(f"{source}: {bad!r:.80} is not a 64-hex object id")
    return paths, oids, sizes, tuple(x == 1 for x in executables)


def _unsafe(path: str) -> bool:
    return any(unsafe in f"/{path}/" for unsafe in _UNSAFE)


class Manifest:
    """The files of a folder, sorted by path (build with :meth:`from_entries`).

    Kept as columns (paths, oids, sizes, executable bits) so that reading the manifest of
    20,000 files and looking files up stays in C; :attr:`entries` gives rows.
    """

    __slots__ = ("_by_path", "_entries", "executables", "oids_", "paths", "sizes")

    def __init__(
        self,
        paths: tuple[str, ...],
        oids: tuple[str, ...],
        sizes: tuple[int, ...],
        executables: tuple[bool, ...],
    ) -> None:
        self.paths = paths
        self.oids_ = oids
        self.sizes = sizes
        self.executables = executables
        self._entries: tuple[ManifestEntry, ...] | None = None
        self._by_path: dict[str, ManifestEntry] | None = None

    def __repr__(self) -> str:
        return f"Manifest({self.nfiles} files, {self.total_size} bytes)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Manifest) and self.entries == other.entries

    def __hash__(self) -> int:
        return hash(self.paths) ^ hash(self.oids_)

    @classmethod
    def from_entries(cls, entries: Iterable[ManifestEntry | tuple]) -> Manifest:
        """A manifest of ``entries`` (``(path, oid, size[, executable])``, any order);
        :class:`CorruptObject` on an unsafe or repeated path or a bad oid or size."""
        rows = [entry if len(entry) == 4 else (*entry, False) for entry in entries]
        rows.sort(key=_path_of)  # paths are unique (checked below): no need to compare rows
        if not rows:
            return cls((), (), (), ())
        paths, oids, sizes, executables = zip(*rows, strict=True)
        manifest = cls(paths, oids, sizes, tuple(map(bool, executables)))
        problem = manifest._problem() or _column_problem(paths, oids, sizes)
        if problem:
            raise CorruptObject(f"cannot build a folder manifest: {problem}")
        return manifest

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "manifest") -> Manifest:
        """Parse and validate a stored manifest; :class:`CorruptObject` naming ``source`` on
        anything that is not a well-formed manifest."""
        manifest = cls(*_columns(data, source))
        problem = manifest._problem(require_sorted=True) if manifest.paths else None
        if problem:
            raise CorruptObject(f"{source}: {problem}")
        return manifest

    @staticmethod
    def oids_in(data: bytes, source: str = "manifest") -> set[str]:
        """The distinct oids a stored manifest lists, for callers that only need to know which
        objects a folder uses (gc, push): every field is checked as in :meth:`from_bytes`
        except the paths, which such callers never touch."""
        return set(_columns(data, source)[1])

    def with_contents(
        self, oids: Sequence[str], sizes: Sequence[int], executables: Sequence[bool]
    ) -> Manifest:
        """A manifest of the same paths holding new contents, given column by column in path
        order: for a folder whose files changed but were neither added nor removed, the paths
        (checked when this manifest was built) need no sorting or checking again."""
        oids, sizes = tuple(oids), tuple(sizes)
        if not len(oids) == len(sizes) == len(executables) == len(self.paths):
            raise CorruptObject("cannot build a folder manifest: its columns differ in length")
        problem = _column_problem(self.paths, oids, sizes) if self.paths else None
        if problem:
            raise CorruptObject(f"cannot build a folder manifest: {problem}")
        return Manifest(self.paths, oids, sizes, tuple(map(bool, executables)))

    def to_bytes(self) -> bytes:
        """The canonical bytes (equal manifests give equal bytes)."""
        paths = self.paths
        if _needs_escaping("".join(paths)):
            dumps = json.dumps
            quoted = [dumps(path, ensure_ascii=False) for path in paths]
        else:  # the common case: a JSON string is the path in quotes
            quoted = [f'"{path}"' for path in paths]
        lines = [
            f'[{path}, "{oid}", {size}, {1 if executable else 0}]'
            for path, oid, size, executable in zip(
                quoted, self.oids_, self.sizes, self.executables, strict=True
            )
        ]
        body = ",\n".join(lines)
        newline = "\n" if lines else ""
        return f'{{"format": "{FORMAT}", "files": [{newline}{body}{newline}]}}\n'.encode()

    @property
    def entries(self) -> tuple[ManifestEntry, ...]:
        """The files as rows, sorted by path."""
        if self._entries is None:
            columns = zip(self.paths, self.oids_, self.sizes, self.executables, strict=True)
            self._entries = tuple(map(ManifestEntry._make, columns))
        return self._entries

    @property
    def total_size(self) -> int:
        """The bytes of every file together."""
        return sum(self.sizes)

    @property
    def nfiles(self) -> int:
        """How many files the folder holds."""
        return len(self.paths)

    def by_path(self) -> dict[str, ManifestEntry]:
        """The entries keyed by path."""
        if self._by_path is None:
            self._by_path = dict(zip(self.paths, self.entries, strict=True))
        return self._by_path

    def oid_by_path(self) -> dict[str, str]:
        """Each path's oid."""
        return dict(zip(self.paths, self.oids_, strict=True))

    def oids(self) -> set[str]:
        """The distinct oids of the files."""
        return set(self.oids_)

    def _problem(self, require_sorted: bool = False) -> str | None:
        """What is wrong with the paths, or None: unsafe ones, duplicates, disorder, a file
        that is also used as a folder."""
        paths = self.paths
        joined = "/" + "/".join(paths) + "/"
        if any(unsafe in joined for unsafe in _UNSAFE):
            bad = next(path for path in paths if _unsafe(path))
            return f"path {bad!r} is absolute, has an empty, '.' or '..' component or a control character"
        unique = set(paths)
        if len(unique) != len(paths):
            twice = next(path for path in paths if paths.count(path) > 1)
            return f"path {twice!r} is listed twice"
        if require_sorted and list(paths) != sorted(paths):
            return "paths are not sorted"
        folders = {path.rpartition("/")[0] for path in paths} - {""}
        for folder in list(folders):
            cut = folder.rfind("/")
            while cut > 0:
                folders.add(folder[:cut])
                cut = folder.rfind("/", 0, cut)
        clash = folders & unique
        if clash:
            return f"{min(clash)!r} is listed as a file and as a folder"
        return None


def diff(
    old: Manifest, new: Manifest
) -> tuple[list[ManifestEntry], list[ManifestEntry], list[ManifestEntry]]:
    """The files ``(added, modified, deleted)`` going from ``old`` to ``new``; added and
    modified as in ``new``, deleted as in ``old``, each sorted by path."""
    before, after = old.by_path(), new.by_path()
    added = [entry for path, entry in after.items() if path not in before]
    deleted = [entry for path, entry in before.items() if path not in after]
    modified = [
        entry
        for path, entry in after.items()
        if path in before
        and (before[path].oid != entry.oid or before[path].executable != entry.executable)
    ]
    return added, modified, deleted
