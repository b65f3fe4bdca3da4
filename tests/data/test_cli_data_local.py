"""The local `cairn data` commands driven as a user would, in a real git repository, with the
installed `cairn` script for the whole round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from data_helpers import commit_all, data_cli, git, make_folder, tree

from cairn.data.add import add

CAIRN = str(Path(sys.executable).parent / "cairn")


def _cairn(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CAIRN, "data", *args], cwd=root, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


@pytest.mark.slow
def test_round_trip_with_the_installed_script(repo):
    original = make_folder(repo / "images", files=40)
    (repo / "labels.csv").write_text("id,label\n1,cat\n")
    assert _cairn(repo, "add", "images", "labels.csv").returncode == 0
    commit_all(repo, "data v1")
    git(repo, "tag", "v1")
    (repo / "images" / "a" / "f000.bin").write_bytes(b"relabelled")
    (repo / "labels.csv").write_text("id,label\n1,dog\n")
    status = _cairn(repo, "status", "--exit-code")
    assert status.returncode == 1 and "images/a/f000.bin" in status.stdout
    assert _cairn(repo, "commit").returncode == 0
    commit_all(repo, "data v2")
    changes = json.loads(_cairn(repo, "diff", "v1", "HEAD", "--json").stdout)
    assert [c["path"] for c in changes["modified"]] == ["images/a/f000.bin", "labels.csv"]
    git(repo, "checkout", "-q", "v1")
    assert _cairn(repo, "checkout").returncode == 0
    assert tree(repo / "images") == original
    assert (repo / "labels.csv").read_text() == "id,label\n1,cat\n"
    assert _cairn(repo, "status", "--exit-code").returncode == 0
    listed = json.loads(_cairn(repo, "ls", "--json").stdout)
    assert [(d["path"], d["kind"]) for d in listed] == [("images", "dir"), ("labels.csv", "file")]


def test_ls(repo, ws):
    make_folder(repo / "data", files=3)
    add(ws, ["data"])
    table = data_cli("ls")
    assert table.exit_code == 0 and "data" in table.stdout and "3" in table.stdout
    recursive = json.loads(data_cli("ls", "-R", "--json").stdout)
    assert [e["path"] for e in recursive[0]["entries"]] == [
        "a/f000.bin",
        "a/f002.bin",
        "b/f001.bin",
    ]
    assert data_cli("ls", "data").exit_code == 0
    missing = data_cli("ls", "elsewhere")
    assert missing.exit_code == 1 and "no data is tracked at elsewhere" in missing.stderr


def test_help_lists_every_local_and_remote_command(repo):
    result = data_cli("--help")
    for name in ("add", "status", "commit", "checkout", "diff", "ls", "gc", "push", "pull",
                 "fetch", "remote", "get"):  # fmt: skip
        assert f"  {name}" in result.stdout
    typo = data_cli("chekout")
    assert typo.exit_code == 2 and "Did you mean 'checkout'" in typo.stderr


def test_outside_any_project_the_folder_becomes_the_project(cairn_project):
    (cairn_project / "x.txt").write_text("x")
    assert data_cli("add", "x.txt").exit_code == 0
    assert (cairn_project / ".cairn" / "cache").is_dir()
    assert data_cli("status").exit_code == 0


def test_a_missing_pointer_file_named_as_target(repo):
    result = data_cli("checkout", "gone.cairn")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: the pointer file gone.cairn does not exist; `cairn data ls` lists what is tracked"
    )
