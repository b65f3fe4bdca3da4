"""The object database on real files: atomic writes, read-only objects, corruption detected."""

from __future__ import annotations

import os
import stat

import pytest

from cairn.errors import CorruptObject, InvalidInput, ObjectMissing
from cairn.objects import ObjectDB, hash_bytes
from cairn.objects.hashing import THREADED_FROM


@pytest.fixture
def db(tmp_path):
    return ObjectDB(tmp_path / "cache")


def _leftovers(db: ObjectDB) -> list[str]:
    return [p.name for p in db.root.rglob("*.tmp")]


def test_add_bytes_stores_a_read_only_object_at_its_oid(db):
    oid = db.add_bytes(b"hello")
    assert oid == hash_bytes(b"hello")
    path = db.path_of(oid)
    assert path == db.root / oid[:2] / oid[2:]
    assert path.read_bytes() == b"hello"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert db.has(oid) and db.size(oid) == 5
    assert db.add_bytes(b"hello") == oid  # idempotent
    assert list(db.iter_oids()) == [oid]


@pytest.mark.parametrize("size", [0, 10, THREADED_FROM + 3])
def test_add_file_hashes_while_copying_and_leaves_the_source(db, tmp_path, size):
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(size))
    oid = db.add_file(src)
    assert oid == hash_bytes(src.read_bytes())
    assert db.read_bytes(oid) == src.read_bytes()
    assert src.exists() and _leftovers(db) == []
    assert stat.S_IMODE(db.path_of(oid).stat().st_mode) == 0o444


def test_add_file_with_a_known_oid_and_move(db, tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"moved")
    oid = db.add_file(src, hash_bytes(b"moved"), move=True)
    assert not src.exists() and db.read_bytes(oid) == b"moved"
    # present already: the given source is consumed, the object unchanged
    src.write_bytes(b"moved")
    assert db.add_file(src, oid, move=True) == oid and not src.exists()
    src.write_bytes(b"moved")
    assert db.add_file(src, oid) == oid and src.exists()


def test_add_file_refuses_a_bad_oid_without_writing(db, tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"x")
    with pytest.raises(InvalidInput):
        db.add_file(src, "../../etc/passwd")
    assert not db.root.exists()


def test_add_stream_checks_the_hash_and_leaves_nothing_on_mismatch(db):
    data = [b"abc", b"def"]
    oid = hash_bytes(b"abcdef")
    assert db.add_stream(oid, iter(data)) == 6
    assert db.read_bytes(oid) == b"abcdef"
    wrong = hash_bytes(b"other")
    with pytest.raises(CorruptObject, match=rf"{wrong} from s3://bucket/x is corrupt"):
        db.add_stream(wrong, iter(data), source="s3://bucket/x")
    assert not db.has(wrong) and _leftovers(db) == []


def test_add_stream_cleans_up_when_the_source_fails(db):
    def broken():
        yield b"abc"
        raise OSError("connection reset")

    oid = hash_bytes(b"abcdef")
    with pytest.raises(OSError, match="connection reset"):
        db.add_stream(oid, broken())
    assert not db.has(oid) and _leftovers(db) == []


def test_a_flipped_byte_is_detected_on_read(db):
    oid = db.add_bytes(b"precious data")
    path = db.path_of(oid)
    path.chmod(0o644)
    raw = bytearray(path.read_bytes())
    raw[3] ^= 0x01
    path.write_bytes(bytes(raw))
    assert db.verify(oid) is False
    with pytest.raises(CorruptObject, match=str(path)):
        db.read_bytes(oid)
    assert db.read_bytes(oid, verify=False) == bytes(raw)


def test_missing_objects_raise_object_missing(db):
    oid = hash_bytes(b"never stored")
    assert not db.has(oid)
    for call in (db.size, db.open, db.read_bytes, db.verify):
        with pytest.raises(ObjectMissing, match=oid):
            call(oid)
    db.remove(oid)  # absent: nothing happens


def test_remove_and_iter_skip_temporaries(db):
    a, b = db.add_bytes(b"a"), db.add_bytes(b"b")
    (db.root / "tmp").mkdir(exist_ok=True)
    (db.root / "tmp" / "half.tmp").write_bytes(b"partial")
    (db.path_of(a).parent / "zz.123.tmp").write_bytes(b"partial")
    assert sorted(db.iter_oids()) == sorted([a, b])
    db.remove(a)
    assert list(db.iter_oids()) == [b]


def test_sync_flushes_without_error(db, tmp_path):
    db.sync()  # no folder yet: nothing to do
    src = tmp_path / "f"
    src.write_bytes(b"x" * 100)
    db.add_file(src, durable=False)
    db.sync()


def test_listing_finds_objects_and_temporaries_and_skips_strays(tmp_path):
    db = ObjectDB(tmp_path / "cache")
    a, b = db.add_bytes(b"a"), db.add_bytes(b"b")
    (db.root / a[:2] / ("x" * 62)).write_bytes(b"stray: 62 characters, not hex")
    (db.root / a[:2] / "README").write_bytes(b"stray")
    (db.root / "zz").mkdir()
    (db.root / "zz" / ("0" * 62)).write_bytes(b"not a cache folder")
    beside = db.root / b[:2] / f"{b[2:]}.1a2b.tmp"
    beside.write_bytes(b"half")
    spare = db.temp_path()
    spare.write_bytes(b"half")
    listed = db.listing()
    assert sorted(listed.oids) == sorted([a, b])
    assert sorted(listed.temporaries) == sorted([str(beside), str(spare)])


def _tear(db: ObjectDB, oid: str, keep: int) -> None:
    """What a power cut before write-back leaves: the object's name with part of its bytes."""
    path = db.path_of(oid)
    path.chmod(0o644)
    with open(path, "r+b") as handle:
        handle.truncate(keep)


@pytest.mark.parametrize("size", [10, 200_000])
def test_a_torn_object_is_rewritten_by_the_next_store_of_its_content(db, tmp_path, size):
    data = os.urandom(size)
    src = tmp_path / "src"
    src.write_bytes(data)
    oid = db.add_file(src)
    for store in (
        lambda: db.store_bytes(data),
        lambda: db.store_file(src),
        lambda: db.store_files([src])[0],
    ):
        _tear(db, oid, size // 2)
        assert store() == (oid, True)
        assert db.read_bytes(oid) == data  # whole again, and verified
        assert store() == (oid, False)  # a whole object is left alone
