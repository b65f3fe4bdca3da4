"""Integrity against a remote: corrupt objects never reach the cache or the workspace, a push
killed with SIGKILL resumes, a remote that refuses writes leaves the local state alone."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import fsspec
import pytest
from fsspec.implementations.local import LocalFileSystem
from tests.cli_support import cairn
from tests.data.test_remote_cli import clone_of, fails, git, ok, tree

from cairn.data.remote_index import RemoteIndex
from cairn.data.remote_layout import RemoteStorage, loose_path, pack_path
from cairn.objects.db import ObjectDB


def _snapshot(root: Path) -> dict[str, Any]:
    """The local state a failed command must not change: workspace, cache, config."""
    cache = root / ".cairn" / "cache"
    return {
        "tree": tree(root / "data") if (root / "data").exists() else {},
        "cache": sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())
        if cache.exists() else [],
        "config": (root / ".cairn" / "config.toml").read_bytes(),
    }  # fmt: skip


def _flip(path: Path, offset: int) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))


def _remote_index(repo: Path) -> RemoteIndex:
    return RemoteIndex(RemoteStorage.open("origin", str(repo.parent / "remote"), repo)).load()


@pytest.fixture
def pushed(cairn_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose data (a folder of small files, one big file) is pushed to
    ``../remote`` and committed."""
    root = cairn_project / "repo"
    (root / "data" / "small").mkdir(parents=True)
    monkeypatch.chdir(root)
    git("init", "-q", "-b", "main", cwd=root)
    for i in range(30):
        (root / "data" / "small" / f"{i}.txt").write_bytes(os.urandom(300))
    (root / "data" / "big.bin").write_bytes(os.urandom(3 << 20))
    ok("data", "add", "data/small", "data/big.bin")
    ok("data", "remote", "add", "origin", "../remote", "--default")
    ok("data", "push")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "v1", cwd=root)
    return root


@pytest.mark.parametrize("where", ["loose", "packed"])
def test_a_flipped_byte_on_the_remote_is_reported_and_the_workspace_is_unchanged(pushed, where):
    index = _remote_index(pushed)
    big = next(o for o, loc in index.locations.items() if loc.pack is None)
    small = next(
        o for o, loc in index.locations.items() if loc.pack is not None and loc.length == 300
    )
    remote = pushed.parent / "remote"
    if where == "loose":
        rel, oid = loose_path(big), big
        _flip(remote / rel, 12345)
    else:
        location = index.locations[small]
        rel, oid = pack_path(location.pack), small
        _flip(remote / rel, location.offset + 5)
    clone = clone_of(pushed)
    (clone / "data").mkdir(exist_ok=True)
    (clone / "data" / "notes.txt").write_text("mine")
    before = _snapshot(clone)
    line = fails("data", "pull")
    assert rel in line and oid in line and "corrupt" in line
    after = _snapshot(clone)
    assert (after["tree"], after["config"]) == (before["tree"], before["config"])  # no checkout
    # the good objects were kept (a later pull need not fetch them again), the bad one not
    cache = ObjectDB(clone / ".cairn" / "cache")
    assert not cache.has(oid)
    assert all(cache.verify(o) for o in cache.iter_oids())
    assert not list((clone / ".cairn" / "cache").rglob("*.tmp"))
    assert "cairn data push --force" in line
    # the repair the message names: push again with --force from a copy with good data
    os.chdir(pushed)
    target = "data/big.bin" if where == "loose" else "data/small"
    repaired = json.loads(ok("data", "push", "--force", target, "--json"))
    assert repaired["pushed"] == (1 if where == "loose" else 30 + 1)  # the files and manifest
    os.chdir(clone)
    (clone / "data" / "notes.txt").unlink()
    ok("data", "pull")
    assert tree(clone / "data") == tree(pushed / "data")


