"""``cairn data import-dvc``: turn the ``.dvc`` files of a DVC repository into cairn pointers.

Each output of a ``.dvc`` file is read from DVC's cache (``files/md5/ab/cdef…`` of DVC 3, or
``ab/cdef…`` of DVC 2), its MD5 checked (for DVC 2 outputs also with DVC's CRLF→LF
normalisation of text files), and its bytes stored in cairn's cache under their BLAKE3 hash;
a folder (a ``.dir`` listing) becomes a manifest. When DVC's cache lacks an object, the
workspace copy is used if its MD5 matches. Everything is read and checked before the first
pointer is written, so a corrupt or missing object leaves the repository as it was.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cairn.data import pointer as pointers
from cairn.data.git import listed_files
from cairn.data.gitignore import ensure_ignored
from cairn.errors import CorruptObject, InvalidInput, NotFound
from cairn.objects.db import ObjectDB
from cairn.objects.hashing import Hasher
from cairn.objects.manifest import Manifest, ManifestEntry

BLOCK = 8 << 20
_SKIP_DIRS = {".git", ".dvc", ".cairn", "node_modules", ".venv"}


@dataclass(frozen=True, slots=True)
class DvcOutput:
    """One output of a ``.dvc`` file: where its data lives and DVC's hash of it."""

    dvc_file: Path
    data_path: Path
    md5: str
    is_dir: bool
    legacy: bool  # written by DVC 2 (md5 of text files after CRLF->LF)


@dataclass(frozen=True, slots=True)
class Imported:
    """What one output became: its cairn pointer, and whether it was written or already there."""

    output: DvcOutput
    pointer: pointers.Pointer
    status: str  # "imported" | "unchanged"

    def to_dict(self, root: Path) -> dict[str, Any]:
        """JSON form, with paths relative to the repository."""
        return {
            **self.pointer.to_dict(),
            "path": self.output.data_path.relative_to(root).as_posix(),
            "dvc_file": self.output.dvc_file.relative_to(root).as_posix(),
            "md5": self.output.md5,
            "status": self.status,
        }


def dvc_cache_dir(root: Path) -> Path:
    """DVC's cache folder: ``[cache] dir`` of ``.dvc/config(.local)``, else ``.dvc/cache``."""
    dvc = root / ".dvc"
    if not dvc.is_dir():
        raise NotFound(f"no DVC repository at {root} (.dvc/ not found); run this at its root")
    found = dvc / "cache"
    for name in ("config", "config.local"):
        parser = configparser.ConfigParser()
        try:
            parser.read(dvc / name, encoding="utf-8")
        except configparser.Error as exc:
            raise InvalidInput(f".dvc/{name} cannot be read: {exc}") from None
        value = parser.get("cache", "dir", fallback=None)
        if value:
            found = (dvc / value).resolve() if not os.path.isabs(value) else Path(value)
    return found


def find_dvc_files(root: Path) -> list[Path]:
    """Every ``*.dvc`` file of the repository (git's list when it is a git work tree)."""
    listed = listed_files(root, "*.dvc")
    if listed is not None:
        return [root / name for name in listed]
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        found.extend(Path(folder) / f for f in files if f.endswith(".dvc"))
    return sorted(found)


def read_dvc_file(path: Path, root: Path) -> list[DvcOutput]:
    """The outputs a ``.dvc`` file records; InvalidInput naming the file when it is not one."""
    where = path.relative_to(root).as_posix()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{where} is not a valid .dvc file: {exc}") from None
    outs = document.get("outs") if isinstance(document, dict) else None
    if not isinstance(outs, list) or not outs:
        raise InvalidInput(f"{where} is not a .dvc file with outputs ('outs:' is missing)")
    found = []
    for out in outs:
        if not isinstance(out, dict) or not isinstance(out.get("path"), str):
            raise InvalidInput(f"{where}: an output has no 'path'")
        md5 = str(out.get("md5") or "")
        is_dir = md5.endswith(".dir")
        digest = md5.removesuffix(".dir")
        if len(digest) != 32 or any(c not in "0123456789abcdef" for c in digest):
            raise InvalidInput(
                f"{where}: output {out['path']!r} has no md5 hash (was it `dvc add`-ed and "
                "committed? cloud-versioned and imported outputs are not supported)"
            )
        data_path = (path.parent / out["path"]).resolve()
        if root.resolve() not in data_path.parents:
            raise InvalidInput(f"{where}: output {out['path']!r} lies outside the repository")
        legacy = out.get("hash") != "md5"
        found.append(DvcOutput(path, data_path, digest, is_dir, legacy))
    return found


