"""ObjectDB.store_files: the C loop (cairn.objects._faststore) and the Python loop it falls
back to give what store_file gives; the C BLAKE3 equals the blake3 package's."""

from __future__ import annotations

import os
from pathlib import Path

import blake3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.errors import CorruptObject, InvalidInput, ObjectMissing
from cairn.objects import db as db_module
from cairn.objects.db import ObjectDB
from cairn.objects.hashing import THREADED_FROM

faststore = db_module._faststore
needs_c = pytest.mark.skipif(faststore is None, reason="cairn.objects._faststore not compiled")

LENGTHS = [0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 3072, 4096 + 1, 31 * 1024,
           (1 << 20) + 7, 5 * 1024 + 512, 6 * 1024, 7 * 1024, 9 * 1024 + 1, 16 * 1024,
           17 * 1024 - 1]  # fmt: skip


@needs_c
@pytest.mark.parametrize("length", LENGTHS)
def test_c_blake3_equals_the_package(length: int) -> None:
    data = os.urandom(length)
    assert faststore.hash_bytes(data) == blake3.blake3(data).hexdigest()


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=12_000))
def test_c_blake3_equals_the_package_on_any_bytes(data: bytes) -> None:
    assert faststore.hash_bytes(data) == blake3.blake3(data).hexdigest()


