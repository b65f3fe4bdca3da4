"""Materialising cache objects: each strategy on real files, checked bytes, corrupt objects."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from data_helpers import flip_byte

from cairn.data.materialize import DEFAULT_LINK, Materializer, link_setting, parse_link
from cairn.data.state import signature
from cairn.errors import CorruptObject, InvalidInput, ObjectMissing
from cairn.objects import ObjectDB, hash_bytes
from cairn.objects.hashing import THREADED_FROM


@pytest.fixture
def cache(tmp_path):
    return ObjectDB(tmp_path / "cache")


@pytest.mark.parametrize("size", [0, 100, THREADED_FROM + 10])
@pytest.mark.parametrize(
    "strategies", [("copy",), ("reflink", "copy"), ("hardlink",), ("symlink",)]
)
def test_each_strategy_places_the_right_bytes(tmp_path, cache, strategies, size):
    data = os.urandom(size)
    oid = cache.add_bytes(data)
    dest = tmp_path / "out.bin"
    dest.write_bytes(b"old content")
    placer = Materializer(cache, strategies, verified={})
    sig = placer.place(oid, dest, size=size)
    assert dest.read_bytes() == data and sig == signature(os.stat(dest))
    if size >= THREADED_FROM or strategies[0] in ("hardlink", "symlink"):
        # big objects are remembered as checked (small ones are checked on every copy)
        assert placer.newly_verified[oid] == signature(os.stat(cache.path_of(oid)))
    assert [p.name for p in tmp_path.iterdir() if "cairn-tmp" in p.name] == []
    if strategies[0] == "hardlink":
        assert os.stat(dest).st_ino == os.stat(cache.path_of(oid)).st_ino
    elif strategies[0] == "symlink":
        assert dest.is_symlink()
    else:
        assert os.stat(dest).st_ino != os.stat(cache.path_of(oid)).st_ino
        dest.write_bytes(b"edited")  # a copy is writable and editing it spares the cache
        assert cache.read_bytes(oid) == data


def test_executable_bit_on_copies(tmp_path, cache):
    oid = cache.add_bytes(b"#!/bin/sh\n")
    dest = tmp_path / "run.sh"
    Materializer(cache, ("copy",), {}).place(oid, dest, executable=True)
    assert os.stat(dest).st_mode & stat.S_IXUSR
    Materializer(cache, ("copy",), {}).place(oid, dest, executable=False)
    assert not os.stat(dest).st_mode & stat.S_IXUSR


@pytest.mark.parametrize("strategies", [("copy",), ("hardlink",), ("reflink", "copy")])
@pytest.mark.parametrize("size", [100, THREADED_FROM + 10])
def test_a_corrupt_object_never_reaches_the_workspace(tmp_path, cache, strategies, size):
    oid = cache.add_bytes(os.urandom(size))
    flip_byte(cache.path_of(oid), offset=size // 2)
    dest = tmp_path / "kept.bin"
    dest.write_bytes(b"what the user had")
    placer = Materializer(cache, strategies, {})
    with pytest.raises(CorruptObject, match=str(cache.path_of(oid))):
        placer.place(oid, dest, size=size)
    with pytest.raises(CorruptObject, match=str(cache.path_of(oid))):
        placer.place(oid, dest)  # size unknown: the general path
    assert dest.read_bytes() == b"what the user had"
    assert [p.name for p in tmp_path.iterdir()] != [] and oid not in placer.newly_verified
    assert [p.name for p in tmp_path.iterdir() if "cairn-tmp" in p.name] == []


def test_verified_objects_are_not_reread_but_a_change_since_is_noticed(tmp_path, cache):
    data = os.urandom(THREADED_FROM + 1)
    oid = cache.add_bytes(data)
    sig = signature(os.stat(cache.path_of(oid)))
    placer = Materializer(cache, ("copy",), {oid: sig})
    placer.place(oid, tmp_path / "a")
    assert oid not in placer.newly_verified  # trusted: copied in the kernel, not reread
    flip_byte(cache.path_of(oid), 7)  # new mtime: the record no longer applies
    with pytest.raises(CorruptObject):
        Materializer(cache, ("copy",), {oid: sig}).place(oid, tmp_path / "b")


def test_missing_object(tmp_path, cache):
    with pytest.raises(ObjectMissing, match="cairn data fetch"):
        Materializer(cache, ("copy",), {}).place(hash_bytes(b"nope"), tmp_path / "x")
    with pytest.raises(ObjectMissing, match="cairn data fetch"):
        Materializer(cache, ("copy",), {}).place(hash_bytes(b"nope"), tmp_path / "x", size=4)
    assert not (tmp_path / "x").exists()


def test_link_settings():
    assert link_setting({}) == DEFAULT_LINK == ("reflink", "copy")
    assert link_setting({"data": {"link": "hardlink,copy"}}) == ("hardlink", "copy")
    assert link_setting({"data": {"link": ["symlink"]}}, "copy") == ("copy",)
    assert parse_link(" reflink , copy,copy") == ("reflink", "copy")
    for bad in ("", "rsync", "copy,,", 3):
        with pytest.raises(InvalidInput, match="link"):
            parse_link(bad)
    with pytest.raises(InvalidInput, match=r"\[data\] link"):
        link_setting({"data": {"link": "teleport"}})


# -- place_all: many objects at once (small ones through the C loop where it was compiled) ---


@pytest.fixture(params=["c", "c-named", "python"])
def loop(request, monkeypatch):
    """Which loop places the small objects: the C one (writing unnamed files linked into
    place, or named ones renamed, as where the filesystem has no O_TMPFILE), or (the
    extension set aside) Python's."""
    from cairn.data import materialize

    fast = materialize._faststore
    if request.param.startswith("c") and fast is None:
        pytest.skip("cairn.objects._faststore not compiled")
    if request.param == "python":
        monkeypatch.setattr(materialize, "_faststore", None)
    before = fast.use_unnamed(request.param != "c-named") if fast else None
    yield request.param
    if fast is not None:
        fast.use_unnamed(before)


