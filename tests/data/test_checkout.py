"""`cairn data checkout` after `git checkout`: restore, delete extras, refuse to lose work,
never materialise a corrupt object."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from data_helpers import commit_all, data_cli, flip_byte, git, make_folder, tree

from cairn.data.add import add
from cairn.data.checkout import checkout
from cairn.data.pointer import read
from cairn.data.status import status
from cairn.errors import InvalidState
from cairn.objects import Manifest


@pytest.fixture
def versions(repo, ws):
    """Two committed versions of a folder and a file: tags v1 and v2."""
    v1 = make_folder(repo / "data", files=20, seed=1)
    (repo / "model.bin").write_bytes(b"model v1")
    add(ws, ["data", "model.bin"])
    commit_all(repo, "v1")
    git(repo, "tag", "v1")
    (repo / "data" / "a" / "f000.bin").write_bytes(b"changed in v2")
    (repo / "data" / "b" / "f001.bin").unlink()
    (repo / "data" / "c").mkdir()
    (repo / "data" / "c" / "new.bin").write_bytes(b"new in v2")
    (repo / "model.bin").write_bytes(b"model v2")
    add(ws, ["data", "model.bin"])
    commit_all(repo, "v2")
    git(repo, "tag", "v2")
    v2 = tree(repo / "data")
    return v1, v2


def test_git_checkout_then_data_checkout_switches_versions(repo, ws, versions):
    v1, v2 = versions
    git(repo, "checkout", "-q", "v1")
    report = checkout(ws)
    assert tree(repo / "data") == v1 and (repo / "model.bin").read_bytes() == b"model v1"
    assert not (repo / "data" / "c").exists()  # emptied folders go too
    assert "data/c/new.bin" in report.deleted and not report.failures
    assert status(ws).clean
    git(repo, "checkout", "-q", "v2")
    checkout(ws)
    assert tree(repo / "data") == v2 and (repo / "model.bin").read_bytes() == b"model v2"
    again = checkout(ws)
    assert again.written == [] and again.deleted == [] and again.unchanged == 21


def test_restores_deleted_data_and_only_named_targets(repo, ws, versions):
    shutil.rmtree(repo / "data")
    (repo / "model.bin").unlink()
    checkout(ws, ["model.bin"])
    assert (repo / "model.bin").exists() and not (repo / "data").exists()
    checkout(ws, ["data.cairn"])
    assert tree(repo / "data") == versions[1]


def test_refuses_to_discard_uncommitted_edits_unless_forced(repo, ws, versions):
    (repo / "data" / "a" / "f002.bin").write_bytes(b"precious uncommitted work")
    (repo / "data" / "extra.bin").write_bytes(b"also uncommitted")
    git(repo, "checkout", "-q", "v1")
    before = tree(repo / "data")
    with pytest.raises(InvalidState, match="uncommitted changes to data/a/f002.bin") as caught:
        checkout(ws)
    assert "--force" in str(caught.value) and "\n" not in str(caught.value)
    assert tree(repo / "data") == before  # nothing changed
    checkout(ws, force=True)
    assert tree(repo / "data") == versions[0]


def test_edits_whose_content_is_in_the_cache_are_replaced_without_force(repo, ws, versions):
    # the v2 workspace differs from v1, but every v2 file is in the cache: nothing is lost
    git(repo, "checkout", "-q", "v1")
    checkout(ws)
    assert tree(repo / "data") == versions[0]


def test_a_corrupt_cache_object_is_reported_with_its_path_and_not_materialised(repo, ws, versions):
    manifest = Manifest.from_bytes(ws.cache.read_bytes(read(repo / "data.cairn").oid))
    victim = manifest.by_path()["a/f004.bin"]
    flip_byte(ws.cache.path_of(victim.oid), offset=3)
    (repo / "data" / "a" / "f004.bin").unlink()
    (repo / "data" / "b" / "f005.bin").unlink()
    result = data_cli("checkout")
    assert result.exit_code == 1
    assert str(ws.cache.path_of(victim.oid)) in result.stderr and "corrupt" in result.stderr
    assert not (repo / "data" / "a" / "f004.bin").exists()  # never reached the workspace
    assert (repo / "data" / "b" / "f005.bin").exists()  # the others were still restored
    assert not list((repo / "data").rglob("*cairn-tmp"))


def test_a_corrupt_big_object_with_hardlinks(repo, ws):
    (repo / "big.bin").write_bytes(os.urandom(5 << 20))
    add(ws, ["big.bin"])
    oid = read(repo / "big.bin.cairn").oid
    flip_byte(ws.cache.path_of(oid), offset=4 << 20)
    (repo / "big.bin").unlink()
    report = checkout(ws, link="hardlink")
    assert report.failures and str(ws.cache.path_of(oid)) in report.failures[0][1]
    assert not (repo / "big.bin").exists()


def test_a_missing_manifest_says_to_fetch(repo, ws, versions):
    ws.cache.remove(read(repo / "data.cairn").oid)
    result = data_cli("checkout", "data")
    assert result.exit_code == 1 and "cairn data fetch" in result.stderr


@pytest.mark.parametrize("link", ["copy", "hardlink", "symlink"])
def test_link_types(repo, ws, versions, link):
    shutil.rmtree(repo / "data")
    checkout(ws, ["data"], link=link)
    assert tree(repo / "data") == versions[1]
    sample = repo / "data" / "a" / "f002.bin"
    assert sample.is_symlink() == (link == "symlink")
    assert status(ws, ["data"]).clean


def test_file_and_folder_swapping_places(repo, ws):
    (repo / "thing").mkdir()
    (repo / "thing" / "inner.txt").write_text("inside")
    add(ws, ["thing"])
    commit_all(repo, "thing is a folder")
    git(repo, "tag", "folder")
    shutil.rmtree(repo / "thing")
    (repo / "thing").write_text("now a file")
    add(ws, ["thing"])
    commit_all(repo, "thing is a file")
    git(repo, "checkout", "-q", "folder")
    checkout(ws)
    assert (repo / "thing" / "inner.txt").read_text() == "inside"
    git(repo, "checkout", "-q", "main")
    checkout(ws)
    assert (repo / "thing").read_text() == "now a file"


def test_executable_bits_are_restored(repo, ws):
    (repo / "tools").mkdir()
    (repo / "tools" / "run.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(repo / "tools" / "run.sh", 0o755)
    add(ws, ["tools"])
    shutil.rmtree(repo / "tools")
    checkout(ws)
    assert os.access(repo / "tools" / "run.sh", os.X_OK)


def test_cli_checkout_messages_and_json(repo, ws, versions):
    result = data_cli("checkout")
    assert result.exit_code == 0 and "matches the pointers already" in result.stdout
    git(repo, "checkout", "-q", "v1")
    found = json.loads(data_cli("checkout", "--json").stdout)
    assert "data/c/new.bin" in found["deleted"] and found["failures"] == []
    (repo / "model.bin").write_bytes(b"unsaved")
    refused = data_cli("checkout", "model.bin")
    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert data_cli("checkout", "--force", "model.bin").exit_code == 0
    assert (repo / "model.bin").read_bytes() == b"model v1"
