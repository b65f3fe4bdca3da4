"""The remote index on a real local folder: segments, the local copy, compaction, orphans."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cairn.data.packs import build_pack
from cairn.data.remote_index import IndexRecorder, Location, RemoteIndex, Segment
from cairn.data.remote_layout import RemoteStorage, pack_index_path, pack_path
from cairn.errors import CorruptObject
from cairn.objects.hashing import hash_bytes


@pytest.fixture
def storage(tmp_path: Path) -> RemoteStorage:
    return RemoteStorage.open("origin", str(tmp_path / "remote"), tmp_path)


def _fresh(storage: RemoteStorage) -> RemoteStorage:
    """Another client's view of the same remote (with its own request count)."""
    return RemoteStorage.open(storage.name, storage.url, Path("/"))


def _oid(n: int) -> str:
    return hash_bytes(str(n).encode())


def _loose(*numbers: int) -> Segment:
    return Segment(loose={_oid(n): n for n in numbers})


def test_an_empty_remote_has_an_empty_index(storage, tmp_path):
    index = RemoteIndex(storage, tmp_path / "cache").load()
    assert len(index) == 0
    assert storage.requests == 1


def test_segments_written_are_seen_by_a_fresh_reader(storage, tmp_path):
    writer = RemoteIndex(storage, tmp_path / "w").load()
    writer.write_segment(_loose(1, 2))
    pack = build_pack([(_oid(3), b"x" * 3)])
    writer.write_segment(Segment(packs={pack.oid: pack.table()}))
    reader = RemoteIndex(storage, tmp_path / "r").load()
    assert reader.locations == {
        _oid(1): Location(None, 0, 1),
        _oid(2): Location(None, 0, 2),
        _oid(3): Location(pack.oid, 0, 3),
    }
    assert reader.missing([_oid(1), _oid(9), _oid(3)]) == [_oid(9)]


def test_an_unchanged_remote_costs_one_listing(storage, tmp_path):
    RemoteIndex(storage, tmp_path / "w").load().write_segment(_loose(1))
    first = RemoteIndex(reader := _fresh(storage), tmp_path / "r").load()
    assert reader.requests == 2  # the listing and the new segment
    second = RemoteIndex(reader := _fresh(storage), tmp_path / "r").load()
    assert reader.requests == 1
    assert second.locations == first.locations


def test_a_tampered_local_copy_is_fetched_again(storage, tmp_path):
    RemoteIndex(storage, tmp_path / "w").load().write_segment(_loose(1))
    reader = RemoteIndex(storage, tmp_path / "r").load()
    (cached,) = (tmp_path / "r").glob("*.json")
    cached.write_bytes(cached.read_bytes().replace(b'"sizes":[1]', b'"sizes":[2]'))
    again = RemoteIndex(other := _fresh(storage), tmp_path / "r").load()
    assert again.locations == reader.locations
    assert other.requests == 2


def test_a_corrupt_remote_segment_is_reported_with_its_path(storage, tmp_path):
    name = RemoteIndex(storage, None).load().write_segment(_loose(1))
    path = Path(storage.root) / "index" / f"{name}.json"
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(CorruptObject, match=f"index/{name}.json is corrupt"):
        RemoteIndex(storage, tmp_path / "fresh").load()


def test_compaction_merges_segments_and_keeps_every_entry(storage, tmp_path):
    index = RemoteIndex(storage, tmp_path / "c").load()
    pack = build_pack([(_oid(100), b"p" * 7), (_oid(101), b"q" * 2)])
    index.write_segment(Segment(packs={pack.oid: pack.table()}))
    for n in range(5):
        index.write_segment(_loose(n))
    before = dict(index.locations)
    assert not index.compact(at=10)
    assert index.compact(at=3)
    assert len(list((Path(storage.root) / "index").iterdir())) == 1
    assert len(list((tmp_path / "c").glob("*.json"))) == 1
    fresh = RemoteIndex(storage, tmp_path / "other").load()
    assert fresh.locations == before
    assert fresh.packs == {pack.oid: 9}


def test_a_reader_holding_old_segment_names_lists_again(storage, tmp_path):
    index = RemoteIndex(storage, None).load()
    for n in range(4):
        index.write_segment(_loose(n))
    stale = RemoteIndex(storage, None)
    names = stale._list_segments()
    real_list = stale._list_segments
    calls = []

    def racing_list() -> list[str]:
        calls.append(1)
        if len(calls) == 1:
            RemoteIndex(storage, None).load().compact(at=1)  # another client compacts now
            return names
        return real_list()

    stale._list_segments = racing_list  # type: ignore[method-assign]
    stale.load()
    assert len(calls) == 2
    assert set(stale.locations) == {_oid(n) for n in range(4)}


def test_orphan_packs_are_adopted(storage, tmp_path):
    pack = build_pack([(_oid(7), b"seven"), (_oid(8), b"eight")])
    storage.write(pack_path(pack.oid), pack.data)
    storage.write(pack_index_path(pack.oid), pack.index_bytes())
    half = build_pack([(_oid(9), b"nine")])  # an index without its pack is not adopted
    storage.write(pack_index_path(half.oid), half.index_bytes())
    index = RemoteIndex(storage, None).load()
    assert index.adopt_orphan_packs() == 2
    assert set(RemoteIndex(storage, None).load().locations) == {_oid(7), _oid(8)}
    assert index.adopt_orphan_packs() == 0


def test_recorder_flushes_by_count_and_on_demand(storage):
    index = RemoteIndex(storage, None).load()
    recorder = IndexRecorder(index, every_seconds=3600, every_objects=3)
    recorder.loose(_oid(1), 1)
    recorder.loose(_oid(2), 2)
    assert RemoteIndex(storage, None).load().locations == {}
    recorder.loose(_oid(3), 3)
    assert len(RemoteIndex(storage, None).load()) == 3
    recorder.loose(_oid(4), 4)
    recorder.flush()
    recorder.flush()  # nothing pending: no empty segment
    assert len(RemoteIndex(storage, None).load().segments) == 2


@pytest.mark.parametrize(
    "text",
    [
        b'{"format":"cairn-remote-index","version":1,"loose":{"oids":"ab","sizes":[1]},"packs":{}}',
        b'{"format":"cairn-remote-index","version":1,"loose":{"oids":"","sizes":[1]},"packs":{}}',
        b'{"format":"cairn-remote-index","version":1,"loose":{"oids":"","sizes":[]},"packs":[]}',
        b'{"format":"cairn-remote-index","version":1,"loose":{"oids":"","sizes":[]},'
        b'"packs":{"nope":{"size":1,"oids":"","offsets":[],"lengths":[]}}}',
        b'{"format":"cairn-remote-index","version":2,"loose":{},"packs":{}}',
        b'{"format":"other"}',
        b"[]",
        b"\xff",
    ],
)
def test_a_nonsense_segment_is_refused(text):
    with pytest.raises(CorruptObject, match="index/x.json"):
        Segment.from_bytes(text, "index/x.json")


def test_a_segment_round_trips():
    pack = build_pack([(_oid(1), b"a"), (_oid(2), b"bc")])
    segment = Segment(loose={_oid(3): 10, _oid(4): 0}, packs={pack.oid: pack.table()})
    again = Segment.from_bytes(segment.to_bytes(), "x")
    assert again == segment and again.to_bytes() == segment.to_bytes()
