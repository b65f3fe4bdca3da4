"""Keeping versioned data out of git: one anchored line per data path in its folder's
``.gitignore``, added once."""

from __future__ import annotations

import os
from pathlib import Path

_SPECIAL = "*?[\\"


def pattern_for(name: str) -> str:
    """The anchored ``.gitignore`` line that matches exactly the entry ``name``."""
    escaped = "".join("\\" + c if c in _SPECIAL else c for c in name)
    if escaped[:1] in ("#", "!"):
        escaped = "\\" + escaped
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    return "/" + escaped


def is_ignored_here(folder: Path, name: str) -> bool:
    """Whether ``folder/.gitignore`` already holds the line for ``name``."""
    path = folder / ".gitignore"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return False
    return pattern_for(name) in (line.rstrip("\r") for line in lines)


def ensure_ignored(folder: Path, name: str) -> bool:
    """Add the line for ``name`` to ``folder/.gitignore`` unless present; whether it was added."""
    if is_ignored_here(folder, name):
        return False
    path = folder / ".gitignore"
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        existing = b""
    separator = b"\n" if existing and not existing.endswith(b"\n") else b""
    text = existing + separator + (pattern_for(name) + "\n").encode()
    tmp = path.with_name(".gitignore.cairn-tmp")
    tmp.write_bytes(text)
    os.replace(tmp, path)
    return True
