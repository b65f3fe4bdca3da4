"""Materialising cache objects: each strategy on real files, checked bytes, corrupt objects."""

from __future__ import annotations

import os
import stat

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
