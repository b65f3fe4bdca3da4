"""``cairn data ls``: the tracked data with its size, file count and hash; with
``recursive``, the files inside tracked folders (from their manifests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data.pointer import Pointer
from cairn.errors import ObjectMissing

if TYPE_CHECKING:
    from cairn.data.workspace import Workspace


@dataclass
class Listed:
    """One tracked path, and (recursive, folders) its files."""

    path: str
    pointer_path: str
    pointer: Pointer
    files: list[dict[str, Any]] = field(default_factory=list)
    manifest_missing: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        found = {"path": self.path, "pointer": self.pointer_path, **self.pointer.to_dict()}
        if self.files or self.manifest_missing:
            found["entries"] = self.files
            found["manifest_missing"] = self.manifest_missing
        return found


def list_data(
    workspace: Workspace,
    targets: list[str] | None = None,
    *,
    recursive: bool = False,
    cwd: Path | None = None,
) -> list[Listed]:
    """The tracked data under ``targets`` (default: the whole project)."""
    listed = []
    for pointer_path, pointer in workspace.pointers(targets, cwd):
        data = workspace.data_path(pointer_path, pointer)
        item = Listed(workspace.rel(data), workspace.display(pointer_path), pointer)
        if recursive and pointer.is_dir:
            try:
                manifest = workspace.manifest(pointer.oid, item.pointer_path)
            except ObjectMissing:
                item.manifest_missing = True
            else:
                item.files = [
                    {"path": e.path, "hash": f"blake3:{e.oid}", "size": e.size,
                     "executable": e.executable}
                    for e in manifest.entries
                ]  # fmt: skip
        listed.append(item)
    return listed
