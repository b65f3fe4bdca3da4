"""push_objects / fetch_objects between two real object caches through a local-folder remote."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.data.fetch import fetch_objects
from cairn.data.packs import PACK_OBJECT_MAX
from cairn.data.progress import Advance, Reporter
from cairn.data.push import push_objects
from cairn.data.remote_index import RemoteIndex
from cairn.data.remote_layout import RemoteStorage, loose_path, pack_path
from cairn.errors import CorruptObject
from cairn.objects.db import ObjectDB


class Recorder(Reporter):
    """A reporter that remembers what it was told."""

    def __init__(self) -> None:
        super().__init__(visible=False)
        self.started: list[tuple[str, int, int]] = []
        self.files = 0
        self.bytes = 0

    @contextlib.contextmanager
    def track(self, description: str, files: int, nbytes: int) -> Iterator[Advance]:
        self.started.append((description, files, nbytes))

        def advance(nbytes: int, files: int = 1) -> None:
            self.files += files
            self.bytes += nbytes

        yield advance


@pytest.fixture
def storage(tmp_path: Path) -> RemoteStorage:
    return RemoteStorage.open("origin", "remote", tmp_path)


def _index(storage: RemoteStorage, copy: Path | None = None) -> RemoteIndex:
    return RemoteIndex(storage, copy).load()


def _fill(cache: ObjectDB, count: int, size: int = 100) -> list[str]:
    return [cache.add_bytes(os.urandom(size)) for _ in range(count)]


def test_small_objects_travel_in_packs_and_big_ones_loose(tmp_path, storage):
    local = ObjectDB(tmp_path / "a")
    small = _fill(local, 300)
    big = _fill(local, 2, PACK_OBJECT_MAX + 10)
    progress = Recorder()
    result = push_objects(local, _index(storage), small + big, [], jobs=3, reporter=progress)
    assert (result.pushed, result.present, result.packs) == (302, 0, 1)
    assert progress.files == 302 and progress.bytes == 300 * 100 + 2 * (PACK_OBJECT_MAX + 10)
    root = Path(storage.root)
    assert len(list((root / "packs").glob("*.pack"))) == 1
    assert sorted(p.name for p in (root / "objects").rglob("*") if p.is_file()) == sorted(
        oid[2:] for oid in big
    )
    other = ObjectDB(tmp_path / "b")
    fetched = fetch_objects(other, _index(storage), small + big, jobs=2)
    assert (fetched.fetched, fetched.failed, fetched.absent) == (302, [], [])
    for oid in small + big:
        assert other.verify(oid)
        assert not os.access(other.path_of(oid), os.W_OK) or os.geteuid() == 0
    assert not list((tmp_path / "b" / "tmp").iterdir())


def test_a_second_push_sends_nothing_and_asks_once(tmp_path, storage):
    local = ObjectDB(tmp_path / "a")
    oids = _fill(local, 50)
    push_objects(local, _index(storage, tmp_path / "idx"), oids, [], jobs=2)
    fresh = RemoteStorage.open("origin", storage.url, tmp_path)
    again = push_objects(local, _index(fresh, tmp_path / "idx"), oids, [], jobs=2)
    assert (again.pushed, again.present, again.requests) == (0, 50, 1)


def test_only_the_new_objects_are_pushed(tmp_path, storage):
    local = ObjectDB(tmp_path / "a")
    first = _fill(local, 20)
    push_objects(local, _index(storage), first, [], jobs=2)
    second = _fill(local, 5)
    result = push_objects(local, _index(storage), first + second, [], jobs=2)
    assert (result.pushed, result.present) == (5, 20)


def test_manifests_go_last_in_their_own_phase(tmp_path, storage):
    local = ObjectDB(tmp_path / "a")
    files = _fill(local, 3)
    manifest = local.add_bytes(b"pretend manifest")
    push_objects(local, _index(storage), files, [manifest], jobs=1)
    index = _index(storage)
    assert index.locations[manifest].pack != index.locations[files[0]].pack


def test_fetch_reads_only_the_ranges_it_needs(tmp_path, storage):
    local = ObjectDB(tmp_path / "a")
    oids = _fill(local, 200, 2000)
    push_objects(local, _index(storage, tmp_path / "idx"), oids, [], jobs=1)
    other = ObjectDB(tmp_path / "b")
    index = _index(RemoteStorage.open("origin", storage.url, tmp_path), tmp_path / "idx")
    result = fetch_objects(other, index, oids[:3], jobs=1)
    assert result.fetched == 3 and result.fetched_bytes == 6000
    assert result.requests == 1 + 1  # the listing, then one ranged read of three neighbours
    everything = fetch_objects(ObjectDB(tmp_path / "c"), index, oids, jobs=1)
    assert everything.fetched == 200
    assert everything.requests == 2 + 1  # one read of the whole pack
    assert {oid for oid in oids if other.has(oid)} == set(oids[:3])


def test_a_flipped_byte_in_a_pack_is_reported_and_not_stored(tmp_path, storage):
    local = ObjectDB(tmp_path / "a")
    oids = _fill(local, 10)
    push_objects(local, _index(storage), oids, [], jobs=1)
    index = _index(storage)
    where = index.locations[oids[4]]
    path = Path(storage.root) / pack_path(where.pack)
    data = bytearray(path.read_bytes())
    data[where.offset + 7] ^= 0x01
    path.write_bytes(bytes(data))
    other = ObjectDB(tmp_path / "b")
    result = fetch_objects(other, index, oids, jobs=2)
    assert result.fetched == 9
    (problem,) = result.failed
    assert isinstance(problem, CorruptObject)
    assert oids[4] in problem.message and pack_path(where.pack) in problem.message
    assert not other.has(oids[4])


def test_a_truncated_loose_object_is_reported_and_not_stored(tmp_path, storage):
    local = ObjectDB(tmp_path / "a")
    (big,) = _fill(local, 1, PACK_OBJECT_MAX * 2)
    push_objects(local, _index(storage), [big], [], jobs=1)
    path = Path(storage.root) / loose_path(big)
    path.write_bytes(path.read_bytes()[:-1])
    other = ObjectDB(tmp_path / "b")
    result = fetch_objects(other, _index(storage), [big], jobs=1)
    (problem,) = result.failed
    assert loose_path(big) in problem.message
    assert not other.has(big)
    assert not list((tmp_path / "b" / "tmp").iterdir())


def test_objects_the_remote_lacks_are_listed_not_fetched(tmp_path, storage):
    other = ObjectDB(tmp_path / "b")
    result = fetch_objects(other, _index(storage), ["a" * 64], jobs=1)
    assert result.absent == ["a" * 64] and result.fetched == 0


def test_a_corrupt_cache_object_is_not_pushed(tmp_path, storage):
    local = ObjectDB(tmp_path / "a")
    oids = _fill(local, 3)
    path = local.path_of(oids[1])
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(CorruptObject, match=oids[1]):
        push_objects(local, _index(storage), oids, [], jobs=1)
    assert len(_index(storage)) == 0
    assert not list(Path(storage.root).rglob("*.pack"))


def test_a_loose_object_already_complete_on_the_remote_is_adopted_not_sent(tmp_path, storage):
    local = ObjectDB(tmp_path / "a")
    (big,) = _fill(local, 1, PACK_OBJECT_MAX + 1)
    storage.upload(loose_path(big), local.path_of(big), big)  # a killed push sent it
    result = push_objects(local, _index(storage), [big], [], jobs=1)
    assert (result.pushed, result.present, result.pushed_bytes) == (0, 1, 0)
    assert big in _index(storage)
