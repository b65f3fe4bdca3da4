"""The data workspace of a project: its root, cache, state index, pointers and settings.

Everything data versioning does on the local machine starts from :meth:`Workspace.find`.
Paths given by users are checked here once: they must lie inside the project, outside
``.cairn/`` and ``.git``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from cairn.config import (
    CAIRN_DIR,
    ensure_cairn_dir,
    find_project_root,
    parse_flag,
    project_config,
)
from cairn.data import pointer as pointers_module
from cairn.data.lock import data_lock
from cairn.data.pointer import SUFFIX, Pointer, data_path_of, is_pointer_path, pointer_path_for
from cairn.data.progress import QUIET, Reporter
from cairn.data.state import StateIndex
from cairn.errors import ConfigError, InvalidInput, InvalidPath, NotFound, ObjectMissing
from cairn.objects.db import ObjectDB
from cairn.objects.manifest import Manifest

if TYPE_CHECKING:
    from cairn.data.checkout import CheckoutReport
    from cairn.data.status import StatusReport

T = TypeVar("T")
R = TypeVar("R")

# Kept in step with ``cairn init``: only config.toml (and this file) are meant for git.
# Folders never searched for pointers when git cannot list them.
_SKIP_DIRS = {"node_modules", "__pycache__", "venv"}
ENV_FSYNC = "CAIRN_DATA_FSYNC"


def worker_count(config: dict) -> int:
    """Threads for file work: ``[data] jobs``, else 4 per core up to 16."""
    section = config.get("data", {})
    jobs = section.get("jobs") if isinstance(section, dict) else None
    if jobs is not None:
        if type(jobs) is not int or jobs < 1:
            raise InvalidInput(f"[data] jobs in .cairn/config.toml must be >= 1, got {jobs!r}")
        return jobs
    return max(2, min(16, 4 * (os.cpu_count() or 1)))


def fsync_setting(config: dict) -> bool:
    """Whether commands wait until new cache objects are on disk: ``CAIRN_DATA_FSYNC``, else
    ``[data] fsync``, else no (the OS writes them back, as with git and DVC; an object a power
    cut tears is caught by its hash on read and rewritten by the next add of its content)."""
    raw: object = os.environ.get(ENV_FSYNC)
    where = ENV_FSYNC
    if raw is None:
        section = config.get("data", {})
        raw = section.get("fsync") if isinstance(section, dict) else None
        where = "[data] fsync in .cairn/config.toml"
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    flag = parse_flag(str(raw)) if str(raw).strip() else False
    if flag is None:
        raise ConfigError(f"{where} must be true or false, got {raw!r}")
    return flag


class Workspace:
    """One project's data: ``root``, ``cache`` (an :class:`ObjectDB`), ``state`` and
    ``config`` (the project's settings)."""

    def __init__(self, root: Path, config: dict | None = None) -> None:
        self.root = Path(root).resolve()
        self.cairn_dir = self.root / CAIRN_DIR
        self.config = project_config(self.root) if config is None else config
        self.cache = ObjectDB(self.cairn_dir / "cache", flush=fsync_setting(self.config))
        self.state = StateIndex(self.cairn_dir / "state.db")
        self._manifests: dict[str, Manifest] = {}

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    @classmethod
    def find(cls, cwd: Path | None = None, *, start: bool = True) -> Workspace:
        """The workspace of the project holding ``cwd``, creating ``.cairn/`` if missing.
        Without ``start`` (commands that only read), a folder in no git repository and with no
        ``.cairn/`` is not a project: ConfigError instead of a new ``.cairn/`` there."""
        root = find_project_root(cwd)
        if not start and not (root / CAIRN_DIR).is_dir() and not (root / ".git").exists():
            raise ConfigError(
                f"no cairn project here (no {CAIRN_DIR}/ or git repository in {root} or its "
                "parents): run `cairn init`, or `cairn data add PATH` to start versioning data"
            )
        ensure_cairn_dir(root)
        return cls(root)

    def close(self) -> None:
        """Close the state index."""
        self.state.close()

    # -- paths -------------------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        """``path`` (absolute) relative to the root, POSIX; :class:`InvalidPath` outside it."""
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            raise InvalidPath(
                f"{path} is outside the project {self.root}; data must live inside it"
            ) from None
        return rel.as_posix()

    def absolute(self, target: str | Path, cwd: Path | None = None) -> Path:
        """A user's path made absolute (relative to ``cwd``) without following a final
        symlink, and checked to lie inside the project, outside ``.cairn/`` and ``.git``."""
        raw = Path(target)
        base = raw if raw.is_absolute() else (cwd or Path.cwd()) / raw
        parent = Path(os.path.realpath(base.parent)) if base.name not in ("", ".", "..") else None
        path = parent / base.name if parent is not None else Path(os.path.realpath(base))
        rel = self.rel(path)
        parts = rel.split("/")
        if parts[0] == CAIRN_DIR:
            raise InvalidPath(f"{target} is inside {CAIRN_DIR}/, which cairn manages itself")
        if ".git" in parts:
            raise InvalidPath(f"{target} is inside git's .git folder")
        return path

    def display(self, path: Path) -> str:
        """A path for messages: relative to the root."""
        try:
            return path.relative_to(self.root).as_posix() or "."
        except ValueError:
            return str(path)

    # -- pointers ----------------------------------------------------------------------------

    def pointer_files(self) -> list[Path]:
        """Every pointer file of the project (git's view when it is a git work tree)."""
        from cairn.data.git import listed_pointer_files

        listed = listed_pointer_files(self.root)
        if listed is not None:
            return [self.root / name for name in listed]
        found: list[Path] = []
        for folder, dirs, files in os.walk(self.root):
            names = set(files)
            dirs[:] = [
                d for d in dirs
                if not d.startswith(".") and d not in _SKIP_DIRS and d + SUFFIX not in names
            ]  # fmt: skip
            found.extend(Path(folder) / name for name in files if is_pointer_path(name))
        return sorted(found)

    def read_pointer(self, pointer_file: Path) -> Pointer:
        """The pointer in ``pointer_file`` (validated)."""
        return pointers_module.read(pointer_file, self.display(pointer_file))

    def lock_pointers(self) -> list[tuple[Path, Pointer]]:
        """The pipeline outs recorded in ``ROOT/cairn.lock``, as ``(lock file, pointer)``."""
        from cairn.data.lock_outs import LOCK_NAME, read_outs

        lock_file = self.root / LOCK_NAME
        return [(lock_file, pointer) for pointer in read_outs(lock_file, LOCK_NAME)]

    def pointers(
        self, targets: Iterable[str | Path] | None = None, cwd: Path | None = None
    ) -> list[tuple[Path, Pointer]]:
        """The pointers named by ``targets`` (data paths, pointer files or folders holding
        pointers), or every pointer of the project, pipeline outs in ``cairn.lock`` included;
        sorted by path."""
        files: dict[Path, None] = {}
        outs: list[tuple[Path, Pointer]] = []
        if targets is None:
            files = dict.fromkeys(self.pointer_files())
            outs = self.lock_pointers()
        else:
            every: list[Path] | None = None
            locked: list[tuple[Path, Pointer]] | None = None
            for target in targets:
                path = self.absolute(target, cwd)
                if is_pointer_path(path) and path.is_file():
                    files[path] = None
                elif pointer_path_for(path).is_file():
                    files[pointer_path_for(path)] = None
                else:
                    locked = self.lock_pointers() if locked is None else locked
                    named = [
                        (f, p) for f, p in locked
                        if path == self.root or path in (data := data_path_of(f, p), *data.parents)
                    ]  # fmt: skip
                    inside: list[Path] = []
                    if path.is_dir():
                        every = self.pointer_files() if every is None else every
                        inside = [p for p in every if path == self.root or path in p.parents]
                    if not inside and not named:
                        raise self._untracked(target)
                    files.update(dict.fromkeys(inside))
                    outs.extend(item for item in named if item not in outs)
        found = [(file, self.read_pointer(file)) for file in sorted(files)]
        return found + sorted(outs, key=lambda item: item[1].path)

    def _untracked(self, target: str | Path) -> NotFound:
        if is_pointer_path(target):
            return NotFound(f"the pointer file {target} does not exist; `cairn data ls` lists "
                            "what is tracked")  # fmt: skip
        return NotFound(
            f"no data is tracked at {target} (there is no {target}{SUFFIX}); track it with "
            f"`cairn data add {target}`"
        )

    def data_path(self, pointer_file: Path, pointer: Pointer) -> Path:
        """The data a pointer stands for."""
        return data_path_of(pointer_file, pointer)

    # -- manifests and used objects ----------------------------------------------------------

    def manifest(self, oid: str, source: str = "", hint: str = "") -> Manifest:
        """The folder manifest with ``oid``, read from the cache and checked."""
        cached = self._manifests.get(oid)
        if cached is not None and self.cache.has(oid):
            return cached
        if not self.cache.has(oid):
            raise ObjectMissing(
                f"the folder manifest {oid} of {source or 'a pointer'} is not in the cache; "
                + (hint or "run `cairn data fetch` (or `cairn data pull`) first")
            )
        data = self.cache.read_bytes(oid, verify=True)
        manifest = Manifest.from_bytes(data, f"folder manifest {self.cache.path_of(oid)}")
        self._manifests[oid] = manifest
        return manifest

    def used_oids(
        self,
        pointers: Iterable[tuple[Path, Pointer]],
        missing: list[tuple[Path, str]] | None = None,
    ) -> set[str]:
        """Every oid the pointers need: their own and, for folders, the manifest's files.

        A manifest that is not in the cache is appended to ``missing`` as ``(pointer file,
        oid)`` when a list is given, else raises :class:`ObjectMissing`.
        """
        used: set[str] = set()
        for pointer_file, pointer in pointers:
            used.add(pointer.oid)
            if not pointer.is_dir:
                continue
            if missing is not None and not self.cache.has(pointer.oid):
                missing.append((pointer_file, pointer.oid))
                continue
            used |= self.manifest_oids(pointer.oid, self.display(pointer_file))
        return used

    def manifest_oids(self, oid: str, source: str = "") -> set[str]:
        """The oids the folder manifest ``oid`` lists: as the state index recorded them, else
        read (without the path checks of :meth:`manifest` when it was not read whole before)
        and recorded there."""
        if oid in self._manifests or not self.cache.has(oid):
            return self.manifest(oid, source).oids()  # (absent: an error saying what to do)
        recorded = self.state.manifest_oids(oid)
        if recorded is not None:
            return recorded
        data = self.cache.read_bytes(oid, verify=True)
        oids = Manifest.oids_in(data, f"folder manifest {self.cache.path_of(oid)}")
        self.state.record_manifest_oids(oid, oids)
        return oids

    # -- locking, settings, threads ------------------------------------------------------------

    def lock(
        self,
        command: str,
        *,
        shared: bool = False,
        on_wait: Callable[[str], None] | None = None,
    ) -> AbstractContextManager[None]:
        """The repository's data lock (see :mod:`cairn.data.lock`)."""
        section = self.config.get("data", {})
        timeout = section.get("lock_timeout") if isinstance(section, dict) else None
        kwargs: dict[str, Any] = {"shared": shared, "timeout": timeout}
        if on_wait is not None:
            kwargs["on_wait"] = on_wait
        return data_lock(self.cairn_dir, command, **kwargs)

    def jobs(self) -> int:
        """Threads to use for file work."""
        return worker_count(self.config)

    def map(self, fn: Callable[[T], R], items: list[T]) -> list[R]:
        """``fn`` over ``items`` (results in order), in threads when there are many; items
        go to the threads in batches so that 20,000 small files are not 20,000 futures."""
        if len(items) < 8:
            return list(map(fn, items))
        jobs = self.jobs()
        size = max(1, min(256, len(items) // (jobs * 4)))
        batches = [items[i : i + size] for i in range(0, len(items), size)]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(jobs) as pool:
            done = pool.map(lambda batch: [fn(item) for item in batch], batches)
            return [result for batch in done for result in batch]

    # -- verbs (each in its own module) --------------------------------------------------------

    def status(self, targets: Iterable[str | Path] | None = None, **kwargs: Any) -> StatusReport:
        """Workspace vs pointers (see :func:`cairn.data.status.status`)."""
        from cairn.data.status import status

        return status(self, targets, **kwargs)

    def checkout(
        self,
        targets: Iterable[str | Path] | None = None,
        force: bool = False,
        *,
        link: str | None = None,
        reporter: Reporter = QUIET,
    ) -> CheckoutReport:
        """Make the workspace match the pointers (see :func:`cairn.data.checkout.checkout`)."""
        from cairn.data.checkout import checkout

        return checkout(self, targets, force=force, link=link, reporter=reporter)
