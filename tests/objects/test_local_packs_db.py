"""ObjectDB with local packs: PackWriter, reading packed objects, the index on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cairn.errors import CorruptObject, ObjectMissing
from cairn.objects import db as db_module
from cairn.objects.db import ObjectDB
from cairn.objects.hashing import THREADED_FROM, hash_bytes
from cairn.objects.local_packs import ENTRY, INDEX_SUFFIX, MAGIC, PACK_SUFFIX, index_bytes

pytestmark = pytest.mark.skipif(db_module._faststore is None, reason="needs the C extension")


def _files(folder: Path, contents: list[bytes]) -> list[str]:
    folder.mkdir(exist_ok=True)
    paths = []
    for i, data in enumerate(contents):
        path = folder / f"f{i}"
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def test_a_pack_holds_new_objects_once_and_is_indexed_on_close(tmp_path):
    cache = ObjectDB(tmp_path / "cache")
    paths = _files(tmp_path / "src", [b"one", b"two", b"one", b""])
    with cache.pack_writer() as writer:
        results = writer.store_files(paths, jobs=2)
        assert not list(cache.packs.folder.glob(f"*{INDEX_SUFFIX}"))  # not yet visible
    assert [oid for oid, _ in results] == [hash_bytes(b) for b in (b"one", b"two", b"one", b"")]
    assert sorted(written for _, written in results) == [False, True, True, True]
    assert len(list(cache.packs.folder.glob(f"*{INDEX_SUFFIX}"))) == 1
    other = ObjectDB(tmp_path / "cache")  # another process's view, from the files
    for data in (b"one", b"two", b""):
        assert other.read_bytes(hash_bytes(data)) == data and other.verify(hash_bytes(data))
        assert other.size(hash_bytes(data)) == len(data)
    assert sorted(other.listing().oids) == sorted({oid for oid, _ in results})


def test_present_objects_are_not_packed_again_and_an_empty_pack_is_removed(tmp_path):
    cache = ObjectDB(tmp_path / "cache")
    oid = cache.add_bytes(b"loose already")
    paths = _files(tmp_path / "src", [b"loose already"])
    with cache.pack_writer() as writer:
        assert writer.store_files(paths) == [(oid, False)]
        assert writer.store_files(paths, [oid]) == [(oid, False)]  # known: not even read
    assert list(cache.packs.folder.glob("*")) == []


def test_big_files_go_loose_beside_the_pack(tmp_path):
    cache = ObjectDB(tmp_path / "cache")
    big = os.urandom(THREADED_FROM + 1)
    paths = _files(tmp_path / "src", [b"small", big])
    with cache.pack_writer() as writer:
        (small_oid, _), (big_oid, _) = writer.store_files(paths)
    assert cache.packed(small_oid) is not None and cache.packed(big_oid) is None
    assert cache.path_of(big_oid).read_bytes() == big


def test_a_missing_file_raises_after_the_others_are_packed(tmp_path):
    cache = ObjectDB(tmp_path / "cache")
    paths = _files(tmp_path / "src", [b"kept"])
    with cache.pack_writer() as writer, pytest.raises(FileNotFoundError):
        writer.store_files([*paths, str(tmp_path / "src" / "nope")], jobs=1)
    assert cache.read_bytes(hash_bytes(b"kept")) == b"kept"


def test_index_entries_past_the_end_of_their_pack_are_ignored(tmp_path):
    """A power cut can leave an index whose pack's bytes never reached the disk."""
    folder = tmp_path / "cache" / "packs"
    folder.mkdir(parents=True)
    (folder / f"torn{PACK_SUFFIX}").write_bytes(b"whole")
    whole, torn = hash_bytes(b"whole"), hash_bytes(b"never written")
    (folder / f"torn{INDEX_SUFFIX}").write_bytes(index_bytes([(whole, 0, 5), (torn, 5, 13)]))
    cache = ObjectDB(tmp_path / "cache")
    assert cache.has(whole) and not cache.has(torn)
    with pytest.raises(ObjectMissing):
        cache.read_bytes(torn)


def test_a_damaged_index_is_ignored(tmp_path):
    folder = tmp_path / "cache" / "packs"
    folder.mkdir(parents=True)
    (folder / f"bad{PACK_SUFFIX}").write_bytes(b"x" * 100)
    (folder / f"bad{INDEX_SUFFIX}").write_bytes(MAGIC + b"\0" * (ENTRY.size - 1))
    assert ObjectDB(tmp_path / "cache").listing().oids == []


def test_a_pack_written_by_another_process_is_seen(tmp_path):
    reader = ObjectDB(tmp_path / "cache")
    assert not reader.has(hash_bytes(b"later"))  # (the index is read, and empty)
    writer = ObjectDB(tmp_path / "cache")
    with writer.pack_writer() as pack:
        pack.store_files(_files(tmp_path / "src", [b"later"]))
    assert reader.has(hash_bytes(b"later"))
    assert reader.present([hash_bytes(b"later")]) == {hash_bytes(b"later")}


