"""``cairn data get URL PATH``: one dataset of another git repository, from its remote."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.data.test_remote_cli import fails, git, ok, tree

from cairn.data.remote_index import RemoteIndex
from cairn.data.remote_layout import RemoteStorage, loose_path


@pytest.fixture
def source(cairn_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Another team's repository ``source/`` with data pushed to ``../store`` at tags v1, v2."""
    root = cairn_project / "source"
    (root / "data" / "images" / "cats").mkdir(parents=True)
    monkeypatch.chdir(root)
    git("init", "-q", "-b", "main", cwd=root)
    for i in range(25):
        (root / "data" / "images" / "cats" / f"{i}.jpg").write_bytes(os.urandom(400))
    (root / "data" / "images" / "run.sh").write_text("#!/bin/sh\n")
    (root / "data" / "images" / "run.sh").chmod(0o755)
    (root / "data" / "model.bin").write_bytes(os.urandom(3 << 20))
    ok("data", "add", "data/images", "data/model.bin")
    ok("data", "remote", "add", "store", "../store", "--default")
    ok("data", "push")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "v1", cwd=root)
    git("tag", "v1", cwd=root)
    (root / "data" / "images" / "cats" / "0.jpg").write_bytes(b"v2 cat")
    ok("data", "commit", "data/images")
    ok("data", "push")
    git("commit", "-qam", "v2", cwd=root)
    git("tag", "v2", cwd=root)
    work = cairn_project / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)  # not a cairn project, not a git repository
    return root


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_get_a_folder_at_a_tag(source):
    v2_images = tree(source / "data" / "images")
    out = json.loads(ok("data", "get", str(source), "data/images", "--rev", "v1", "-o", "imgs",
                        "--json"))  # fmt: skip
    assert out["kind"] == "dir" and out["files"] == 26
    got = tree(Path("imgs"))
    assert got["cats/0.jpg"] != b"v2 cat"
    assert {k: v for k, v in got.items() if k != "cats/0.jpg"} == {
        k: v for k, v in v2_images.items() if k != "cats/0.jpg"
    }
    assert os.access("imgs/run.sh", os.X_OK)
    assert _leftovers(Path.cwd()) == ["imgs"]


def test_get_a_file_at_head_into_the_current_folder(source):
    text = ok("data", "get", str(source), "data/model.bin")
    assert "wrote" in text
    assert Path("model.bin").read_bytes() == (source / "data" / "model.bin").read_bytes()
    ok("data", "get", f"file://{source}", "data/images", "--rev", "v2")
    assert Path("images/cats/0.jpg").read_bytes() == b"v2 cat"


def test_a_branch_of_a_clone(source):
    git("checkout", "-q", "-b", "experiment", "v1", cwd=source)
    git("checkout", "-q", "main", cwd=source)
    ok("data", "get", str(source), "data/images", "--rev", "experiment", "-o", "exp")
    assert Path("exp/cats/0.jpg").read_bytes() != b"v2 cat"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("data/nope",), "has no dataset 'data/nope' at HEAD"),
        (("data/images", "--rev", "v9"), "git revision 'v9' does not exist"),
        (("data/images", "-r", "other"), "no data remote named 'other'"),
        (("../outside",), "must be relative to the repository root"),
        (("data/images", "-o", "missing/folder/x"), "does not exist; create it first"),
    ],
)
def test_bad_input_is_one_line_and_leaves_nothing(source, args, words):
    line = fails("data", "get", str(source), *args)
    assert words in line
    assert _leftovers(Path.cwd()) == []


def test_a_repository_that_does_not_exist(source):
    assert "no git repository at" in fails("data", "get", "no-such-repo", "data/images")
    assert "cannot clone" in fails("data", "get", str(source / "data"), "data/images")


def test_an_existing_output_is_not_overwritten(source):
    Path("images").mkdir()
    assert "exists already" in fails("data", "get", str(source), "data/images")
    assert _leftovers(Path("images")) == []


def test_a_corrupt_remote_object_leaves_nothing_behind(source):
    storage = RemoteStorage.open("store", str(source.parent / "store"), source)
    big = next(o for o, loc in RemoteIndex(storage).load().locations.items() if loc.pack is None)
    path = source.parent / "store" / loose_path(big)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    os.chmod(path, 0o644)
    path.write_bytes(bytes(data))
    line = fails("data", "get", str(source), "data/model.bin")
    assert "corrupt" in line and loose_path(big) in line
    assert _leftovers(Path.cwd()) == []


def test_a_repository_without_a_remote(source):
    git("rm", "-q", "--cached", ".cairn/config.toml", cwd=source)
    git("commit", "-qm", "no remote", cwd=source)
    line = fails("data", "get", str(source), "data/images")
    assert "names no data remote" in line
