"""push / fetch / status against a remote at the workspace level (library API, real files)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cairn.data.add import add
from cairn.data.remotes import add_remote
from cairn.data.sync import fetch, pull, push, status_against_remote
from cairn.data.workspace import Workspace
from cairn.errors import ConfigError, CorruptObject, ObjectMissing


def _make_data(root: Path) -> None:
    (root / "data" / "images" / "a").mkdir(parents=True)
    (root / "data" / "images" / "b").mkdir(parents=True)
    for i in range(40):
        (root / "data" / "images" / ("a" if i % 2 else "b") / f"{i}.bin").write_bytes(
            os.urandom(200 + i)
        )
    (root / "data" / "big.bin").write_bytes(os.urandom(3 << 20))
    (root / "data" / "train.csv").write_text("x,y\n1,2\n")


@pytest.fixture
def origin(cairn_project: Path) -> Workspace:
    """A project with three tracked datasets and a local-folder remote ``../remote`` (beside
    the project, in this test's folder) as its default."""
    root = cairn_project / "origin"
    (root / ".cairn").mkdir(parents=True)
    _make_data(root)
    ws = Workspace.find(root)
    add(ws, ["data/images", "data/big.bin", "data/train.csv"], cwd=root)
    add_remote(ws.root, "origin", "../remote", default=True)
    yield ws
    ws.close()


def _clone(origin: Workspace, where: Path) -> Workspace:
    """What a git clone gives: the pointer files and config.toml, no cache and no data."""
    where.mkdir()
    (where / ".cairn").mkdir()
    shutil.copy(origin.root / ".cairn" / "config.toml", where / ".cairn" / "config.toml")
    for pointer in origin.root.rglob("*.cairn"):
        if ".cairn" in pointer.relative_to(origin.root).parts or not pointer.is_file():
            continue
        target = where / pointer.relative_to(origin.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(pointer, target)
    return Workspace.find(where)


def test_push_then_fetch_into_a_fresh_clone(origin):
    pushed = push(origin)
    assert pushed.pushed == 40 + 1 + 1 + 1  # images, the manifest, big.bin, train.csv
    assert pushed.packs >= 1
    clone = _clone(origin, origin.root.parent / "clone")
    fetched = fetch(clone)
    assert fetched.fetched == 43 and fetched.failed == [] and fetched.absent == []
    assert set(clone.cache.iter_oids()) == set(origin.cache.iter_oids())
    clone.close()


def test_a_push_with_nothing_to_push_is_one_request(origin):
    push(origin)
    again = push(origin)
    # the remote holds the folder's manifest, so its files are not even listed
    assert (again.pushed, again.present, again.requests) == (0, 3, 1)


def test_status_against_the_remote(origin):
    before = status_against_remote(origin, None, origin.pointers())
    assert sorted(before.to_push) == ["data/big.bin", "data/images", "data/train.csv"]
    assert before.objects_to_push == 43 and not before.in_sync
    push(origin, ["data/train.csv"], cwd=origin.root)
    after = status_against_remote(origin, None, origin.pointers())
    assert sorted(after.to_push) == ["data/big.bin", "data/images"]
    push(origin)
    synced = status_against_remote(origin, None, origin.pointers())
    assert synced.in_sync and synced.requests == 1
    clone = _clone(origin, origin.root.parent / "clone")
    remote_only = status_against_remote(clone, "origin", clone.pointers())
    assert sorted(remote_only.to_fetch) == ["data/big.bin", "data/images", "data/train.csv"]
    assert remote_only.objects_to_fetch == 43
    assert remote_only.to_dict()["not_in_cache"] == remote_only.to_fetch
    clone.close()


def test_push_of_some_paths_only(origin):
    result = push(origin, ["data/images"], cwd=origin.root)
    assert result.pushed == 41


def test_data_missing_from_the_cache_is_named_and_the_rest_is_pushed(origin):
    (pointer_file, pointer) = next((f, p) for f, p in origin.pointers() if p.path == "train.csv")
    origin.cache.remove(pointer.oid)
    with pytest.raises(ObjectMissing, match=r"not pushed.*data/train\.csv"):
        push(origin)
    status = status_against_remote(origin, None, origin.pointers())
    assert status.lost == ["data/train.csv"]
    assert status.to_push == []


def test_no_remote_configured_is_a_clear_error(cairn_project):
    (cairn_project / "f.txt").write_text("x")
    ws = Workspace.find(cairn_project)
    add(ws, ["f.txt"], cwd=cairn_project)
    with pytest.raises(ConfigError, match="cairn data remote add NAME URL --default"):
        push(ws)
    ws.close()


def test_fetch_reports_objects_the_remote_lacks(origin):
    clone = _clone(origin, origin.root.parent / "clone")
    with pytest.raises(ObjectMissing, match="not on data remote 'origin'"):
        fetch(clone)
    clone.close()


def _tree(root: Path) -> dict[str, bytes]:
    data = root / "data"
    return {p.relative_to(data).as_posix(): p.read_bytes() for p in data.rglob("*") if p.is_file()
            and not p.name.endswith(".cairn") and p.name != ".gitignore"}  # fmt: skip


def test_pull_brings_the_workspace_back(origin):
    push(origin)
    clone = _clone(origin, origin.root.parent / "clone")
    fetched, report = pull(clone)
    assert fetched.fetched == 43
    assert len(report.written) == 42
    assert _tree(clone.root) == _tree(origin.root)
    again, report = pull(clone)
    assert again.fetched == 0 and report.written == []
    clone.close()


def _flip_packed_byte(origin: Workspace, oid: str) -> None:
    from cairn.data.remote_index import RemoteIndex
    from cairn.data.remote_layout import pack_path
    from cairn.data.remotes import open_remote

    storage = open_remote(origin.root)
    where = RemoteIndex(storage).load().locations[oid]
    path = Path(storage.root) / pack_path(where.pack)
    data = bytearray(path.read_bytes())
    data[where.offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_corrupt_remote_object_stops_pull_before_the_workspace_changes(origin):
    push(origin)
    csv = next(p for _, p in origin.pointers() if p.path == "train.csv")
    _flip_packed_byte(origin, csv.oid)
    clone = _clone(origin, origin.root.parent / "clone")
    (clone.root / "data" / "train.csv").write_text("local edit\n")
    with pytest.raises(
        CorruptObject, match=r"packs/.*\.pack \(bytes .*is corrupt.*cairn data push --force"
    ):
        pull(clone, force=True)
    assert (clone.root / "data" / "train.csv").read_text() == "local edit\n"
    assert not (clone.root / "data" / "images").exists()
    assert not clone.cache.has(csv.oid)
    clone.close()


def test_a_corrupt_big_remote_object_is_named_and_not_stored(origin):
    push(origin)
    big = next(p for _, p in origin.pointers() if p.path == "big.bin")
    loose = origin.root.parent / "remote" / "objects" / big.oid[:2] / big.oid[2:]
    data = bytearray(loose.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte off (hashed while it is copied)
    os.chmod(loose, 0o644)
    loose.write_bytes(bytes(data))
    clone = _clone(origin, origin.root.parent / "clone")
    with pytest.raises(CorruptObject, match=f"object {big.oid} at .*objects/.* is corrupt"):
        pull(clone)
    assert not clone.cache.has(big.oid)
    assert not (clone.root / "data" / "big.bin").exists()
    assert list((clone.cache.root / "tmp").iterdir()) == []
    clone.close()


def test_a_corrupt_big_cache_object_is_not_pushed(origin):
    big = next(p for _, p in origin.pointers() if p.path == "big.bin")
    path = origin.cache.path_of(big.oid)
    os.chmod(path, 0o644)
    with open(path, "r+b") as handle:  # one flipped byte, same size
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(CorruptObject, match=f"cache object .*{big.oid[2:]}.* is corrupt"):
        push(origin, ["data/big.bin"], cwd=origin.root)
    remote = origin.root.parent / "remote"
    assert [p for p in remote.rglob("*") if p.is_file()] == []  # not even a segment