def test_a_truncated_pack_is_reported(pushed):
    index = _remote_index(pushed)
    pack = next(loc.pack for loc in index.locations.values() if loc.pack is not None)
    path = pushed.parent / "remote" / pack_path(pack)
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes()[:-100])
    clone_of(pushed)
    line = fails("data", "fetch")
    assert pack_path(pack) in line and "corrupt" in line


# -- a push killed midway ---------------------------------------------------------------------------

SLOW_PUSH = """
import sys, time
from cairn.data import packs, remote_index
from cairn.data.remote_layout import RemoteStorage

remote_index.FLUSH_OBJECTS = 3      # write an index segment every 3 objects
packs.PACK_TARGET = 8 << 10         # many small packs
for name in ("write", "upload"):
    real = getattr(RemoteStorage, name)
    def slow(self, *args, _real=real):
        time.sleep(0.03)
        return _real(self, *args)
    setattr(RemoteStorage, name, slow)
from cairn.cli import main
main(["data", "push", "-j", "2", "-q"])
"""


def _complete_bytes(remote: Path) -> int:
    """Bytes of objects and packs completely written (temporary files do not count)."""
    loose = sum(p.stat().st_size for p in (remote / "objects").rglob("*")
                if p.is_file() and not p.name.endswith(".tmp"))  # fmt: skip
    packed = sum(p.stat().st_size for p in (remote / "packs").glob("*.pack"))
    return loose + packed


def test_a_push_killed_with_sigkill_resumes_and_sends_only_the_rest(cairn_project, monkeypatch):
    root = cairn_project / "repo"
    (root / "data" / "small").mkdir(parents=True)
    monkeypatch.chdir(root)
    for i in range(150):
        (root / "data" / "small" / f"{i:03d}.txt").write_bytes(os.urandom(1000))
    for i in range(12):
        (root / "data" / f"big{i}.bin").write_bytes(os.urandom((1 << 20) + i))
    ok("data", "add", "data/small", *(f"data/big{i}.bin" for i in range(12)))
    ok("data", "remote", "add", "origin", "../remote", "--default")
    remote = cairn_project / "remote"
    child = subprocess.Popen([sys.executable, "-c", SLOW_PUSH], cwd=root)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            segments = list((remote / "index").glob("*.json")) if remote.exists() else []
            if len(segments) >= 3:
                break
            assert child.poll() is None, "the push ended before it could be killed"
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    total = json.loads(ok("data", "status", "--remote", "--json"))["remote"]
    assert total["objects_to_push"] > 0, "the push finished before the kill"
    complete = _complete_bytes(remote)

    result = json.loads(ok("data", "push", "--json"))
    everything = 150 + 1 + 12
    assert result["pushed"] + result["already_present"] == everything
    assert 0 < result["pushed"] < everything
    # nothing that was completely on the remote was sent again
    assert result["pushed_bytes"] == _complete_bytes(remote) - complete

    status = json.loads(ok("data", "status", "--remote", "--json"))["remote"]
    assert status["in_sync"]
    # the remote is consistent: a fresh clone of the project pulls every byte back
    git("init", "-q", "-b", "main", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "v1", cwd=root)
    clone = clone_of(root)
    ok("data", "pull")
    assert tree(clone / "data") == tree(root / "data")


SLOW_PULL = """
import time
from cairn.data import fetch
from cairn.data.remote_layout import RemoteStorage

fetch.CHECKPOINT_SECONDS = 0        # index the local pack after every ranged read
real = RemoteStorage.read_range
def slow(self, *args):
    time.sleep(0.05)
    return real(self, *args)
RemoteStorage.read_range = slow
from cairn.cli import main
main(["data", "pull", "-j", "1", "-q"])
"""


