"""`cairn data add` on real files in a git repository: what it stores, writes and refuses."""

from __future__ import annotations

import json
import os

import pytest
from data_helpers import age, data_cli, git, make_folder, snapshot

from cairn.data.add import add, commit
from cairn.data.pointer import read
from cairn.errors import InvalidInput, InvalidPath, NotFound
from cairn.objects import Manifest, hash_bytes


def test_add_a_file_and_a_folder(repo, ws):
    (repo / "model.bin").write_bytes(b"weights")
    files = make_folder(repo / "data")
    results = add(ws, ["model.bin", "data"])
    assert [r.path for r in results] == ["model.bin", "data"]
    file_pointer = read(repo / "model.bin.cairn")
    assert file_pointer.kind == "file" and file_pointer.oid == hash_bytes(b"weights")
    assert ws.cache.read_bytes(file_pointer.oid) == b"weights"
    folder_pointer = read(repo / "data.cairn")
    assert folder_pointer.kind == "dir" and folder_pointer.files == len(files)
    assert folder_pointer.size == sum(map(len, files.values()))
    manifest = Manifest.from_bytes(ws.cache.read_bytes(folder_pointer.oid))
    assert {e.path: ws.cache.read_bytes(e.oid) for e in manifest.entries} == files
    assert (repo / ".gitignore").read_text() == "/model.bin\n/data\n"
    # git sees the pointers, not the data
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    assert sorted(line[3:] for line in status.splitlines()) == [
        ".cairn/.gitignore",
        ".gitignore",
        "data.cairn",
        "model.bin.cairn",
    ]
    # .cairn/ ignores itself except config.toml
    assert (repo / ".cairn" / ".gitignore").read_text() == "*\n!.gitignore\n!config.toml\n"


def test_data_in_a_subfolder_gets_its_own_gitignore(repo, ws):
    (repo / "sub" / "deeper").mkdir(parents=True)
    (repo / "sub" / "deeper" / "x.csv").write_text("a,b\n")
    os.chdir(repo / "sub")
    add(ws, ["deeper/x.csv"])
    assert (repo / "sub" / "deeper" / "x.csv.cairn").is_file()
    assert (repo / "sub" / "deeper" / ".gitignore").read_text() == "/x.csv\n"


def test_adding_again_is_idempotent(repo, ws):
    make_folder(repo / "data")
    age(repo / "data")
    first = add(ws, ["data"])[0]
    before = (repo / "data.cairn").read_bytes()
    again = add(ws, ["data"])[0]
    assert not again.changed and again.hashed_files == 0 and again.stored_objects == 0
    assert (repo / "data.cairn").read_bytes() == before and first.changed
    assert (repo / ".gitignore").read_text() == "/data\n"


def test_changing_one_file_of_many_stores_one_object_and_a_manifest(repo, ws):
    make_folder(repo / "data", files=200)
    age(repo / "data")
    add(ws, ["data"])
    objects_before = set(ws.cache.iter_oids())
    (repo / "data" / "a" / "f010.bin").write_bytes(b"changed")
    result = add(ws, ["data"])[0]
    new = set(ws.cache.iter_oids()) - objects_before
    assert result.changed and result.hashed_files == 1 and result.stored_objects == 1
    assert new == {hash_bytes(b"changed"), result.pointer.oid}


def _manifest_as_built_afresh(ws, folder) -> Manifest:
    from cairn.data.walk import folder_manifest, scan_folder
    from cairn.objects.hashing import hash_file

    scan = scan_folder(folder)
    return folder_manifest(scan, {rel: hash_file(folder / rel)[0] for rel in scan.files})


@pytest.mark.parametrize("change", ["content", "exec bit only", "rename", "delete", "new file"])
def test_an_incremental_add_gives_the_manifest_a_fresh_add_gives(repo, ws, change):
    """A folder whose files keep their paths gets its new manifest from the previous one's
    paths; every kind of change must still give exactly the manifest of a fresh add."""
    make_folder(repo / "data", files=40)
    age(repo / "data")
    add(ws, ["data"])
    target = repo / "data" / "a" / "f010.bin"
    if change == "content":
        target.write_bytes(b"changed")
        age(target)
    elif change == "exec bit only":
        target.chmod(0o755)  # no new mtime: only the manifest's executable flag differs
    elif change == "rename":
        target.rename(target.with_name("renamed.bin"))
    elif change == "delete":
        target.unlink()
    else:
        (repo / "data" / "b" / "new.bin").write_bytes(b"new")
        age(repo / "data" / "b" / "new.bin")
    result = add(ws, ["data"])[0]
    assert result.changed
    assert ws.manifest(result.pointer.oid) == _manifest_as_built_afresh(ws, repo / "data")
    assert add(ws, ["data"])[0].hashed_files == 0  # the state index holds the new listing


