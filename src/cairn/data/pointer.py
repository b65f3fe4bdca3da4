"""Pointer files: the small YAML file ``PATH.cairn`` that stands for versioned data in git.

A pointer names the data beside it and the hash of its content (for a folder, the oid of its
manifest)::

    # cairn data pointer: the content of 'train.csv' is kept in the cache under this hash.
    # Commit this file to git; `cairn data checkout` brings the data back.
    version: 1
    path: train.csv
    kind: file
    hash: blake3:5d8a...
    size: 1234

Reading validates every field, so a pointer edited into nonsense gives one line naming the
file and what is wrong; writing is atomic (temporary file, then rename).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from cairn.errors import InvalidInput
from cairn.objects.digest import HASH_NAME, Digest

SUFFIX = ".cairn"
VERSION = 1
KINDS = ("file", "dir")
_FIELDS = {"version", "path", "kind", "hash", "size", "files"}


@dataclass(frozen=True, slots=True)
class Pointer:
    """What a pointer file says: the data's name, kind, oid, size and (folders) file count."""

    path: str
    kind: str
    oid: str
    size: int
    files: int | None = None

    @property
    def is_dir(self) -> bool:
        """Whether the data is a folder (its oid is a manifest's)."""
        return self.kind == "dir"

    def to_text(self) -> str:
        """The file's text (deterministic: the same pointer gives the same bytes)."""
        what = "folder" if self.is_dir else "file"
        lines = [
            f"# cairn data pointer: the content of {what} {self.path!r} is kept in the cache "
            "under this hash.",
            "# Commit this file to git; `cairn data checkout` brings the data back.",
            f"version: {VERSION}",
            f"path: {_scalar(self.path)}",
            f"kind: {self.kind}",
            f"hash: {HASH_NAME}:{self.oid}",
            f"size: {self.size}",
        ]
        if self.is_dir:
            lines.append(f"files: {self.files}")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        found: dict[str, object] = {
            "path": self.path, "kind": self.kind, "hash": f"{HASH_NAME}:{self.oid}",
            "size": self.size,
        }  # fmt: skip
        if self.is_dir:
            found["files"] = self.files
        return found


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar that reads back as the same string."""
    if _PLAIN_NAME.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text  # what YAML writes for it too, without loading YAML (start-up time)
    import yaml

    dumped = yaml.safe_dump(text, default_flow_style=True, allow_unicode=True, width=1 << 16)
    return dumped.removesuffix("\n...\n").removesuffix("\n")


def pointer_path_for(data: Path) -> Path:
    """The pointer file that stands for ``data``."""
    return data.with_name(data.name + SUFFIX)


def is_pointer_path(path: Path | str) -> bool:
    """Whether ``path`` names a pointer file."""
    return str(path).endswith(SUFFIX) and len(Path(path).name) > len(SUFFIX)


def data_path_of(pointer_file: Path, pointer: Pointer) -> Path:
    """Where the data a pointer names lives: beside the pointer."""
    return pointer_file.parent / pointer.path


def parse(text: str | bytes, source: str) -> Pointer:
    """The pointer in ``text``; :class:`InvalidInput` naming ``source`` when it is not one."""
    fix = "fix it by hand, restore it from git, or re-add the data with `cairn data add`"
    try:
        document = _plain_document(text) or _yaml_document(text)
    except _NotYaml as exc:
        line = f" (line {exc.line})" if exc.line else ""
        raise InvalidInput(f"{source} is not a valid pointer file: not YAML{line}; {fix}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{source} is not a valid pointer file: not UTF-8 text; {fix}") from None
    if not isinstance(document, dict):
        raise InvalidInput(
            f"{source} is not a valid pointer file: expected 'key: value' lines; {fix}"
        )

    def bad(field: str, detail: str) -> InvalidInput:
        return InvalidInput(f"{source}: {field} {detail}; {fix}")

    unknown = set(map(str, document)) - _FIELDS
    if unknown:
        raise bad("field " + repr(sorted(unknown)[0]), "is not a pointer field")
    if document.get("version") != VERSION:
        raise bad("version", f"must be {VERSION}, got {document.get('version')!r}")
    name = document.get("path")
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in (".", ".."):
        raise bad("path", f"must be the name of the file or folder beside it, got {name!r}")
    if "\x00" in name or name.endswith(SUFFIX):
        raise bad("path", f"must not be a pointer or hold NUL, got {name!r}")
    kind = document.get("kind")
    if kind not in KINDS:
        raise bad("kind", f"must be 'file' or 'dir', got {kind!r}")
    raw_hash = document.get("hash")
    try:
        digest = Digest.parse(raw_hash)
    except InvalidInput as exc:
        raise bad("hash", f"is not 'blake3:<64 hex digits>' ({exc})") from None
    if digest.algorithm != HASH_NAME:
        raise bad("hash", f"must be a {HASH_NAME} digest, got {raw_hash!r}")
    size = document.get("size")
    if type(size) is not int or size < 0:
        raise bad("size", f"must be a whole number of bytes >= 0, got {size!r}")
    files = document.get("files")
    if kind == "dir" and (type(files) is not int or files < 0):
        raise bad("files", f"must be the folder's file count (>= 0), got {files!r}")
    if kind == "file" and files is not None:
        raise bad("files", "belongs only in a folder's pointer")
    return Pointer(name, kind, digest.value, size, files)


def read(pointer_file: Path, display: str | None = None) -> Pointer:
    """Read and validate the pointer file at ``pointer_file``."""
    source = display or str(pointer_file)
    try:
        data = pointer_file.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{source} does not exist") from None
    except IsADirectoryError:
        raise InvalidInput(f"{source} is a folder, not a pointer file") from None
    if len(data) > 64 << 10:
        raise InvalidInput(f"{source} is not a valid pointer file: it is {len(data)} bytes long")
    return parse(data, source)


def write(pointer_file: Path, pointer: Pointer) -> None:
    """Write ``pointer`` to ``pointer_file`` atomically."""
    tmp = pointer_file.with_name(f".{pointer_file.name}.{os.urandom(4).hex()}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(pointer.to_text())
        os.replace(tmp, pointer_file)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# One ``key: value`` line whose value YAML reads as the same string or whole number.
_PLAIN_LINE = re.compile(
    r"([a-z]+): (0|[1-9][0-9]{0,18}|[A-Za-z_][A-Za-z0-9_.-]*|blake3:[0-9a-f]{64})"
)
_YAML_WORDS = {"yes", "no", "true", "false", "on", "off", "null"}
# A name YAML writes and reads as it is (the plain value of ``_PLAIN_LINE``).
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def _plain_document(text: str | bytes) -> dict[str, object] | None:
    """The fields of a pointer written the way :meth:`Pointer.to_text` writes it, read
    without loading YAML (it costs start-up time); None when the text needs a YAML parser."""
    try:
        lines = (text.decode() if isinstance(text, bytes) else text).split("\n")
    except UnicodeDecodeError:
        return None
    document: dict[str, object] = {}
    for line in lines:
        if not line or line.startswith("#"):
            continue
        match = _PLAIN_LINE.fullmatch(line)
        if match is None:
            return None
        key, value = match.groups()
        if key in document or value.lower() in _YAML_WORDS:
            return None
        document[key] = int(value) if value[0].isdigit() else value
    return document or None


class _NotYaml(Exception):
    """The text is not YAML; ``line`` (1-based) is where the parser gave up, when known."""

    def __init__(self, line: int | None) -> None:
        super().__init__(line)
        self.line = line


def _yaml_document(text: str | bytes) -> object:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        raise _NotYaml(where.line + 1 if where is not None else None) from None
