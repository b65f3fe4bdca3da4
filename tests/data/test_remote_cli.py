"""``cairn data remote|push|fetch|pull`` end to end, as a user runs them: a real git repository,
a clone made by git, a local-folder remote."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from tests.cli_support import cairn


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


def ok(*args: str) -> str:
    result = cairn(*args)
    assert result.exit_code == 0, result.output
    return result.output


def fails(*args: str, code: int = 1) -> str:
    """Run a command that must fail with a one-line error (exit 1); return the line."""
    result = cairn(*args)
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(folder).parts[:1]
        and ".cairn" not in p.relative_to(folder).parts[:1]
    }  # fmt: skip


@pytest.fixture
def repo(cairn_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository ``repo/`` with a folder and a file tracked, its remote ``../remote``
    added as the default, and everything committed as tag v1."""
    root = cairn_project / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    git("init", "-q", "-b", "main", cwd=root)
    images = root / "data" / "images"
    for i in range(60):
        (images / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
        (images / f"d{i % 3}" / f"{i}.bin").write_bytes(os.urandom(50 + 7 * i))
    (root / "data" / "model.bin").write_bytes(os.urandom(2 << 20))
    ok("data", "add", "data/images", "data/model.bin")
    ok("data", "remote", "add", "origin", "../remote", "--default")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "v1", cwd=root)
    git("tag", "v1", cwd=root)
    return root


def clone_of(repo: Path, name: str = "clone") -> Path:
    target = repo.parent / name
    git("clone", "-q", str(repo), str(target), cwd=repo.parent)
    os.chdir(target)
    return target


def test_remote_commands(repo):
    ok("data", "remote", "add", "backup", "/srv/backup")
    listed = json.loads(ok("data", "remote", "list", "--json"))
    assert listed == [
        {"name": "backup", "url": "/srv/backup", "default": False},
        {"name": "origin", "url": "../remote", "default": True},
    ]
    assert ok("data", "remote", "default").strip() == "origin"
    ok("data", "remote", "default", "backup")
    assert ok("data", "remote", "default").strip() == "backup"
    ok("data", "remote", "remove", "backup")
    assert "no default data remote" in cairn("data", "remote", "default").output
    assert [r["name"] for r in json.loads(ok("data", "remote", "list", "--json"))] == ["origin"]


def test_push_clone_pull_gives_the_same_bytes(repo):
    pushed = json.loads(ok("data", "push", "--json"))
    assert pushed["pushed"] == 60 + 1 + 1 and pushed["packs"] == 2
    remote = repo.parent / "remote"
    # the 60 small files in one pack, then (last) the folder's manifest in another
    assert len(list((remote / "packs").glob("*.pack"))) == 2
    assert len(list((remote / "objects").rglob("*"))) == 2  # the model: a folder and a file
    status = json.loads(ok("data", "status", "--remote", "--json"))
    assert status["remote"]["in_sync"] and status["clean"]

    clone = clone_of(repo)
    remote_status = json.loads(ok("data", "status", "--remote", "origin", "--json"))
    assert sorted(remote_status["remote"]["not_in_cache"]) == ["data/images", "data/model.bin"]
    out = ok("data", "pull")
    assert "fetched 62 objects" in out
    assert tree(clone / "data") == tree(repo / "data")
    assert "the cache holds everything already" in ok("data", "pull")


def test_an_empty_push_says_so(repo):
    ok("data", "push")
    assert "everything is on 'origin' already" in ok("data", "push")


def test_fetch_of_an_older_revision(repo):
    ok("data", "push")
    v1_images = tree(repo / "data" / "images")
    (repo / "data" / "images" / "d0" / "0.bin").write_bytes(b"changed in v2")
    (repo / "data" / "images" / "d1" / "new.bin").write_bytes(b"added in v2")
    ok("data", "commit")
    ok("data", "push")
    git("commit", "-qam", "v2", cwd=repo)
    clone = clone_of(repo)
    fetched = json.loads(ok("data", "fetch", "--rev", "v1", "data/images", "--json"))
    assert fetched["fetched"] == 61  # v1's manifest and its 60 files, not the model
    git("checkout", "-q", "v1", cwd=clone)
    ok("data", "checkout", "data/images")
    assert tree(clone / "data" / "images") == v1_images


def test_push_only_some_paths_and_jobs(repo):
    out = json.loads(ok("data", "push", "data/model.bin", "-j", "1", "--json"))
    assert out["pushed"] == 1
    status = json.loads(ok("data", "status", "--remote", "--json"))
    assert status["remote"]["not_on_remote"] == ["data/images"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("data", "push", "-r", "orign"), "no data remote named 'orign'"),
        (("data", "fetch", "-r", "nope"), "no data remote named 'nope'"),
        (("data", "pull", "-r", "nope"), "no data remote named 'nope'"),
        (("data", "push", "data/nothing-here"), "no data is tracked at data/nothing-here"),
        (("data", "fetch", "--rev", "no-such-rev"), "git revision 'no-such-rev' does not exist"),
        (
            ("data", "fetch", "--rev", "v1", "data/later"),
            "no tracked data at data/later in revision",
        ),
        (("data", "push", "-j", "0"), "Invalid value for '-j' / '--jobs'"),
        (("data", "remote", "add", "x", "nosuch://b/p"), "unknown scheme 'nosuch'"),
        (("data", "remote", "add", "origin", "/elsewhere"), "exists already; pass --force"),
        (("data", "remote", "remove", "nope"), "no data remote named 'nope'"),
        (("data", "remote", "default", "nope"), "no data remote named 'nope'"),
        (("data", "remote", "add", "a b", "/x"), "remote name 'a b' is not allowed"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(repo, args, words):
    config = (repo / ".cairn" / "config.toml").read_bytes()
    cache = sorted(p.name for p in (repo / ".cairn" / "cache").rglob("*"))
    line = fails(*args, code=2 if "-j" in args else 1)  # a usage error exits 2
    assert words in line
    assert (repo / ".cairn" / "config.toml").read_bytes() == config
    assert sorted(p.name for p in (repo / ".cairn" / "cache").rglob("*")) == cache
    assert not (repo.parent / "remote").exists()


def test_no_default_remote(repo):
    ok("data", "remote", "add", "other", "../other")
    ok("data", "remote", "remove", "origin")
    line = fails("data", "push")
    assert "no default data remote" in line and "-r NAME (one of other)" in line
    ok("data", "remote", "remove", "other")
    assert "cairn data remote add NAME URL --default" in fails("data", "push")


def test_pull_of_data_nobody_pushed(repo):
    clone_of(repo)
    line = fails("data", "pull")
    assert "not on data remote 'origin'" in line and "cairn data push" in line
    assert not (Path.cwd() / "data" / "model.bin").exists()
