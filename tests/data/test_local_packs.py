"""Local packs end to end: a folder of many small files is stored as one pack, read back by
status, checkout, push and pull, repacked by gc; a corrupt packed object is named, dropped
and stored again by the next add; an interrupted pack is invisible and gc deletes it."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from data_helpers import age, commit_all, data_cli, flip_byte, make_folder, tree

from cairn.data.add import add
from cairn.data.checkout import checkout
from cairn.data.gc import collect
from cairn.data.pointer import read
from cairn.data.remote_index import RemoteIndex
from cairn.data.remote_layout import RemoteStorage, pack_path
from cairn.data.remotes import add_remote
from cairn.data.status import status
from cairn.data.sync import pull, push
from cairn.data.workspace import Workspace
from cairn.objects.local_packs import INDEX_SUFFIX, PACK_SUFFIX
from cairn.objects.manifest import Manifest
from cairn.objects.pack_writer import PACK_FROM

FILES = PACK_FROM + 22  # enough small files for add to pack them


def _packs(ws: Workspace) -> list[str]:
    return sorted(p.name for p in ws.cache.packs.folder.glob(f"*{PACK_SUFFIX}"))


def _loose_small(ws: Workspace) -> list[Path]:
    return [p for p in ws.cache.root.glob("??/*") if p.stat().st_size < 1 << 20]


def _manifest(ws: Workspace, repo: Path) -> Manifest:
    return Manifest.from_bytes(ws.cache.read_bytes(read(repo / "data.cairn").oid))


@pytest.fixture
def packed(repo: Path, ws: Workspace) -> dict[str, bytes]:
    """``data/`` with FILES small files, added (into one pack) and committed."""
    written = make_folder(repo / "data", files=FILES, seed=3)
    add(ws, ["data"])
    commit_all(repo, "data")
    return written


def test_a_folder_of_many_small_files_is_one_pack(repo, ws, packed):
    assert len(_packs(ws)) == 1
    assert _loose_small(ws) == [ws.cache.path_of(read(repo / "data.cairn").oid)]  # manifest
    manifest = _manifest(ws, repo)
    assert all(ws.cache.packed(oid) is not None for oid in manifest.oids_)
    assert ws.cache.read_many(list(manifest.oids_)) == [packed[path] for path in manifest.paths]
    assert status(ws).clean


def test_checkout_copies_packed_objects_out(repo, ws, packed):
    shutil.rmtree(repo / "data")
    assert data_cli("checkout").exit_code == 0
    assert tree(repo / "data") == packed
    assert status(ws).clean


def test_a_symlinked_checkout_of_packed_data_links_loose_copies(repo, ws, packed):
    shutil.rmtree(repo / "data")
    checkout(ws, link="symlink")
    target = repo / "data" / "a" / "f000.bin"
    assert target.is_symlink() and target.read_bytes() == packed["a/f000.bin"]
    assert Path(os.readlink(target)).is_relative_to(ws.cache.root)


def test_push_and_pull_of_packed_data(repo, ws, packed, tmp_path):
    add_remote(ws.root, "origin", str(tmp_path / "remote"), default=True)
    assert push(ws).pushed == FILES + 1
    shutil.rmtree(ws.cache.root)
    shutil.rmtree(repo / "data")
    ws.close()
    fresh = Workspace.find(repo)
    fetched, _ = pull(fresh)
    assert fetched.fetched == FILES + 1
    assert tree(repo / "data") == packed
    # the fetched small files went into one local pack, not a file each
    assert len(_packs(fresh)) == 1
    assert _loose_small(fresh) == [fresh.cache.path_of(read(repo / "data.cairn").oid)]
    assert status(fresh).clean
    fresh.close()


def test_a_corrupt_remote_object_fetched_into_a_pack_is_named_and_left_out(
    repo, ws, packed, tmp_path
):
    add_remote(ws.root, "origin", str(tmp_path / "remote"), default=True)
    push(ws)
    manifest = _manifest(ws, repo)
    victim = manifest.by_path()["b/f007.bin"].oid
    index = RemoteIndex(RemoteStorage.open("origin", str(tmp_path / "remote"), repo)).load()
    where = index.locations[victim]
    flip_byte(tmp_path / "remote" / pack_path(where.pack), where.offset + 2)
    shutil.rmtree(ws.cache.root)
    shutil.rmtree(repo / "data")
    ws.close()
    result = data_cli("pull")
    assert result.exit_code == 1
    assert victim in result.stderr and pack_path(where.pack) in result.stderr
    assert "corrupt" in result.stderr
    assert not (repo / "data").exists()  # nothing checked out
    again = Workspace.find(repo)
    assert not again.cache.has(victim)
    others = [oid for oid in manifest.oids_ if oid != victim]
    assert again.cache.present(others) == set(others)
    assert all(again.cache.verify(oid) for oid in others)
    again.close()


def test_gc_repacks_without_what_nothing_uses(repo, ws, packed):
    (repo / "data" / "a" / "f000.bin").write_bytes(b"v2")
    add(ws, ["data"])
    old = _packs(ws)
    gone = collect(ws)
    assert len(gone.removed) == 2  # the old f000.bin and the old manifest
    assert _packs(ws) and _packs(ws) != old  # the live objects moved to a new pack
    shutil.rmtree(repo / "data")
    checkout(ws)
    assert tree(repo / "data") == {**packed, "a/f000.bin": b"v2"}


def test_a_corrupt_packed_object_is_named_dropped_and_stored_again(repo, ws, packed):
    manifest = _manifest(ws, repo)
    victim = manifest.by_path()["a/f004.bin"].oid
    where = ws.cache.packed(victim)
    with open(where.pack, "r+b") as handle:
        os.chmod(where.pack, 0o644)
        handle.seek(where.offset + 1)
        byte = handle.read(1)
        handle.seek(where.offset + 1)
        handle.write(bytes([byte[0] ^ 1]))
    (repo / "data" / "a" / "f004.bin").unlink()
    (repo / "data" / "b" / "f005.bin").unlink()
    result = data_cli("checkout")
    assert result.exit_code == 1
    assert f"bytes {where.offset}-{where.offset + where.size} of {where.pack}" in result.stderr
    assert "dropped from the cache" in result.stderr
    assert not (repo / "data" / "a" / "f004.bin").exists()  # never reached the workspace
    assert (repo / "data" / "b" / "f005.bin").exists()  # the others were restored
    ws.close()
    again = Workspace.find(repo)
    assert not again.cache.has(victim)  # dropped: it counts as absent
    (repo / "data" / "a" / "f004.bin").write_bytes(packed["a/f004.bin"])
    add(again, ["data"])  # re-adding the data stores it again
    assert again.cache.has(victim) and again.cache.verify(victim)
    collect(again)  # and gc's repack drops the bad bytes
    assert not again.cache.packs.dropped()
    shutil.rmtree(repo / "data")
    checkout(again)
    assert tree(repo / "data") == packed
    again.close()


def test_an_interrupted_pack_is_invisible_and_gc_deletes_it(repo, ws, packed):
    folder = ws.cache.packs.folder
    orphan = folder / f"0-interrupted{PACK_SUFFIX}"
    orphan.write_bytes(b"half a pack")
    assert data_cli("status").exit_code == 0
    collect(ws)
    assert orphan.exists()  # too young: perhaps a pack being written right now
    old = time.time() - 2 * 3600
    os.utime(orphan, (old, old))
    report = collect(ws)
    assert not orphan.exists() and report.temporaries == 1
    assert len(list(folder.glob(f"*{INDEX_SUFFIX}"))) == 1


def test_a_hardlinked_add_stores_loose_objects(repo, ws):
    make_folder(repo / "data", files=FILES)
    age(repo / "data")
    add(ws, ["data"], link="hardlink")
    assert _packs(ws) == []
    assert (repo / "data" / "a" / "f000.bin").stat().st_nlink == 2