def test_a_pull_killed_with_sigkill_resumes_and_fetches_only_the_rest(cairn_project, monkeypatch):
    from cairn.data import packs

    root = cairn_project / "repo"
    (root / "data" / "small").mkdir(parents=True)
    monkeypatch.chdir(root)
    git("init", "-q", "-b", "main", cwd=root)
    for i in range(200):
        (root / "data" / "small" / f"{i:03d}.txt").write_bytes(os.urandom(1000))
    ok("data", "add", "data/small")
    ok("data", "remote", "add", "origin", "../remote", "--default")
    monkeypatch.setattr(packs, "PACK_TARGET", 8 << 10)  # many remote packs: many reads
    ok("data", "push")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "v1", cwd=root)
    clone = clone_of(root)
    local_packs = clone / ".cairn" / "cache" / "packs"
    child = subprocess.Popen([sys.executable, "-c", SLOW_PULL], cwd=clone)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if local_packs.exists() and list(local_packs.glob("*.idx")):
                break
            assert child.poll() is None, "the pull ended before it could be killed"
            time.sleep(0.01)
        time.sleep(0.1)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert not (clone / "data" / "small").exists(), "the pull finished before the kill"

    result = json.loads(ok("data", "fetch", "--json"))
    assert result["already_present"] > 1  # the manifest and the files indexed before the kill
    assert result["fetched"] + result["already_present"] == 200 + 1
    assert result["fetched"] > 0
    ok("data", "checkout")
    assert tree(clone / "data") == tree(root / "data")
    cache = ObjectDB(clone / ".cairn" / "cache")
    assert all(cache.verify(oid) for oid in cache.listing().oids)


# -- a remote that refuses writes ---------------------------------------------------------------------


class QuotaFileSystem(LocalFileSystem):
    """A local folder that accepts only ``quota`` more bytes, then fails with ENOSPC."""

    protocol = "quota"
    quota: ClassVar[list[int]] = [0]

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        text = str(path)
        return super()._strip_protocol(
            text[len("quota://") :] if text.startswith("quota://") else text
        )

    def _spend(self, size: int) -> None:
        if size > self.quota[0]:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.quota[0] -= size

    def pipe_file(self, path: str, value: bytes, *args: Any, **kwargs: Any) -> None:
        self._spend(len(value))
        super().pipe_file(path, value, *args, **kwargs)

    def put_file(self, lpath: str, rpath: str, *args: Any, **kwargs: Any) -> None:
        self._spend(os.path.getsize(lpath))
        super().put_file(lpath, rpath, *args, **kwargs)


@pytest.fixture
def quota_fs() -> Any:
    fsspec.register_implementation("quota", QuotaFileSystem, clobber=True)
    yield QuotaFileSystem
    from fsspec.registry import _registry

    _registry.pop("quota", None)


def test_a_full_remote_gives_a_clear_error_and_a_later_push_completes(cairn_project, quota_fs):
    root = cairn_project
    (root / "data").mkdir()
    for i in range(20):
        (root / "data" / f"{i}.bin").write_bytes(os.urandom(2000))
    (root / "big.bin").write_bytes(os.urandom(2 << 20))
    ok("data", "add", "data", "big.bin")
    ok("data", "remote", "add", "full", f"quota://{root.parent / 'quota-remote'}", "--default")
    before = _snapshot(root)
    quota_fs.quota[0] = 50_000  # the small files fit, the 2 MiB file does not
    line = fails("data", "push", "-j", "1")
    assert "the remote is full" in line and "free space and retry" in line
    assert _snapshot(root) == before
    status = json.loads(ok("data", "status", "--remote", "--json"))["remote"]
    assert status["not_on_remote"]  # something is left to push
    quota_fs.quota[0] = 10 << 20  # space was freed
    result = json.loads(ok("data", "push", "--json"))
    assert result["pushed"] >= 1
    assert json.loads(ok("data", "status", "--remote", "--json"))["remote"]["in_sync"]
    assert _snapshot(root) == before


def test_the_cli_error_for_an_unreachable_backend_is_one_line(cairn_project):
    (cairn_project / "f.txt").write_text("x")
    ok("data", "add", "f.txt")
    ok("data", "remote", "add", "h", "hdfs://namenode:8020/data", "--default")
    result = cairn("data", "push")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("Error: ") and "'h'" in errors[0]