class _Reader:
    """Objects of DVC's cache (or the workspace), MD5-checked, copied into cairn's cache."""

    def __init__(self, dvc_cache: Path, cache: ObjectDB, root: Path) -> None:
        self.dvc_cache = dvc_cache
        self.cache = cache
        self.root = root

    def _candidates(self, md5: str, legacy: bool, suffix: str = "") -> list[Path]:
        modern = self.dvc_cache / "files" / "md5" / md5[:2] / (md5[2:] + suffix)
        old = self.dvc_cache / md5[:2] / (md5[2:] + suffix)
        return [old, modern] if legacy else [modern, old]

    def listing(self, output: DvcOutput) -> list[dict[str, Any]]:
        """The entries of a folder output's ``.dir`` object."""
        for path in self._candidates(output.md5, output.legacy, ".dir"):
            if path.is_file():
                data = path.read_bytes()
                if hashlib.md5(data, usedforsecurity=False).hexdigest() != output.md5:
                    raise CorruptObject(
                        f"DVC's listing of {self._show(output.data_path)} at {path} does not "
                        f"match its md5 {output.md5}: DVC's cache is corrupt"
                    )
                entries = json.loads(data)
                if not isinstance(entries, list):
                    raise CorruptObject(f"{path} is not a DVC folder listing")
                return entries
        raise NotFound(
            f"DVC's listing of {self._show(output.data_path)} ({output.md5}.dir) is not in "
            f"DVC's cache {self.dvc_cache}; run `dvc pull` first"
        )

    def store(self, md5: str, legacy: bool, fallback: Path) -> tuple[str, int]:
        """Copy the object with this MD5 into cairn's cache; its BLAKE3 oid and size."""
        for path in [*self._candidates(md5, legacy), fallback]:
            if path.is_file():
                oid, size = self._checked(path, md5, legacy)
                self.cache.add_file(path, oid, durable=False)
                return oid, size
        raise NotFound(
            f"{self._show(fallback)} (md5 {md5}) is neither in DVC's cache {self.dvc_cache} "
            "nor in the workspace; run `dvc pull` first"
        )

    def _checked(self, path: Path, md5: str, legacy: bool) -> tuple[str, int]:
        raw = hashlib.md5(usedforsecurity=False)
        hasher = Hasher()
        binary = False
        with path.open("rb") as handle:
            while block := handle.read(BLOCK):
                raw.update(block)
                hasher.update(block)
                binary = binary or b"\x00" in block[:8192]
        if raw.hexdigest() == md5 or (legacy and not binary and _dos2unix_md5(path) == md5):
            return hasher.oid(), hasher.size
        raise CorruptObject(
            f"{path} does not match the md5 {md5} DVC recorded for it: the object is corrupt; "
            "nothing was imported"
        )

    def _show(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def _dos2unix_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block.replace(b"\r\n", b"\n"))
    return digest.hexdigest()


def _executable(path: Path) -> bool:
    """Whether the workspace copy is executable (DVC's listings do not always record it)."""
    try:
        return bool(path.stat().st_mode & 0o100)
    except OSError:
        return False


def _convert(output: DvcOutput, reader: _Reader) -> pointers.Pointer:
    name = output.data_path.name
    if not output.is_dir:
        oid, size = reader.store(output.md5, output.legacy, output.data_path)
        return pointers.Pointer(name, "file", oid, size)
    entries = []
    for item in reader.listing(output):
        relpath, md5 = str(item.get("relpath", "")), str(item.get("md5", ""))
        oid, size = reader.store(md5, output.legacy, output.data_path / relpath)
        executable = bool(item.get("isexec")) or _executable(output.data_path / relpath)
        entries.append(ManifestEntry(relpath, oid, size, executable))
    manifest = Manifest.from_entries(entries)
    oid = reader.cache.add_bytes(manifest.to_bytes())
    return pointers.Pointer(name, "dir", oid, manifest.total_size, manifest.nfiles)


def plan_import(
    root: Path, cache: ObjectDB, dvc_files: list[Path] | None = None
) -> Iterator[tuple[DvcOutput, pointers.Pointer]]:
    """Read, check and cache every output; yields each with the pointer it becomes.

    Objects go into cairn's content-addressed cache as they are checked (harmless if the
    import stops: nothing refers to them until the pointers are written)."""
    reader = _Reader(dvc_cache_dir(root), cache, root)
    files = dvc_files if dvc_files is not None else find_dvc_files(root)
    if not files:
        raise NotFound(f"no .dvc files under {root}: nothing to import")
    outputs = [out for path in files for out in read_dvc_file(path, root)]
    for output in outputs:
        yield output, _convert(output, reader)
    cache.sync()


def import_dvc(
    root: Path, cache: ObjectDB, *, dvc_files: list[Path] | None = None, force: bool = False
) -> list[Imported]:
    """Convert every ``.dvc`` output into a cairn pointer beside its data (see module doc).

    An existing pointer that names other content is refused unless ``force``.
    """
    planned = list(plan_import(root, cache, dvc_files))
    results = []
    for output, pointer in planned:
        target = pointers.pointer_path_for(output.data_path)
        status = "imported"
        if target.exists():
            existing = pointers.read(target, target.relative_to(root).as_posix())
            if existing == pointer:
                status = "unchanged"
            elif not force:
                raise InvalidInput(
                    f"{target.relative_to(root).as_posix()} already records other content; "
                    "use --force to replace it with DVC's version"
                )
        results.append(Imported(output, pointer, status))
    for item in results:  # every check passed: now write
        if item.status == "imported":
            pointers.write(pointers.pointer_path_for(item.output.data_path), item.pointer)
            ensure_ignored(item.output.data_path.parent, item.output.data_path.name)
    return results
