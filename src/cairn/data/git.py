"""The few git questions data versioning asks, through the ``git`` program.

Pointer files of other revisions are read straight from git's object store (``git ls-tree``
and one ``git cat-file --batch`` for all blobs), so nothing in the work tree changes.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from cairn.data.lock_outs import LOCK_NAME
from cairn.data.pointer import SUFFIX
from cairn.errors import ConfigError, InvalidInput, NotFound


def _which_git() -> str | None:
    """The path of the ``git`` program on ``PATH`` (as ``shutil.which``, which costs
    ``cairn data status`` the import of shutil and its compression modules)."""
    for folder in os.get_exec_path():
        candidate = os.path.join(folder or ".", "git")
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def _git(root: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    executable = _which_git()
    if executable is None:
        raise ConfigError("git is not installed; data versioning across revisions needs git")
    done = subprocess.run(  # noqa: S603 - fixed program, arguments are not shell-parsed
        [executable, "-C", str(root), *args], input=input_bytes, capture_output=True, check=False
    )
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise _GitFailed(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


class _GitFailed(Exception):
    """git exited non-zero (mapped to a cairn error by the caller)."""


def is_repository(root: Path) -> bool:
    """Whether ``root`` is inside a git work tree."""
    if _which_git() is None:
        return False
    try:
        return _git(root, "rev-parse", "--is-inside-work-tree").strip() == b"true"
    except _GitFailed:
        return False


def require_repository(root: Path) -> None:
    """:class:`InvalidInput` unless ``root`` is a git work tree."""
    if not is_repository(root):
        raise InvalidInput(f"{root} is not a git repository; run `git init` first")


def resolve_revision(root: Path, revision: str) -> str:
    """The commit id of ``revision``; :class:`NotFound` when git does not know it."""
    require_repository(root)
    if not revision or revision.startswith("-"):
        raise InvalidInput(f"{revision!r} is not a git revision")
    try:
        return (
            _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
            .decode()
            .strip()
        )
    except _GitFailed:
        raise NotFound(
            f"git revision {revision!r} does not exist in {root}; see `git log --oneline` or "
            "`git tag`"
        ) from None


def _wanted(name: str, with_locks: bool) -> bool:
    """Whether a file is a pointer file (or, ``with_locks``, a pipeline's cairn.lock)."""
    return name.endswith(SUFFIX) or (
        with_locks and (name == LOCK_NAME or name.endswith("/" + LOCK_NAME))
    )


def pointer_blobs(root: Path, commit: str, *, with_locks: bool = False) -> dict[str, str]:
    """Every pointer file in ``commit`` (and, ``with_locks``, every ``cairn.lock``):
    repository-relative path -> blob id."""
    try:
        out = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit)
    except _GitFailed as exc:
        raise NotFound(f"cannot list the files of {commit}: {exc}") from None
    found = {}
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, blob = meta.split(b" ")
        name = path.decode("utf-8", errors="surrogateescape")
        if kind == b"blob" and _wanted(name, with_locks) and mode != b"120000":
            found[name] = blob.decode()
    return found


def read_blobs(root: Path, blobs: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each blob id, read in one ``git cat-file --batch``."""
    wanted = list(dict.fromkeys(blobs))
    if not wanted:
        return {}
    try:
        out = _git(
            root, "cat-file", "--batch", input_bytes="".join(b + "\n" for b in wanted).encode()
        )
    except _GitFailed as exc:
        raise NotFound(f"cannot read pointer files from git: {exc}") from None
    found: dict[str, bytes] = {}
    position = 0
    for blob in wanted:
        end = out.index(b"\n", position)
        header = out[position:end].split(b" ")
        position = end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        found[blob] = out[position : position + size]
        position += size + 1
    return found


def all_pointer_blobs(root: Path, *, with_locks: bool = False) -> set[str]:
    """The blob id of every pointer file (and, ``with_locks``, every ``cairn.lock``) in any
    commit reachable from a branch, tag or other ref (one walk with ``git rev-list --all
    --objects``)."""
    require_repository(root)
    try:
        out = _git(root, "rev-list", "--all", "--objects")
    except _GitFailed as exc:
        raise NotFound(f"cannot walk the git history of {root}: {exc}") from None
    blobs = set()
    for line in out.splitlines():
        oid, _, path = line.partition(b" ")
        if _wanted(path.decode("utf-8", errors="surrogateescape"), with_locks):
            blobs.add(oid.decode())
    return blobs


def listed_files(root: Path, *patterns: str) -> list[str] | None:
    """The files matching ``patterns`` that git sees in the work tree (tracked, or untracked
    and not ignored), as repository-relative paths; None when ``root`` is not a git work tree."""
    if not (root / ".git").exists() or _which_git() is None:
        return None
    try:
        out = _git(
            root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *patterns
        )
    except _GitFailed:
        return None
    names = {name for name in out.decode("utf-8", errors="surrogateescape").split("\0") if name}
    return sorted(name for name in names if (root / name).is_file())


def listed_pointer_files(root: Path) -> list[str] | None:
    """The pointer files git sees in the work tree (see :func:`listed_files`)."""
    return listed_files(root, f"*{SUFFIX}", ":(exclude).cairn/*")


def tracked_by_git(root: Path, paths: list[str]) -> list[str]:
    """Which of ``paths`` (repository-relative) git tracks, or has files tracked under."""
    if not paths or not (root / ".git").exists() or _which_git() is None:
        return []
    try:
        out = _git(root, "ls-files", "-z", "--cached", "--", *(f":(literal){p}" for p in paths))
    except _GitFailed:
        return []
    listed = [name for name in out.decode("utf-8", errors="surrogateescape").split("\0") if name]
    return sorted({p for p in paths for name in listed if name == p or name.startswith(p + "/")})
