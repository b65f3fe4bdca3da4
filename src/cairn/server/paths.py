"""Artifact paths arriving in URLs: decoded, then held to the same rules as the Python API.

A path that still carries percent-escapes after the router decoded it once was encoded
twice or more; it is decoded until stable so that ``%252e%252e%252f`` is judged as the
``../`` it stands for. Backslashes count as separators, and absolute paths, drive letters,
NUL bytes and ``..`` are refused with :class:`cairn.errors.InvalidPath`. Links leading out
of a local root are refused where files are opened (:func:`cairn.artifacts.paths.ensure_inside`).
"""

from __future__ import annotations

from urllib.parse import unquote

from cairn.artifacts.paths import clean_artifact_path
from cairn.errors import InvalidPath

_MAX_DECODES = 4


def checked_artifact_path(raw: str | None, what: str = "artifact path") -> str:
    """The clean relative path for ``raw`` ('' for the root); InvalidPath if it could escape."""
    if raw is None:
        return ""
    text = raw
    for _ in range(_MAX_DECODES):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    else:
        raise InvalidPath(f"{what} {raw!r} is percent-encoded too many times")
    if text != raw and _climbs(text):
        raise InvalidPath(f"{what} {raw!r} decodes to {text!r}, which leaves the run's folder")
    clean_artifact_path(text, what)  # the decoded form must pass too
    return clean_artifact_path(raw, what)


def _climbs(text: str) -> bool:
    parts = text.replace("\\", "/").split("/")
    return ".." in parts or text.startswith(("/", "\\")) or "\x00" in text