def _place_all(cache, placements, jobs=2):
    from cairn.data.materialize import Placement

    moved = []
    results = Materializer(cache, DEFAULT_LINK, {}).place_all(
        [Placement(*p) for p in placements], jobs, lambda fn, items: [fn(i) for i in items],
        lambda nbytes, files: moved.append((nbytes, files)),
    )  # fmt: skip
    assert sum(files for _, files in moved) == len(placements)
    return results


def test_place_all_writes_every_file_with_its_signature(tmp_path, cache, loop):
    blobs = [os.urandom(size) for size in (0, 1, 700, 5000, THREADED_FROM + 3)] * 3
    oids = [cache.add_bytes(blob) for blob in blobs]
    (tmp_path / "ws").mkdir()
    dests = [str(tmp_path / "ws" / f"f{i}") for i in range(len(blobs))]
    (tmp_path / "ws" / "f1").write_bytes(b"an older version, replaced")
    placements = [(oid, dest, i % 2 == 0, len(blob))
                  for i, (oid, dest, blob) in enumerate(zip(oids, dests, blobs, strict=True))]  # fmt: skip
    results = _place_all(cache, placements)
    umask = os.umask(0)
    os.umask(umask)
    for (_, dest, executable, _), blob, (sig, problem) in zip(
        placements, blobs, results, strict=True
    ):
        assert problem is None
        assert Path(dest).read_bytes() == blob
        assert sig == signature(os.stat(dest))
        mode = stat.S_IMODE(os.stat(dest).st_mode)
        assert mode == (0o777 if executable else 0o666) & ~umask
    assert sorted(os.listdir(tmp_path / "ws")) == sorted(os.path.basename(d) for d in dests)


def test_place_all_reports_corrupt_and_missing_objects_and_goes_on(tmp_path, cache, loop):
    good, bad = os.urandom(900), os.urandom(1100)
    good_oid, bad_oid = cache.add_bytes(good), cache.add_bytes(bad)
    flip_byte(cache.path_of(bad_oid))
    missing = hash_bytes(b"never stored")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "bad").write_bytes(b"stays as it was")
    results = _place_all(cache, [(bad_oid, str(ws / "bad"), False, 1100),
                                 (missing, str(ws / "missing"), False, 12),
                                 (good_oid, str(ws / "good"), False, 900)])  # fmt: skip
    assert results[0][0] is None and "corrupt" in results[0][1]
    assert str(cache.path_of(bad_oid)) in results[0][1]
    assert results[1][0] is None and "not in the cache" in results[1][1]
    assert results[2] == (signature(os.stat(ws / "good")), None)
    assert (ws / "bad").read_bytes() == b"stays as it was"
    assert sorted(os.listdir(ws)) == ["bad", "good"]


def test_place_all_raises_when_a_file_cannot_be_written(tmp_path, cache, loop):
    oid = cache.add_bytes(os.urandom(500))
    with pytest.raises(FileNotFoundError):  # the destination's folder does not exist
        _place_all(cache, [(oid, str(tmp_path / "no-such-folder" / "f"), False, 500)])
