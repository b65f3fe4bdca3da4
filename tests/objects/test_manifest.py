"""Folder manifests: canonical bytes, strict validation, diffs."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.errors import CorruptObject
from cairn.objects import Manifest, ManifestEntry, diff, hash_bytes

A, B, C = (hash_bytes(x) for x in (b"a", b"b", b"c"))


def _manifest_bytes(rows) -> bytes:
    return json.dumps({"format": "cairn.manifest/1", "files": rows}).encode()


def test_entries_are_sorted_and_bytes_canonical():
    one = Manifest.from_entries([("b/x", A, 1), ("a", B, 2, True)])
    two = Manifest.from_entries([ManifestEntry("a", B, 2, True), ManifestEntry("b/x", A, 1)])
    assert one == two and one.to_bytes() == two.to_bytes()
    assert [e.path for e in one.entries] == ["a", "b/x"]
    assert one.nfiles == 2 and one.total_size == 3
    assert one.by_path()["a"].executable is True
    assert Manifest.from_bytes(one.to_bytes()) == one
    text = one.to_bytes().decode()
    assert text.count("\n") == 4  # header, one line per file, closing line


def test_unicode_paths_round_trip():
    manifest = Manifest.from_entries([("données/é.csv", A, 1)])
    assert "données" in manifest.to_bytes().decode()
    assert Manifest.from_bytes(manifest.to_bytes()) == manifest


def test_empty_folder():
    empty = Manifest.from_entries([])
    assert Manifest.from_bytes(empty.to_bytes()) == empty and empty.nfiles == 0


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "no format"),
        (b'{"format": "other"}', "no format"),
        (b'{"format": "cairn.manifest/1", "files": {}}', "not a list"),
        (_manifest_bytes([["a", A, 1]]), r"\[path, oid, size, 0\|1\]"),
        (_manifest_bytes([[1, A, 1, 0]]), "must be strings"),
        (_manifest_bytes([["a", A, -1, 0]]), "sizes"),
        (_manifest_bytes([["a", A, 1.5, 0]]), "sizes"),
        (_manifest_bytes([["a", A, 1, 2]]), "executable"),
        (_manifest_bytes([["a", A.upper(), 1, 0]]), "64-hex"),
        (_manifest_bytes([["a", A[:-1], 1, 0]]), "64-hex"),
        (_manifest_bytes([["../a", A, 1, 0]]), "'../a'"),
        (_manifest_bytes([["/etc/passwd", A, 1, 0]]), "'/etc/passwd'"),
        (_manifest_bytes([["a/./b", A, 1, 0]]), "'a/./b'"),
        (_manifest_bytes([["a//b", A, 1, 0]]), "'a//b'"),
        (_manifest_bytes([["a\\b", A, 1, 0]]), "backslash|'a"),
        (_manifest_bytes([["", A, 1, 0]]), "''"),
        (_manifest_bytes([["a", A, 1, 0], ["a", B, 1, 0]]), "twice"),
        (_manifest_bytes([["b", A, 1, 0], ["a", B, 1, 0]]), "not sorted"),
        (_manifest_bytes([["a", A, 1, 0], ["a/b", B, 1, 0]]), "file and as a folder"),
    ],
)
def test_nonsense_is_a_corrupt_object_naming_the_source(data, complaint):
    with pytest.raises(CorruptObject, match=complaint) as caught:
        Manifest.from_bytes(data, source="cache object X")
    assert str(caught.value).startswith("cache object X")
    assert "\n" not in str(caught.value)


def test_oids_in_checks_everything_but_the_paths():
    """gc and push only need the oids: a manifest whose paths are unsafe still tells which
    objects it uses, and a bad oid is refused as from_bytes refuses it."""
    assert Manifest.oids_in(_manifest_bytes([["../a", A, 1, 0], ["b", B, 2, 1]])) == {A, B}
    assert Manifest.oids_in(Manifest.from_entries([]).to_bytes()) == set()
    for bad in (
        _manifest_bytes([["a", A.upper(), 1, 0]]),
        b"[1]",
        _manifest_bytes([["a", A, -1, 0]]),
    ):
        with pytest.raises(CorruptObject, match="^cache object X"):
            Manifest.oids_in(bad, source="cache object X")


def test_with_contents_keeps_the_paths_and_checks_the_new_columns():
    old = Manifest.from_entries([("a", A, 1), ("b/c", B, 2, True)])
    new = old.with_contents([B, A], [5, 6], [True, False])
    assert new == Manifest.from_entries([("a", B, 5, True), ("b/c", A, 6, False)])
    assert new.to_bytes() == Manifest.from_entries(new.entries).to_bytes()
    for oids, sizes in (([A], [1, 2]), ([A, "x"], [1, 2]), ([A, B], [1, -2])):
        with pytest.raises(CorruptObject, match="cannot build a folder manifest"):
            old.with_contents(oids, sizes, [False, False])


def test_from_entries_refuses_unsafe_paths():
    with pytest.raises(CorruptObject, match="'../x'"):
        Manifest.from_entries([("../x", A, 1)])


def test_diff_sorts_changes_into_added_modified_deleted():
    old = Manifest.from_entries([("keep", A, 1), ("edit", A, 1), ("chmod", A, 1), ("gone", B, 1)])
    new = Manifest.from_entries(
        [("keep", A, 1), ("edit", C, 1), ("chmod", A, 1, True), ("new", C, 1)]
    )
    added, modified, deleted = diff(old, new)
    assert [e.path for e in added] == ["new"]
    assert [e.path for e in modified] == ["chmod", "edit"]
    assert [e.path for e in deleted] == ["gone"] and deleted[0].oid == B
    assert diff(new, new) == ([], [], [])


def test_changing_one_file_of_many_changes_one_row():
    rows = [(f"d{i // 200:02d}/f{i:05d}", A, 1) for i in range(2000)]
    before = Manifest.from_entries(rows)
    rows[1234] = (rows[1234][0], B, 1)
    after = Manifest.from_entries(rows)
    changed = set(after.to_bytes().splitlines()) - set(before.to_bytes().splitlines())
    assert len(changed) == 1


_part = st.text(alphabet="abc.-_é ", min_size=1, max_size=4).filter(lambda p: p not in (".", ".."))


@given(st.dictionaries(st.lists(_part, min_size=1, max_size=3).map("/".join), st.integers(0, 9)))
def test_round_trip_property(files):
    paths = set(files)
    if any(p.rsplit("/", 1)[0] in paths for p in paths if "/" in p) or any(
        any("/".join(p.split("/")[:k]) in paths for k in range(1, p.count("/") + 1)) for p in paths
    ):
        with pytest.raises(CorruptObject):
            Manifest.from_entries([(p, A, s) for p, s in files.items()])
        return
    manifest = Manifest.from_entries([(p, A, s) for p, s in files.items()])
    assert Manifest.from_bytes(manifest.to_bytes()) == manifest
