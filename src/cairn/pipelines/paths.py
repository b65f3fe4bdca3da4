"""Stage paths: every dep, out and metrics file as a clean POSIX path relative to the root."""

from __future__ import annotations

import posixpath

from cairn.errors import InvalidInput

__all__ = ["clean_wdir", "project_path"]


def clean_wdir(wdir: str, where: str) -> str:
    """``wdir`` normalised (``.`` for the root); it must stay inside the project."""
    return project_path(wdir, ".", where, allow_root=True)


def project_path(raw: str, wdir: str, where: str, *, allow_root: bool = False) -> str:
    """``raw`` (relative to ``wdir``) as a normalised path relative to the project root.

    ``where`` opens the error message (``"cairn.yaml: stage 'train': 'deps'"``). Absolute paths,
    paths that climb out of the project and paths into ``.cairn/`` or ``.git`` are refused.
    """
    text = raw.replace("\\", "/").strip()
    if not text:
        raise InvalidInput(f"{where}: a path is empty")
    if text.startswith("/") or (text[1:3] == ":/" and text[0].isalpha()):
        raise InvalidInput(f"{where}: {raw!r} is absolute; use a path relative to the project")
    joined = posixpath.normpath(posixpath.join(wdir, text))
    if joined == ".." or joined.startswith("../"):
        raise InvalidInput(f"{where}: {raw!r} points outside the project")
    if joined == "." and not allow_root:
        raise InvalidInput(f"{where}: {raw!r} is the project root itself; name a file or folder")
    first = joined.split("/")[0]
    if first in (".cairn", ".git"):
        raise InvalidInput(f"{where}: {raw!r} is inside {first}/, which is not project data")
    return joined
