"""Shared helpers of the local data-versioning tests: a real git repository as the working
folder, the ``cairn`` CLI in-process, and byte-level corruption of cache objects."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from cairn.cli import cli


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` and return its stdout (fails the test on an error)."""
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def commit_all(root: Path, message: str) -> None:
    """``git add -A`` and commit."""
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def data_cli(*args: str) -> Result:
    """``cairn data ARGS...`` in-process in the current folder."""
    return CliRunner().invoke(cli, ["data", *args], catch_exceptions=False)


def flip_byte(path: Path, offset: int = 0) -> None:
    """Flip one bit of the (read-only) file at ``path``."""
    path.chmod(0o644)
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))
    path.chmod(0o444)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (paths relative, POSIX)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}  # fmt: skip


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the project except git's and cairn's own (to check nothing changed)."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in (".git", ".cairn") or not path.is_file():
            continue
        found[rel.as_posix()] = path.read_bytes()
    return found


def make_folder(root: Path, files: int = 30, seed: int = 0) -> dict[str, bytes]:
    """A folder ``root`` of small files in two sub-folders; returns what was written."""
    written = {}
    for i in range(files):
        rel = f"{'ab'[i % 2]}/f{i:03d}.bin"
        data = f"{seed}-{i}-".encode() * (i + 1)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        written[rel] = data
    return written


def age(path: Path, seconds: float = 5.0) -> None:
    """Move the mtimes of ``path`` (and everything under it) into the past, as if written a
    while ago (the state index does not trust files modified in the last few ms)."""
    targets = [path, *path.rglob("*")] if path.is_dir() else [path]
    for target in targets:
        st = target.stat()
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))