def test_a_corrupt_packed_object_is_dropped_and_a_new_copy_wins(tmp_path):
    cache = ObjectDB(tmp_path / "cache")
    with cache.pack_writer() as writer:
        [(oid, _)] = writer.store_files(_files(tmp_path / "src", [b"precious"]))
    where = cache.packed(oid)
    os.chmod(where.pack, 0o644)
    with open(where.pack, "r+b") as handle:
        handle.write(b"X")
    with pytest.raises(CorruptObject, match=r"bytes 0-8 of .*\.pack\) is corrupt.*dropped"):
        cache.read_many([oid])
    assert not ObjectDB(tmp_path / "cache").has(oid)  # dropped, for every process
    with cache.pack_writer() as writer:
        assert writer.store_files(_files(tmp_path / "again", [b"precious"])) == [(oid, True)]
    assert ObjectDB(tmp_path / "cache").read_bytes(oid) == b"precious"
    cache.remove_many([])  # gc's repack: the bad bytes and the list of them go
    assert not cache.packs.dropped() and cache.read_bytes(oid) == b"precious"
    assert len(list(cache.packs.folder.glob(f"*{PACK_SUFFIX}"))) == 1


def test_file_of_gives_a_loose_copy_of_a_packed_object(tmp_path):
    cache = ObjectDB(tmp_path / "cache")
    with cache.pack_writer() as writer:
        [(oid, _)] = writer.store_files(_files(tmp_path / "src", [b"for a link"]))
    assert not cache.path_of(oid).exists()
    assert cache.file_of(oid).read_bytes() == b"for a link"
    assert cache.packed(oid) is None  # the loose copy is read from now on


def test_remove_many_rewrites_a_pack_without_the_removed_objects(tmp_path):
    cache = ObjectDB(tmp_path / "cache")
    with cache.pack_writer() as writer:
        results = writer.store_files(_files(tmp_path / "src", [b"a", b"b", b"c"]))
    a, b, c = (oid for oid, _ in results)
    cache.remove_many([b])
    fresh = ObjectDB(tmp_path / "cache")
    assert fresh.read_bytes(a) == b"a" and fresh.read_bytes(c) == b"c" and not fresh.has(b)
    cache.remove_many([a, c])
    assert list(cache.packs.folder.glob("*")) == []


@pytest.mark.parametrize("loop", ["c", "python"])
def test_blobs_are_checked_and_packed_neighbours_in_one_write(tmp_path, monkeypatch, loop):
    if loop == "python":
        monkeypatch.setattr(db_module, "_faststore", None)
    cache = ObjectDB(tmp_path / "cache")
    loose = cache.add_bytes(b"loose already")
    parts = [b"first", b"second", b"loose already", b"bad", b"", b"after a gap"]
    data = b"".join(parts[:5]) + b"gap" + parts[5]
    entries, at = [], 0
    for part in parts:
        at += 3 if part == b"after a gap" else 0
        entries.append((hash_bytes(b"bad!" if part == b"bad" else part), at, len(part)))
        at += len(part)
    writes = []
    real = os.pwrite
    monkeypatch.setattr(os, "pwrite", lambda *a: writes.append(a[1].tobytes()) or real(*a))
    with cache.pack_writer(durable=False) as writer:
        results = writer.store_blobs(data, entries, jobs=2)
        assert writer.store_blobs(data, entries[:1]) == [False]  # packed already
    assert results == [True, True, False, hash_bytes(b"bad"), True, True]
    assert writes == [b"firstsecond", b"after a gap"]  # (the bad bytes never written)
    fresh = ObjectDB(tmp_path / "cache")
    for part in (b"first", b"second", b"", b"after a gap"):
        assert fresh.packed(hash_bytes(part)) is not None
        assert fresh.read_bytes(hash_bytes(part)) == part
    assert fresh.packed(loose) is None and not fresh.has(hash_bytes(b"bad!"))


def test_blobs_stored_from_many_threads_land_once_each(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    cache = ObjectDB(tmp_path / "cache")
    parts = [os.urandom(100 + i) for i in range(400)]
    data = b"".join(parts)
    entries, at = [], 0
    for part in parts:
        entries.append((hash_bytes(part), at, len(part)))
        at += len(part)
    batches = [entries[i : i + 40] for i in range(0, 400, 40)] * 2  # every object twice
    with cache.pack_writer(durable=False) as writer, ThreadPoolExecutor(4) as pool:
        outcomes = [
            r for rs in pool.map(lambda b: writer.store_blobs(data, b), batches) for r in rs
        ]
    assert outcomes.count(True) == 400 and outcomes.count(False) == 400
    fresh = ObjectDB(tmp_path / "cache")
    [pack] = fresh.packs.folder.glob(f"*{PACK_SUFFIX}")
    assert pack.stat().st_size == len(data)
    assert fresh.read_many([oid for oid, _, _ in entries]) == parts


def test_a_failed_pack_write_keeps_what_was_written_and_lets_the_rest_be_retried(
    tmp_path, monkeypatch
):
    import errno

    cache = ObjectDB(tmp_path / "cache")
    data = b"one" + b"gap" + b"two"
    entries = [(hash_bytes(b"one"), 0, 3), (hash_bytes(b"two"), 6, 3)]
    real, calls = os.pwrite, []

    def full_disk(fd, chunk, at):
        calls.append(at)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, chunk, at)

    with cache.pack_writer(durable=False) as writer:
        monkeypatch.setattr(os, "pwrite", full_disk)
        with pytest.raises(OSError, match="No space"):
            writer.store_blobs(data, entries)
        monkeypatch.setattr(os, "pwrite", real)
        assert writer.store_blobs(data, entries) == [False, True]  # the second, again
    fresh = ObjectDB(tmp_path / "cache")
    assert fresh.read_bytes(hash_bytes(b"one")) == b"one"
    assert fresh.read_bytes(hash_bytes(b"two")) == b"two"
