"""Validation of artifact paths given by users: relative, no ``..``, no escape through links."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from cairn.errors import InvalidPath


def clean_artifact_path(path: str | None, what: str = "artifact path") -> str:
    """A normalised relative POSIX path ('' for the root); InvalidPath for anything that climbs."""
    if path is None:
        return ""
    if not isinstance(path, str):
        raise InvalidPath(f"{what} must be a string, got {type(path).__name__}")
    if "\x00" in path:
        raise InvalidPath(f"{what} {path!r} contains a NUL character")
    text = path.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise InvalidPath(
            f"{what} {path!r} is absolute; give a path relative to the run's artifact root, "
            "e.g. 'plots/confusion.png'"
        )
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidPath(
            f"{what} {path!r} contains '..'; artifact paths cannot leave the run's folder"
        )
    return posixpath.join(*parts) if parts else ""


def ensure_inside(base: Path, target: Path, what: str = "path") -> Path:
    """``target`` resolved (links followed); InvalidPath if it lies outside ``base``."""
    base_real = base.resolve()
    real = target.resolve()
    if real != base_real and base_real not in real.parents:
        raise InvalidPath(f"{what} {target} leads outside {base} (through a link or '..')")
    return real


def iter_local_files(folder: Path) -> list[tuple[Path, str]]:
    """Files under ``folder`` with their relative POSIX paths; links leading outside are refused."""
    found = []
    for dirpath, _dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(files):
            full = Path(dirpath) / name
            ensure_inside(folder, full, "file")
            found.append((full, full.relative_to(folder).as_posix()))
    return sorted(found, key=lambda item: item[1])


_FACTS_CACHE: dict[tuple[str, int, int, int], dict[str, int | str]] = {}
_FACTS_CACHE_SIZE = 64


def file_facts(path: Path) -> dict[str, int | str]:
    """Size and BLAKE3 digest of a local file (hashed on all cores, in 8 MiB blocks).

    The answer for an unchanged file (same inode, size and modification time) is kept, so
    logging a file hashes it once even when both the upload and the audit record need it.
    """
    import blake3

    stat = path.stat()
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key in _FACTS_CACHE:
        return dict(_FACTS_CACHE[key])
    digest = blake3.blake3(max_threads=blake3.blake3.AUTO)
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
            size += len(block)
    facts: dict[str, int | str] = {"size": size, "blake3": digest.hexdigest()}
    if len(_FACTS_CACHE) >= _FACTS_CACHE_SIZE:
        _FACTS_CACHE.pop(next(iter(_FACTS_CACHE)))
    _FACTS_CACHE[key] = facts
    return dict(facts)
