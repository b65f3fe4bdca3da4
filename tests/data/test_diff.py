"""`cairn data diff` between git revisions and the workspace, reading pointers from git."""

from __future__ import annotations

import json

import pytest
from data_helpers import commit_all, data_cli, git, make_folder

from cairn.data.add import add
from cairn.data.diff import diff
from cairn.data.pointer import read
from cairn.errors import InvalidInput, NotFound, ObjectMissing


@pytest.fixture
def history(repo, ws):
    make_folder(repo / "data", files=10)
    (repo / "model.bin").write_bytes(b"m1")
    add(ws, ["data", "model.bin"])
    commit_all(repo, "v1")
    git(repo, "tag", "v1")
    (repo / "data" / "a" / "f000.bin").write_bytes(b"edited")
    (repo / "data" / "b" / "f001.bin").unlink()
    (repo / "data" / "z.bin").write_bytes(b"new")
    (repo / "extra.txt").write_text("later")
    add(ws, ["data", "extra.txt"])
    commit_all(repo, "v2")
    git(repo, "tag", "v2")
    return repo


def _paths(changes):
    return [c.path for c in changes]


def test_between_two_revisions(ws, history):
    report = diff(ws, "v1", "v2")
    assert _paths(report.added) == ["data/z.bin", "extra.txt"]
    assert _paths(report.modified) == ["data/a/f000.bin"]
    assert _paths(report.deleted) == ["data/b/f001.bin"]
    reverse = diff(ws, "v2", "v1")
    assert _paths(reverse.added) == ["data/b/f001.bin"]
    assert _paths(reverse.deleted) == ["data/z.bin", "extra.txt"]


def test_head_against_the_workspace(repo, ws, history):
    assert diff(ws).empty
    (repo / "data" / "a" / "f002.bin").write_bytes(b"uncommitted")
    (repo / "model.bin").write_bytes(b"m2")
    report = diff(ws)
    assert (report.old, report.new) == ("HEAD", "workspace")
    assert _paths(report.modified) == ["data/a/f002.bin", "model.bin"]


def test_targets_narrow_the_diff(ws, history):
    assert _paths(diff(ws, "v1", "v2", targets=["data"]).added) == ["data/z.bin"]
    inside = diff(ws, "v1", "v2", targets=["data/b"])
    assert _paths(inside.deleted) == ["data/b/f001.bin"] and not inside.added
    with pytest.raises(NotFound, match="no data is tracked at nothing in v1 or v2"):
        diff(ws, "v1", "v2", targets=["nothing"])


def test_unknown_revision_and_missing_manifest(repo, ws, history):
    with pytest.raises(NotFound, match="git revision 'v9' does not exist"):
        diff(ws, "v9")
    with pytest.raises(InvalidInput, match="not a git revision"):
        diff(ws, "--all")
    old_manifest = read(repo / "data.cairn").oid
    git(repo, "checkout", "-q", "v1")
    v1_manifest = read(repo / "data.cairn").oid
    git(repo, "checkout", "-q", "main")
    ws.cache.remove(v1_manifest)
    with pytest.raises(ObjectMissing, match="cairn data fetch --rev v1"):
        diff(ws, "v1", "v2")
    assert ws.cache.has(old_manifest)


def test_a_broken_pointer_in_history_names_file_and_revision(repo, ws, history):
    (repo / "data.cairn").write_text("version: 7\n")
    commit_all(repo, "broken")
    with pytest.raises(InvalidInput, match="data.cairn at HEAD: version must be 1"):
        diff(ws, "HEAD", "v1")


def test_not_a_git_repository(cairn_project):
    from cairn.data.workspace import Workspace

    workspace = Workspace.find(cairn_project)
    with pytest.raises(InvalidInput, match="not a git repository"):
        diff(workspace)


def test_cli_diff_text_and_json(ws, history):
    result = data_cli("diff", "v1", "v2")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "added     data/z.bin" in lines and "deleted   data/b/f001.bin" in lines
    found = json.loads(data_cli("diff", "v1", "v2", "--json").stdout)
    assert [c["path"] for c in found["modified"]] == ["data/a/f000.bin"]
    assert found["modified"][0]["new_hash"].startswith("blake3:")
    assert "No data changed" in data_cli("diff").stdout
    bad = data_cli("diff", "nope")
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: git revision 'nope' does not exist")
