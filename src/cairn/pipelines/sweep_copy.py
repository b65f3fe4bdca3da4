"""An isolated copy of a project for one sweep combination, under ``.cairn/sweeps/``.

The copy holds the project's files as git sees them (tracked, or untracked and not ignored;
every file but ``.cairn/`` when the project is not a git work tree), its data (pointer and
``cairn.lock`` outs) checked out from the project's cache, and its own ``params.yaml`` with
the combination written in. ``.cairn/cache`` and ``.cairn/runcache`` are links to the
project's, so data is stored once and a combination that ran before is restored instead of
run again; remotes are the project's, folder URLs made absolute. The user's workspace is
only read.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import yaml

from cairn.config import CAIRN_DIR
from cairn.data import git
from cairn.data.remote_layout import RemoteStorage, scheme_of
from cairn.data.remotes import add_remote, config_path, list_remotes
from cairn.pipelines.params import read_params, with_overrides

SWEEPS_DIR = "sweeps"
_SHARED = ("cache", "runcache")
_NEVER = {CAIRN_DIR, ".git"}


def project_files(root: Path) -> list[str]:
    """The files of the project a copy gets (root-relative POSIX paths), data left out."""
    listed = git.listed_files(root)
    if listed is not None:
        return [rel for rel in listed if not rel.startswith(f"{CAIRN_DIR}/")]
    from cairn.data.workspace import Workspace

    workspace = Workspace(root)
    try:
        data = {workspace.rel(workspace.data_path(f, p)) for f, p in workspace.pointers()}
    finally:
        workspace.close()
    found = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        prefix = "" if base == "." else f"{base}/"
        dirs[:] = [d for d in dirs if d not in _NEVER and f"{prefix}{d}" not in data]
        found += [f"{prefix}{name}" for name in files if f"{prefix}{name}" not in data]
    return sorted(found)


def make_copy(
    root: Path,
    dest: Path,
    files: list[str],
    combination: Mapping[str, object],
    params_file: str,
) -> Path:
    """Build the copy at ``dest`` (see the module docstring) and return it."""
    dest.mkdir(parents=True)
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target, follow_symlinks=True)
    cairn_dir = dest / CAIRN_DIR
    cairn_dir.mkdir(exist_ok=True)
    for name in _SHARED:
        shared = root / CAIRN_DIR / name
        shared.mkdir(parents=True, exist_ok=True)
        (cairn_dir / name).symlink_to(shared, target_is_directory=True)
    _copy_remotes(root, dest)
    _checkout(dest)
    params = with_overrides(read_params(dest, params_file), combination)
    (dest / params_file).write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return dest


def _copy_remotes(root: Path, dest: Path) -> None:
    """The project's data remotes, a folder's URL made absolute (it was relative to root)."""
    if config_path(root).is_file():
        shutil.copyfile(config_path(root), config_path(dest))
    for remote in list_remotes(root):
        if scheme_of(remote.url) == "file":
            url = RemoteStorage.open(remote.name, remote.url, root).url
            add_remote(dest, remote.name, url, default=remote.default, force=True)


def _checkout(dest: Path) -> None:
    """Place the copy's data from the shared cache; data the cache lacks stays absent (the
    stages producing it then run, or a stage needing it fails saying what is missing)."""
    from cairn.data.checkout import checkout
    from cairn.data.workspace import Workspace

    workspace = Workspace(dest)
    try:
        checkout(workspace, force=True)  # failures are reported, not raised
    finally:
        workspace.close()
