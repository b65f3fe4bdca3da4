"""The state index on a real SQLite file: bulk loads, racy files, folder matches, damage."""

from __future__ import annotations

import os
import time

from cairn.data.state import RACY_NS, StateIndex, signature

A, B = "a" * 64, "b" * 64


def test_record_and_load_a_folder_in_one_query(tmp_path):
    state = StateIndex(tmp_path / "state.db")
    rows = [(f"many/d{i % 3}/f{i}", (i, 10, 20), A) for i in range(100)]
    rows.append(("manyother/x", (1, 1, 1), B))  # shares a prefix, not the folder
    state.record(rows)
    under = state.under("many")
    assert len(under) == 100 and under["d1/f1"] == ((1, 10, 20), A)
    assert state.get("manyother/x") == ((1, 1, 1), B)
    state.record([("many/new", (5, 5, 5), B)], drop_under="many")
    assert state.under("many") == {"new": ((5, 5, 5), B)}
    state.forget(["many/new"])
    assert state.under("many") == {} and state.get("many/new") is None
    state.close()
    assert StateIndex(tmp_path / "state.db").get("manyother/x") is not None  # persisted


def test_files_modified_just_before_they_were_seen_are_not_trusted(tmp_path):
    state = StateIndex(tmp_path / "state.db")
    now = time.time_ns()
    state.record(
        [("old", (1, now - 10 * RACY_NS, 1), A), ("racy", (2, now - RACY_NS // 2, 1), A)],
        observed_at_ns=now,
    )
    assert state.get("old") is not None and state.get("racy") is None
    state.record([("racy", (2, now, 1), A)])  # written by cairn itself: recorded
    assert state.get("racy") is not None


def test_signature_of_a_stat(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"123")
    st = os.stat(path)
    assert signature(st) == (st.st_ino, st.st_mtime_ns, 3)


def test_verified_objects_and_folder_matches(tmp_path):
    state = StateIndex(tmp_path / "state.db")
    state.mark_verified([(A, (1, 2, 3)), (B, (4, 5, 6))])
    assert state.is_verified(A, (1, 2, 3)) and not state.is_verified(A, (1, 2, 4))
    state.unverify([A])
    assert state.verified_objects() == {B: (4, 5, 6)}
    state.record_folder("data", "fp1", A)
    assert state.folder_match("data") == ("fp1", A)
    state.forget_folders()
    assert state.folder_match("data") is None


def test_a_damaged_index_is_rebuilt(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database" * 100)
    state = StateIndex(path)
    assert state.get("x") is None
    state.record([("x", (1, 1, 1), A)])
    assert state.get("x") == ((1, 1, 1), A)
