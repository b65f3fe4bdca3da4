"""A stage's outputs: removed before it runs, stored in the data cache after it succeeded,
restored from the cache when the run cache knows its fingerprint; metrics files read."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidState
from cairn.pipelines.fingerprint import PathHash
from cairn.pipelines.model import LOCK_FILE

if TYPE_CHECKING:
    from cairn.data.workspace import Workspace


def remove_paths(root: Path, paths: Iterable[str]) -> None:
    """Delete each of ``paths`` (files or folders, relative to ``root``) that exists."""
    for rel in paths:
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def commit_outs(workspace: Workspace, stage_name: str, outs: Iterable[str]) -> dict[str, PathHash]:
    """Store each out in the cache and keep it out of git; their hashes. An out the stage did
    not write is :class:`InvalidState`."""
    from cairn.data import gitignore
    from cairn.data.add import store

    found = {}
    for rel in outs:
        path = workspace.root / rel
        if not path.exists():
            raise InvalidState(f"stage {stage_name} succeeded but did not write its out {rel}")
        pointer = store(workspace, path)
        found[rel] = PathHash(pointer.oid, pointer.size, pointer.kind, pointer.files)
        gitignore.ensure_ignored(path.parent, path.name)
    return found


def restore_outs(workspace: Workspace, outs: Mapping[str, PathHash]) -> None:
    """Put the cached content of ``outs`` in place (replacing what is there);
    :class:`cairn.errors.ObjectMissing` when the cache lacks some of it."""
    from cairn.data import gitignore
    from cairn.data.checkout import checkout_pointers, raise_failures
    from cairn.data.pointer import Pointer

    remove_paths(workspace.root, outs)
    lock_file = workspace.root / LOCK_FILE
    found = [(lock_file, Pointer(rel, h.kind, h.oid, h.size, h.files)) for rel, h in outs.items()]
    raise_failures(checkout_pointers(workspace, found, force=True))
    for rel in outs:
        path = workspace.root / rel
        gitignore.ensure_ignored(path.parent, path.name)


def read_metrics(root: Path, paths: Iterable[str]) -> dict[str, float]:
    """The numbers in the metrics files (JSON or YAML), nested keys joined with '.'; files
    that are missing or not a mapping give nothing."""
    values: dict[str, float] = {}
    for rel in paths:
        try:
            text = (root / rel).read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
            continue
        document = _parse(text, rel)
        if isinstance(document, dict):
            values.update(flatten_numbers(document))
    return values


def _parse(text: str, rel: str) -> Any:
    if rel.endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return None
    import yaml

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError:
        return None


def flatten_numbers(document: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """The numeric leaves of a nested mapping, keys joined with '.' (booleans left out)."""
    flat: dict[str, float] = {}
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_numbers(value, name + "."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat
