"""The checks ``cairn data add`` makes on every target before anything is written: inside
the project, not ``.cairn/`` or ``.git``, not a pointer, not inside or around data tracked
already, not tracked by git, only regular files and folders."""

from __future__ import annotations

import os
import stat as stat_module
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data.pointer import SUFFIX, is_pointer_path, pointer_path_for
from cairn.data.walk import Rows, Scan, scan_folder, scan_rows
from cairn.errors import InvalidInput, InvalidPath, NotFound

if TYPE_CHECKING:
    from cairn.data.workspace import Workspace

__all__ = ["Target", "check_targets", "refuse_odd_contents"]


@dataclass
class Target:
    """A file or folder about to be stored, as checked (a folder with its listing)."""

    path: Path
    rel: str
    is_dir: bool
    scan: Scan | None = None
    rows: Rows | None = None  # a folder's listing before it is decoded into ``scan``
    stat: os.stat_result | None = None
    observed_at_ns: int = 0


def check_targets(workspace: Workspace, targets: list[Any], cwd: Path | None) -> list[Target]:
    from cairn.data.git import tracked_by_git

    seen: dict[Path, Target] = {}
    for raw in targets:
        path = workspace.absolute(raw, cwd)
        if path == workspace.root:
            raise InvalidPath("cannot track the project root itself; add the folders inside it")
        if path in seen:
            continue
        if is_pointer_path(path):
            raise InvalidInput(
                f"{raw} is a pointer file; add the data it stands for: "
                f"`cairn data add {str(raw)[: -len(SUFFIX)]}`"
            )
        _refuse_inside_tracked(workspace, path, raw)
        observed = time.time_ns()
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise NotFound(f"{raw} does not exist") from None
        if path.is_symlink() and not _points_into(path, workspace.cache.root):
            raise InvalidInput(f"{raw} is a symbolic link; add the file or folder it points to")
        if stat_module.S_ISDIR(st.st_mode):
            # A folder added before is compared with its last listing from the rows alone; a
            # new one needs every file decoded anyway, which the scan does in one pass.
            if pointer_path_for(path).is_file():
                target = Target(path, workspace.rel(path), True, rows=scan_rows(path))
            else:
                target = Target(path, workspace.rel(path), True, scan=scan_folder(path))
            refuse_odd_contents(workspace, target, raw)
        elif stat_module.S_ISREG(st.st_mode):
            target = Target(path, workspace.rel(path), False, stat=st, observed_at_ns=observed)
        else:
            raise InvalidInput(f"{raw} is neither a regular file nor a folder")
        for other in seen.values():
            if other.path in path.parents or path in other.path.parents:
                raise InvalidInput(
                    f"{raw} and {workspace.display(other.path)} overlap; add one of them"
                )
        seen[path] = target
    in_git = tracked_by_git(workspace.root, [t.rel for t in seen.values()])
    if in_git:
        raise InvalidInput(
            f"{in_git[0]} is tracked by git already; stop tracking it there first "
            f"(`git rm -r --cached {in_git[0]}`), then add it"
        )
    return list(seen.values())


def _points_into(path: Path, folder: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(folder.resolve())


def _refuse_inside_tracked(workspace: Workspace, path: Path, raw: Any) -> None:
    for folder in path.parents:
        if folder == workspace.root or workspace.root not in folder.parents:
            break
        owner = pointer_path_for(folder)
        if owner.is_file():
            rel = workspace.display(folder)
            raise InvalidInput(
                f"{raw} is inside {rel}, which {rel}{SUFFIX} tracks already; "
                f"run `cairn data commit {rel}` to record changes inside it"
            )


def refuse_odd_contents(workspace: Workspace, target: Target, raw: Any) -> None:
    if target.rows is not None and SUFFIX.encode() + b"\0" in target.rows.record:
        target.scan = target.rows.to_scan()  # perhaps a nested pointer: look at each path
    nested = sorted(rel for rel in target.scan.files if rel.endswith(SUFFIX)) if target.scan else []
    if nested:
        raise InvalidInput(
            f"{raw} holds the pointer file {raw}/{nested[0]}: data tracked on its own cannot be "
            "tracked again as part of a folder; remove that pointer or add the folders separately"
        )
    odd = target.rows.odd if target.rows is not None else target.scan.odd if target.scan else []
    if odd:
        raise InvalidInput(
            f"{raw}/{sorted(odd)[0]} is not a regular file (a link to a folder, a "
            "dangling link, a socket or a pipe); remove it or move it out of the folder"
        )