def test_commit_records_the_workspace_in_existing_pointers(repo, ws):
    (repo / "a.txt").write_text("one")
    make_folder(repo / "data")
    add(ws, ["a.txt", "data"])
    (repo / "a.txt").write_text("two")
    (repo / "data" / "new.bin").write_bytes(b"n")
    results = commit(ws)
    assert {r.path: r.changed for r in results} == {"a.txt": True, "data": True}
    assert read(repo / "a.txt.cairn").oid == hash_bytes(b"two")
    with pytest.raises(NotFound, match="not-tracked"):
        commit(ws, ["not-tracked"])
    (repo / "a.txt").unlink()
    with pytest.raises(NotFound, match="a.txt .*is missing"):
        commit(ws, ["a.txt"])


@pytest.mark.parametrize(
    ("make", "target", "error", "complaint"),
    [
        (None, "../outside.txt", InvalidPath, "outside the project"),
        (None, "/etc/hostname", InvalidPath, "outside the project"),
        (None, ".cairn/config.toml", InvalidPath, "inside .cairn/"),
        (None, ".git/config", InvalidPath, "inside git's .git"),
        (None, ".", InvalidPath, "project root"),
        (None, "missing.csv", NotFound, "missing.csv does not exist"),
        ("tracked", "data/a/f000.bin", InvalidInput, "inside data, which data.cairn tracks"),
        ("tracked", "data.cairn", InvalidInput, "is a pointer file"),
        ("git", "README.md", InvalidInput, "tracked by git already"),
        ("nested", "outer", InvalidInput, "holds the pointer file"),
        ("link", "link.txt", InvalidInput, "symbolic link"),
        ("fifo", "pipe", InvalidInput, "neither a regular file"),
        ("overlap", "data", InvalidInput, "overlap"),
    ],
)
def test_bad_targets_are_refused_and_nothing_is_written(repo, ws, make, target, error, complaint):
    (repo.parent / "outside.txt").write_text("x")
    (repo / "ok.txt").write_text("fine")
    targets = ["ok.txt", target]
    if make == "tracked":
        make_folder(repo / "data")
        add(ws, ["data"])
    elif make == "nested":
        (repo / "outer" / "inner").mkdir(parents=True)
        (repo / "outer" / "inner" / "x").write_text("x")
        add(ws, ["outer/inner/x"])
    elif make == "link":
        os.symlink(repo.parent / "outside.txt", repo / "link.txt")
    elif make == "fifo":
        os.mkfifo(repo / "pipe")
    elif make == "overlap":
        make_folder(repo / "data")
        targets = ["data", "data/a"]
    before = snapshot(repo)
    objects = set(ws.cache.iter_oids())
    with pytest.raises(error, match=complaint) as caught:
        add(ws, targets)
    assert "\n" not in str(caught.value)
    assert snapshot(repo) == before and set(ws.cache.iter_oids()) == objects


def test_a_folder_with_a_link_to_a_folder_is_refused(repo, ws):
    make_folder(repo / "data")
    os.symlink(repo / "data" / "a", repo / "data" / "loop")
    with pytest.raises(InvalidInput, match="data/loop is not a regular file"):
        add(ws, ["data"])
    assert not (repo / "data.cairn").exists()


def test_hardlink_mode_links_the_workspace_to_the_read_only_cache(repo, ws):
    (repo / "big.bin").write_bytes(b"x" * 1000)
    make_folder(repo / "data", files=10)
    add(ws, ["big.bin", "data"], link="hardlink,copy")
    oid = read(repo / "big.bin.cairn").oid
    assert os.stat(repo / "big.bin").st_ino == os.stat(ws.cache.path_of(oid)).st_ino
    assert not os.access(repo / "big.bin", os.W_OK) or os.geteuid() == 0
    from cairn.data.status import status

    assert status(ws).clean


def test_cli_add_prints_what_it_did_and_json(repo):
    make_folder(repo / "data", files=5)
    (repo / "m.bin").write_bytes(b"m")
    result = data_cli("add", "data", "m.bin")
    assert result.exit_code == 0, result.output
    assert "Added data: 5 files" in result.stdout and "Added m.bin: 1 B" in result.stdout
    assert "git add data.cairn m.bin.cairn .gitignore" in result.stderr
    again = data_cli("add", "data", "--json")
    found = json.loads(again.stdout)
    assert found[0]["path"] == "data" and found[0]["changed"] is False and found[0]["files"] == 5


def test_cli_add_bad_input_is_one_line(repo):
    before = snapshot(repo)
    result = data_cli("add", "nope.csv")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: nope.csv does not exist"
    assert data_cli("add").exit_code == 2  # usage: a path is required
    bad = data_cli("add", "README.md", "--link", "teleport")
    assert bad.exit_code == 1 and "not a link type" in bad.stderr
    assert snapshot(repo) == before


def test_files_written_a_moment_ago_are_hashed_again(repo, ws):
    """Racy files (modified within the clock tick of being seen) are not trusted by stat."""
    make_folder(repo / "data", files=3)
    age(repo / "data", seconds=-30)  # mtimes ahead of the clock: always "just modified"
    add(ws, ["data"])
    again = add(ws, ["data"])[0]
    assert again.hashed_files == 3 and again.stored_objects == 0 and not again.changed
