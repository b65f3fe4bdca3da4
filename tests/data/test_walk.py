"""Listing folders: the C loop and the Python loop see the same files, the same odd entries,
in the same order, so their scans (and fingerprints) are equal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.data import walk

pytestmark = pytest.mark.skipif(
    walk._fastscan is None, reason="cairn.data._fastscan was not compiled on this machine"
)


def _same(folder: Path) -> walk.Scan:
    fast = walk.scan_folder(folder)
    slow = walk._scan_in_python(folder)
    assert fast.files == slow.files
    assert list(fast.files) == list(slow.files)
    assert fast.odd == slow.odd
    assert bytes(fast._record) == bytes(slow._record)
    assert fast.newest_mtime_ns == slow.newest_mtime_ns
    assert fast.fingerprint() == slow.fingerprint()
    for found in fast.files.values():
        assert type(found) is walk.Found
    return fast


def test_every_kind_of_entry(tmp_path):
    root = tmp_path / "data"
    (root / "a" / "b").mkdir(parents=True)
    (root / "top.txt").write_text("top")
    (root / "a" / "b" / "deep.bin").write_bytes(b"\x00" * 10)
    script = root / "a" / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    os.link(root / "top.txt", root / "a" / "hard.txt")
    (root / "link-to-file").symlink_to(root / "top.txt")
    (root / "link-to-folder").symlink_to(root / "a")
    (root / "dangling").symlink_to(root / "nowhere")
    os.mkfifo(root / "pipe")
    os.mkdir(root / "empty")
    weird = os.fsencode(root) + b"/caf\xe9-\xff.bin"  # not UTF-8
    Path(os.fsdecode(weird)).write_bytes(b"w")
    (root / "ünïcode.txt").write_text("u")

    scan = _same(root)
    assert set(scan.files) == {
        "top.txt", "a/b/deep.bin", "a/run.sh", "a/hard.txt", "link-to-file",
        os.fsdecode(b"caf\xe9-\xff.bin"), "ünïcode.txt",
    }  # fmt: skip
    assert sorted(scan.odd) == ["dangling", "link-to-folder", "pipe"]
    assert scan.files["a/run.sh"].executable and not scan.files["top.txt"].executable
    assert scan.files["a/hard.txt"].linked and scan.files["link-to-file"].linked
    assert scan.files["a/b/deep.bin"].signature[2] == 10


def test_a_file_or_missing_folder_behaves_as_in_python(tmp_path):
    (tmp_path / "f").write_text("x")
    assert _same(tmp_path / "f").files == {}  # not a folder: nothing listed
    with pytest.raises(FileNotFoundError):
        walk.scan_folder(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        walk._scan_in_python(tmp_path / "missing")


_NAMES = st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
                 min_size=1, max_size=8).filter(lambda n: n not in (".", ".."))  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_NAMES, min_size=1, max_size=3), max_size=12))
def test_random_trees(tmp_path_factory, paths):
    root = tmp_path_factory.mktemp("tree")
    for parts in paths:
        target = root.joinpath(*parts)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.write_bytes(os.urandom(len(parts)))
        except (NotADirectoryError, FileExistsError, IsADirectoryError, OSError):
            continue  # a name used as both file and folder, or too long: skip it
    _same(root)
