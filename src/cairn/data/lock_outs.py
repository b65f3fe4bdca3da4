"""Pipeline outputs as versioned data: the outs that ``cairn.lock`` records count like pointers
for ``cairn data status``, ``checkout``, ``push``, ``pull``, ``fetch`` and ``gc``.

Each out becomes a :class:`Pointer` whose ``path`` is relative to the lock file's folder (it
may hold ``/``), so :func:`cairn.data.pointer.data_path_of` finds the data. Only the ``outs``
of each stage are read here; :mod:`cairn.pipelines.lockfile` owns the rest of the format.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from cairn.data.pointer import Pointer
from cairn.errors import InvalidInput
from cairn.objects.digest import Digest

LOCK_NAME = "cairn.lock"


def is_lock_path(path: Path | str) -> bool:
    """Whether ``path`` names a pipeline lock file."""
    return PurePosixPath(str(path).replace("\\", "/")).name == LOCK_NAME


def parse_outs(text: bytes | str, source: str) -> list[Pointer]:
    """The outs recorded in a lock file's ``text``; :class:`InvalidInput` naming ``source``."""
    import yaml  # here: data commands in projects without pipelines never pay for it

    fix = "fix it, restore it from git, or run `cairn pipeline run` to rewrite it"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        document = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        raise InvalidInput(f"{source} is not valid YAML; {fix}") from None
    if document is None:
        return []
    stages = document.get("stages") if isinstance(document, dict) else None
    if not isinstance(stages, dict):
        raise InvalidInput(f"{source} is not a cairn.lock (no 'stages' mapping); {fix}")
    found = []
    for name, entry in stages.items():
        outs = entry.get("outs") if isinstance(entry, dict) else None
        for path, raw in (outs or {}).items() if isinstance(outs, dict) else ():
            pointer = _pointer(str(path), raw)
            if pointer is None:
                raise InvalidInput(f"{source}: out {path!r} of stage {name!r} is damaged; {fix}")
            found.append(pointer)
    return sorted(found, key=lambda pointer: pointer.path)


def _pointer(path: str, raw: Any) -> Pointer | None:
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or ".." in parts or not isinstance(raw, dict):
        return None
    try:
        oid = Digest.parse(raw.get("hash")).value
    except InvalidInput:
        return None
    kind, size, files = raw.get("kind", "file"), raw.get("size"), raw.get("files")
    if kind not in ("file", "dir") or type(size) is not int or size < 0:
        return None
    if kind == "dir" and type(files) is not int:
        return None
    return Pointer(path, kind, oid, size, files if kind == "dir" else None)


def read_outs(lock_file: Path, source: str) -> list[Pointer]:
    """The outs recorded in ``lock_file`` (none when it does not exist)."""
    try:
        text = lock_file.read_bytes()
    except FileNotFoundError:
        return []
    return parse_outs(text, source)
