"""`cairn data gc`: keep what the workspace (or any commit) references, delete the rest."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest
from data_helpers import age, commit_all, data_cli, git, make_folder, tree

from cairn.data.add import add
from cairn.data.checkout import checkout
from cairn.data.gc import collect
from cairn.data.pointer import parse, read
from cairn.errors import InvalidState
from cairn.objects import hash_bytes


@pytest.fixture
def two_versions(repo, ws):
    make_folder(repo / "data", files=6)
    add(ws, ["data"])
    commit_all(repo, "v1")
    git(repo, "tag", "v1")
    v1 = tree(repo / "data")
    (repo / "data" / "a" / "f000.bin").write_bytes(b"v2 only")
    add(ws, ["data"])
    commit_all(repo, "v2")
    return v1


def test_workspace_gc_deletes_old_versions(repo, ws, two_versions):
    old_object = hash_bytes(two_versions["a/f000.bin"])
    assert ws.cache.has(old_object)
    dry = collect(ws, dry_run=True)
    assert old_object in dry.removed and ws.cache.has(old_object)
    report = collect(ws)
    assert set(report.removed) == set(dry.removed) and len(report.removed) == 2  # file + manifest
    assert not ws.cache.has(old_object) and report.freed_bytes > 0
    assert collect(ws).removed == []
    from cairn.data.status import status

    assert status(ws).clean  # everything the workspace needs is still there


def test_all_commits_keeps_history(repo, ws, two_versions):
    assert collect(ws, all_commits=True).removed == []
    git(repo, "checkout", "-q", "v1")
    checkout(ws)
    assert tree(repo / "data") == two_versions


def test_a_missing_manifest_stops_gc_unless_forced(repo, ws, two_versions):
    ws.cache.remove(read(repo / "data.cairn").oid)
    with pytest.raises(InvalidState, match="cannot tell which objects it needs"):
        collect(ws)
    assert collect(ws, force=True).removed


def test_stale_temporaries_are_removed(repo, ws, two_versions):
    stale = ws.cache.root / "tmp" / "interrupted.tmp"
    stale.parent.mkdir(exist_ok=True)
    stale.write_bytes(b"half")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    fresh = ws.cache.root / "tmp" / "in-progress.tmp"
    fresh.write_bytes(b"now")
    assert collect(ws).temporaries == 1
    assert not stale.exists() and fresh.exists()


def test_cli_gc(repo, ws, two_versions):
    dry = data_cli("gc", "--dry-run")
    assert dry.exit_code == 0 and dry.stdout.startswith("Would delete 2 unreferenced object(s)")
    kept = json.loads(data_cli("gc", "--all-commits", "--json").stdout)
    assert kept["removed_objects"] == 0
    done = data_cli("gc")
    assert done.exit_code == 0 and done.stdout.startswith("Deleted 2 unreferenced object(s)")


def test_gc_forgets_only_the_folder_matches_of_manifests_it_did_not_keep(repo, ws, two_versions):
    from cairn.data.status import status

    age(repo / "data")
    assert status(ws).clean  # records the match and tree of data's current version
    assert ws.state.folder_match("data") is not None and ws.state.tree("data") is not None
    current = read(repo / "data.cairn").oid
    v1 = git(repo, "show", "v1:data.cairn")
    old = parse(v1.encode(), "v1 pointer").oid
    ws.state.record_folder("elsewhere", "fingerprint", old)
    report = collect(ws)
    assert old in report.removed
    assert ws.state.folder_match("elsewhere") is None  # its manifest is gone
    assert ws.state.folder_match("data")[1] == current  # all of its objects were kept
    assert ws.state.tree("data").oid == current  # so the next status need not rescan


def test_a_forced_gc_forgets_the_match_of_a_missing_manifest(repo, ws, two_versions):
    from cairn.data.status import status

    age(repo / "data")
    assert status(ws).clean
    assert ws.state.folder_match("data") is not None and ws.state.tree("data") is not None
    ws.cache.remove(read(repo / "data.cairn").oid)
    collect(ws, force=True)
    assert ws.state.folder_match("data") is None and ws.state.tree("data") is None


def test_gc_reads_a_folder_from_the_state_index_or_its_manifest_alike(repo, ws, two_versions):
    from cairn.data.workspace import Workspace
    from cairn.objects.manifest import Manifest

    pointer = read(repo / "data.cairn")
    listed = Manifest.from_bytes(ws.cache.read_bytes(pointer.oid)).oids()
    assert ws.state.manifest_oids(pointer.oid) == listed  # recorded by add
    recorded = collect(ws, dry_run=True)
    [old_manifest] = [oid for oid in recorded.removed if ws.state.manifest_oids(oid)]  # v1's
    db = ws.state._connect()
    db.execute("DELETE FROM manifests")
    fresh = Workspace.find(repo)
    assert collect(fresh, dry_run=True).removed == recorded.removed  # decoded instead,
    assert fresh.state.manifest_oids(pointer.oid) == listed  # and recorded again
    fresh.close()
    db.execute("UPDATE manifests SET oids = x'0102' WHERE oid = ?", (pointer.oid,))
    assert ws.state.manifest_oids(pointer.oid) is None  # a damaged row is not trusted
    assert collect(ws, dry_run=True).removed == recorded.removed
    ws.state.record_manifest_oids(old_manifest, ["ab" * 32])
    collect(ws)
    assert ws.state.manifest_oids(old_manifest) is None  # gone with its manifest
    shutil.rmtree(repo / "data")
    checkout(ws)  # everything v2 needs was kept
    assert tree(repo / "data") == {**two_versions, "a/f000.bin": b"v2 only"}