@pytest.fixture(params=["c", "c-named", "python"])
def cache(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An empty ObjectDB, storing through the C loop (writing unnamed files linked into
    place, or named ones renamed, as where the filesystem has no O_TMPFILE) or (the
    extension set aside) Python's."""
    if request.param.startswith("c") and faststore is None:
        pytest.skip("cairn.objects._faststore not compiled")
    if request.param == "python":
        monkeypatch.setattr(db_module, "_faststore", None)
    before = faststore.use_unnamed(request.param != "c-named") if faststore else None
    yield ObjectDB(tmp_path / "cache")
    if faststore is not None:
        faststore.use_unnamed(before)


def _files(folder: Path, sizes: list[int]) -> list[str]:
    folder.mkdir()
    paths = []
    for index, size in enumerate(sizes):
        path = folder / f"f{index}"
        path.write_bytes(os.urandom(size))
        paths.append(str(path))
    return paths


def _object_files(cache: ObjectDB) -> dict[str, int]:
    """Every object's oid and mode bits."""
    return {oid: os.stat(cache.path_of(oid)).st_mode & 0o777 for oid in cache.iter_oids()}


def test_results_equal_store_file(cache: ObjectDB, tmp_path: Path) -> None:
    sizes = [0, 1, 100, 1024, 4000, 8192, 70_000, THREADED_FROM + 5]
    paths = _files(tmp_path / "src", sizes)
    paths.append(paths[3])  # the same bytes again: present by then
    os.symlink(paths[2], tmp_path / "link")
    paths.append(str(tmp_path / "link"))
    reference = ObjectDB(tmp_path / "reference")
    expected = [reference.store_file(path, durable=False) for path in paths]

    got = cache.store_files(paths, durable=False, jobs=1)

    assert got == expected
    assert [written for _, written in got] == [True] * len(sizes) + [False, False]
    assert _object_files(cache) == dict.fromkeys((oid for oid, _ in expected), 0o444)
    for path, (oid, _) in zip(paths, got, strict=True):
        assert cache.read_bytes(oid) == Path(path).read_bytes()
    assert cache.listing().temporaries == []
    assert sorted(cache._unsynced) == sorted(str(cache.path_of(oid)) for oid, _ in got[:-2])
    cache.sync()
    assert cache._unsynced == []


def test_many_files_in_threads(cache: ObjectDB, tmp_path: Path) -> None:
    paths = _files(tmp_path / "src", [1024 + 37 * i for i in range(300)])
    got = cache.store_files(paths, durable=False, jobs=4)
    assert got == [(blake3.blake3(Path(p).read_bytes()).hexdigest(), True) for p in paths]
    assert len(_object_files(cache)) == 300
    assert cache.listing().temporaries == []


def test_present_objects_are_not_rewritten(cache: ObjectDB, tmp_path: Path) -> None:
    paths = _files(tmp_path / "src", [10, 5000, 9000])
    first = cache.store_files(paths, durable=True, jobs=2)
    before = {oid: os.stat(cache.path_of(oid)) for oid, _ in first}
    again = cache.store_files(paths, durable=False, jobs=2)
    assert again == [(oid, False) for oid, _ in first]
    for oid, stat in before.items():
        now = os.stat(cache.path_of(oid))
        assert (now.st_ino, now.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert cache._unsynced == []


def test_known_oids_are_trusted(cache: ObjectDB, tmp_path: Path) -> None:
    paths = _files(tmp_path / "src", [300, 600, 900])
    oids = [blake3.blake3(Path(p).read_bytes()).hexdigest() for p in paths]
    cache.store_files(paths[:1], durable=False)
    os.unlink(paths[0])  # present already: the file is not even opened
    wrong = "0" * 64  # the caller's word is taken, as with store_file(src, oid)
    got = cache.store_files(paths, [oids[0], None, wrong], durable=False, jobs=2)
    assert got == [(oids[0], False), (oids[1], True), (wrong, True)]
    assert cache.read_bytes(wrong, verify=False) == Path(paths[2]).read_bytes()
    assert os.stat(cache.path_of(wrong)).st_mode & 0o777 == 0o444


def test_a_bad_oid_is_refused_before_anything_is_stored(cache: ObjectDB, tmp_path: Path) -> None:
    paths = _files(tmp_path / "src", [10, 20])
    with pytest.raises(InvalidInput, match="XYZ"):
        cache.store_files(paths, [None, "XYZ"])
    assert not cache.root.exists() or _object_files(cache) == {}


@pytest.mark.parametrize("kind", ["missing", "dangling symlink"])
def test_a_missing_file_raises_file_not_found(cache: ObjectDB, tmp_path: Path, kind: str) -> None:
    paths = _files(tmp_path / "src", [100, 200])
    bad = tmp_path / "src" / "gone"
    if kind == "dangling symlink":
        os.symlink(tmp_path / "nowhere", bad)
    with pytest.raises(FileNotFoundError) as caught:
        cache.store_files([paths[0], str(bad), paths[1]], durable=False, jobs=2)
    assert caught.value.filename == str(bad)
    assert str(bad) in str(caught.value)
    first = blake3.blake3(Path(paths[0]).read_bytes()).hexdigest()
    assert first in _object_files(cache)  # the files before the error are stored
    assert cache.listing().temporaries == []


def test_a_folder_raises_is_a_directory(cache: ObjectDB, tmp_path: Path) -> None:
    paths = _files(tmp_path / "src", [100])
    with pytest.raises(IsADirectoryError) as caught:
        cache.store_files([paths[0], str(tmp_path / "src")], durable=False)
    assert caught.value.filename == str(tmp_path / "src")
    assert cache.listing().temporaries == []


def test_a_file_in_place_of_a_prefix_folder_raises(cache: ObjectDB, tmp_path: Path) -> None:
    paths = _files(tmp_path / "src", [100])
    oid = blake3.blake3(Path(paths[0]).read_bytes()).hexdigest()
    cache.root.mkdir(parents=True)
    (cache.root / oid[:2]).write_bytes(b"in the way")
    with pytest.raises(FileExistsError):
        cache.store_files(paths, durable=False)
    assert (cache.root / oid[:2]).read_bytes() == b"in the way"
    assert cache._unsynced == []


@pytest.mark.skipif(not os.path.isfile("/proc/self/mountinfo"), reason="needs Linux /proc")
def test_bytes_read_not_the_size_seen_name_the_object(cache: ObjectDB) -> None:
    """fstat says 0 bytes but reading gives more (as when a file grows while it is read):
    the object is named by the bytes written."""
    source = "/proc/self/mountinfo"
    assert os.stat(source).st_size == 0
    [(oid, written)] = cache.store_files([source], durable=False)
    data = cache.read_bytes(oid, verify=False)
    assert written and data
    assert blake3.blake3(data).hexdigest() == oid


def test_no_paths_store_nothing(cache: ObjectDB) -> None:
    assert cache.store_files([], None, jobs=4) == []


# -- the C loop's linked objects: it writes an unnamed file and links it into place -----------


def _same_prefix_files(folder: Path, count: int) -> list[str]:
    """``count`` files of distinct bytes whose oids share one prefix folder."""
    folder.mkdir()
    by_prefix: dict[str, list[bytes]] = {}
    while True:
        data = os.urandom(700)
        group = by_prefix.setdefault(blake3.blake3(data).hexdigest()[:2], [])
        group.append(data)
        if len(group) == count:
            break
    paths = []
    for index, data in enumerate(group):
        (folder / f"f{index}").write_bytes(data)
        paths.append(str(folder / f"f{index}"))
    return paths


@needs_c
def test_the_same_bytes_many_times_in_one_batch_are_written_once(tmp_path: Path) -> None:
    cache = ObjectDB(tmp_path / "cache")
    paths = _files(tmp_path / "src", [900, 2000])
    copies = [paths[i % 2] for i in range(200)]
    got = cache.store_files(copies, durable=False, jobs=4)
    assert sum(written for _, written in got) == 2
    assert len(_object_files(cache)) == 2
    assert cache.listing().temporaries == []


@needs_c
def test_an_object_another_writer_put_in_a_folder_made_here_is_left_alone(tmp_path: Path) -> None:
    first, second = _same_prefix_files(tmp_path / "src", 2)
    cache = ObjectDB(tmp_path / "cache")
    [(oid, written)] = cache.store_files([first], durable=False)  # makes the prefix folder
    assert written
    other = ObjectDB(tmp_path / "cache")  # another process's view of the same cache
    their_oid, _ = other.store_bytes(Path(second).read_bytes(), durable=False)
    before = os.stat(cache.path_of(their_oid))
    assert cache.store_files([second, first], durable=False, jobs=2) == [
        (their_oid, False),
        (oid, False),
    ]
    now = os.stat(cache.path_of(their_oid))
    assert (now.st_ino, now.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@needs_c
def test_a_torn_object_in_a_folder_made_here_is_rewritten(tmp_path: Path) -> None:
    [path] = _files(tmp_path / "src", [5000])
    cache = ObjectDB(tmp_path / "cache")
    [(oid, _)] = cache.store_files([path], durable=False)
    torn = cache.path_of(oid)
    torn.chmod(0o644)
    os.truncate(torn, 100)  # what a power cut before write-back leaves
    assert cache.store_files([path], durable=False) == [(oid, True)]
    assert cache.read_bytes(oid) == Path(path).read_bytes()
    assert os.stat(torn).st_mode & 0o777 == 0o444
    assert cache.listing().temporaries == []


# -- store_blobs: ranges of one buffer (a pack's bytes), checked, then stored ------------------


def test_store_blobs_stores_each_checked_range(cache: ObjectDB) -> None:
    blobs = [os.urandom(size) for size in (0, 10, 3000, 70_000)]
    data = b"".join(blobs)
    entries, at = [], 0
    for blob in blobs:
        entries.append((blake3.blake3(blob).hexdigest(), at, len(blob)))
        at += len(blob)
    assert cache.store_blobs(data, entries, durable=False, jobs=2) == [True] * 4
    assert cache.store_blobs(memoryview(data), entries, durable=False) == [False] * 4
    for (oid, _, _), blob in zip(entries, blobs, strict=True):
        assert cache.read_bytes(oid) == blob
        assert os.stat(cache.path_of(oid)).st_mode & 0o777 == 0o444
    assert cache.listing().temporaries == []


def test_store_blobs_names_what_bad_bytes_hash_to_and_stores_nothing_of_them(
    cache: ObjectDB,
) -> None:
    good, bad = os.urandom(500), os.urandom(600)
    claimed = blake3.blake3(b"what the index promised").hexdigest()
    entries = [(claimed, 0, 600), (blake3.blake3(good).hexdigest(), 600, 500)]
    got = cache.store_blobs(bad + good, entries, durable=False)
    assert got == [blake3.blake3(bad).hexdigest(), True]
    assert not cache.has(claimed) and not cache.has(blake3.blake3(bad).hexdigest())


def test_store_blobs_raises_where_the_cache_cannot_be_written(cache: ObjectDB) -> None:
    blob = os.urandom(100)
    oid = blake3.blake3(blob).hexdigest()
    cache.root.mkdir(parents=True)
    (cache.root / oid[:2]).write_bytes(b"in the way")
    with pytest.raises(FileExistsError):
        cache.store_blobs(blob, [(oid, 0, 100)], durable=False)
    assert (cache.root / oid[:2]).read_bytes() == b"in the way"


# -- read_many: objects read whole and checked (the small objects of a pack) -------------------


def test_read_many_gives_each_objects_bytes(cache: ObjectDB) -> None:
    blobs = [os.urandom(size) for size in (0, 5, 4000, 70_000)]
    oids = [cache.add_bytes(blob) for blob in blobs]
    assert cache.read_many([*oids, oids[1]], jobs=2) == [*blobs, blobs[1]]


def test_read_many_raises_for_a_corrupt_or_missing_object(cache: ObjectDB) -> None:
    good, bad = cache.add_bytes(b"good bytes"), cache.add_bytes(b"bytes to break")
    broken = cache.path_of(bad)
    broken.chmod(0o644)
    broken.write_bytes(b"Bytes to break")
    with pytest.raises(CorruptObject, match=str(cache.path_of(bad))):
        cache.read_many([good, bad])
    with pytest.raises(ObjectMissing, match="0" * 64):
        cache.read_many([good, "0" * 64])
