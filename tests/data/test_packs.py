"""Pack files: building, their index, grouping and the merged ranged reads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.data.packs import (
    PackEntry,
    PackTable,
    build_pack,
    decode_index,
    group_for_packs,
    plan_reads,
)
from cairn.errors import CorruptObject
from cairn.objects.hashing import hash_bytes


def _objects(*blobs: bytes) -> list[tuple[str, bytes]]:
    return [(hash_bytes(blob), blob) for blob in blobs]


def test_a_pack_is_the_concatenation_named_by_its_hash():
    objects = _objects(b"alpha", b"", b"gamma-gamma")
    pack = build_pack(objects)
    assert pack.data == b"alphagamma-gamma"
    assert pack.oid == hash_bytes(pack.data)
    assert [(e.offset, e.length) for e in pack.entries] == [(0, 5), (5, 0), (5, 11)]
    for (oid, blob), entry in zip(objects, pack.entries, strict=True):
        assert entry.oid == oid
        assert pack.data[entry.offset : entry.end] == blob


def test_duplicates_are_stored_once():
    pack = build_pack(_objects(b"same", b"same", b"other"))
    assert len(pack.entries) == 2
    assert pack.data == b"sameother"


def test_index_round_trips_and_is_deterministic():
    pack = build_pack(_objects(b"one", b"two"))
    assert pack.index_bytes() == build_pack(_objects(b"one", b"two")).index_bytes()
    name, table = decode_index(pack.index_bytes(), "packs/x.idx")
    assert (name, table.size, table.entries()) == (pack.oid, len(pack.data), list(pack.entries))
    assert PackTable.of(table.size, table.entries()) == table


def _add_row(doc: dict, oid: str, offset: object, length: object) -> None:
    doc["oids"] += oid
    doc["offsets"].append(offset)
    doc["lengths"].append(length)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda doc: doc.update(format="other"),
        lambda doc: doc.update(version=99),
        lambda doc: doc.update(pack="not-an-oid"),
        lambda doc: doc.update(size=-1),
        lambda doc: _add_row(doc, "a" * 64, 0, 10_000),  # past the end of the pack
        lambda doc: _add_row(doc, "Z" * 64, 0, 1),
        lambda doc: _add_row(doc, "a" * 63, 0, 1),
        lambda doc: _add_row(doc, "a" * 64, -1, 1),
        lambda doc: _add_row(doc, "a" * 64, True, 1),
        lambda doc: _add_row(doc, "a" * 64, "0", 1),
        lambda doc: doc["offsets"].pop(),
        lambda doc: doc.update(oids=7),
        lambda doc: doc.update(lengths="nope"),
    ],
)
def test_a_bad_index_is_refused_naming_its_source(mutate):
    pack = build_pack(_objects(b"one", b"two"))
    doc = json.loads(pack.index_bytes())
    mutate(doc)
    with pytest.raises(CorruptObject, match="packs/p.idx"):
        decode_index(json.dumps(doc).encode(), "packs/p.idx")


def test_not_json_is_refused():
    with pytest.raises(CorruptObject, match="not valid JSON"):
        decode_index(b"\xff\x00garbage", "packs/p.idx")


def test_grouping_keeps_order_and_closes_at_the_target():
    sized = [(f"{i:064x}", 40) for i in range(10)]
    groups = group_for_packs(sized, target=100)
    assert [len(g) for g in groups] == [2, 2, 2, 2, 2]
    assert [oid for group in groups for oid in group] == [oid for oid, _ in sized]
    # an object bigger than the target gets a pack of its own
    assert group_for_packs([("a", 500), ("b", 1)], target=100) == [["a"], ["b"]]
    assert group_for_packs([]) == []


def _entry(offset: int, length: int) -> PackEntry:
    return PackEntry(f"{offset:064x}", offset, length)


def test_close_ranges_merge_and_far_ones_do_not():
    entries = [_entry(0, 10), _entry(10, 10), _entry(25, 5), _entry(1000, 10)]
    reads = plan_reads(entries, gap=10, span=10_000)
    assert [(r.start, r.end) for r in reads] == [(0, 30), (1000, 1010)]
    assert [len(r.members) for r in reads] == [3, 1]


def test_span_caps_a_merged_read():
    entries = [_entry(i * 10, 10) for i in range(10)]
    reads = plan_reads(entries, gap=0, span=30)
    assert [(r.start, r.end) for r in reads] == [(0, 30), (30, 60), (60, 90), (90, 100)]


def _cut(read, data):
    return {oid: data[start : start + length] for oid, start, length in read.spans(len(data))}


def test_spans_cut_each_member_out_of_the_read():
    pack = build_pack(_objects(b"aaaa", b"bb", b"cccccc", b"d"))
    wanted = [pack.entries[1], pack.entries[3]]
    (read,) = plan_reads(wanted, gap=100)
    data = pack.data[read.start : read.end]
    assert _cut(read, data) == {hash_bytes(b"bb"): b"bb", hash_bytes(b"d"): b"d"}
    # a short read (a truncated pack) cuts the members short, the last down to nothing
    assert _cut(read, data[:3]) == {hash_bytes(b"bb"): b"bb", hash_bytes(b"d"): b""}
    assert read.spans(1)[1] == (hash_bytes(b"d"), 1, 0)


@given(
    st.lists(st.binary(max_size=50), max_size=30, unique=True),
    st.integers(0, 64),
    st.integers(1, 400),
    st.data(),
)
def test_every_wanted_object_comes_back_whole(blobs, gap, span, data):
    pack = build_pack(_objects(*blobs))
    wanted = data.draw(st.lists(st.sampled_from(pack.entries), unique=True) if pack.entries
                       else st.just([]))  # fmt: skip
    found = {}
    for read in plan_reads(wanted, gap=gap, span=span):
        assert read.length <= max(span, max(m.length for m in read.members))
        found.update(_cut(read, pack.data[read.start : read.end]))
    assert found == {e.oid: pack.data[e.offset : e.end] for e in wanted}
