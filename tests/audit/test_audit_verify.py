"""Each kind of tampering with the database is caught, at the right seq, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import struct

from audit_support import seq_of, sql

from cairn.audit import verify
from cairn.store.base import Store


def _first(store: Store) -> tuple[int | None, str, str]:
    report = verify(store)
    assert not report.ok
    first = report.first
    assert first is not None
    return first.seq, first.kind, first.message


def test_an_intact_store_verifies(audited: Store) -> None:
    report = verify(audited)
    assert report.ok, report.findings
    assert report.events == audited.audit.head()[0]
    assert (report.head_seq, report.head_hash) == audited.audit.head()


def test_an_edited_payload_is_caught(audited: Store) -> None:
    seq = seq_of(audited, "run.create")
    (payload,) = sql(audited, "SELECT payload FROM audit_events WHERE seq = :s", s=seq)[0]
    edited = json.dumps(dict(json.loads(payload), user_id="mallory"), sort_keys=True)
    sql(audited, "UPDATE audit_events SET payload = :p WHERE seq = :s", p=edited, s=seq)
    assert _first(audited)[:2] == (seq, "payload")
    assert f"payload of event {seq} (run.create" in _first(audited)[2]


def test_an_edited_event_field_is_caught(audited: Store) -> None:
    seq = seq_of(audited, "run.update")
    sql(audited, "UPDATE audit_events SET actor = 'mallory' WHERE seq = :s", s=seq)
    assert _first(audited)[:2] == (seq, "hash")


def test_a_deleted_event_is_caught(audited: Store) -> None:
    seq = seq_of(audited, "run.log_batch", 5)
    sql(audited, "DELETE FROM audit_events WHERE seq = :s", s=seq)
    found_seq, kind, message = _first(audited)
    assert (found_seq, kind) == (seq + 1, "deleted")
    assert f"event(s) {seq} missing" in message


def test_swapped_events_are_caught(audited: Store) -> None:
    a = seq_of(audited, "run.log_batch", 3)
    b = a + 1
    sql(audited, "UPDATE audit_events SET seq = -1 WHERE seq = :a", a=a)
    sql(audited, "UPDATE audit_events SET seq = :a WHERE seq = :b", a=a, b=b)
    sql(audited, "UPDATE audit_events SET seq = :b WHERE seq = -1", b=b)
    found_seq, kind, message = _first(audited)
    assert (found_seq, kind) == (a, "reordered")
    assert f"event {a} was written as event {b}" in message


def test_an_edited_param_row_is_caught(audited: Store) -> None:
    run_id = audited.run_id  # type: ignore[attr-defined]
    sql(audited, "UPDATE params SET value = '0.9' WHERE run_uuid = :r AND key = 'lr'", r=run_id)
    found_seq, kind, message = _first(audited)
    batch = [e for e in audited.audit.list_events(limit=1000) if e.action == "run.log_batch"]
    assert kind == "param_row"
    assert found_seq == batch[30].seq  # the batch that set lr (after the 30 metric batches)
    assert "'0.9'" in message and "'0.1'" in message


def test_an_edited_tag_row_and_run_row_are_caught(audited: Store) -> None:
    run_id = audited.run_id  # type: ignore[attr-defined]
    sql(audited, "UPDATE tags SET value = 'dev' WHERE run_uuid = :r AND key = 'stage'", r=run_id)
    sql(audited, "UPDATE runs SET status = 'FAILED' WHERE run_uuid = :r", r=run_id)
    kinds = {f.kind for f in verify(audited).findings}
    assert kinds == {"tag_row", "run_row"}


def test_a_changed_metric_point_is_caught(audited: Store) -> None:
    run_id = audited.run_id  # type: ignore[attr-defined]
    query = "SELECT chunk_seq, vals FROM metric_chunks WHERE run_uuid = :r AND key = 'loss'"
    chunk_seq, vals = sql(audited, query, r=run_id)[0]
    vals = bytearray(vals)
    vals[8:16] = struct.pack("<d", 0.001)  # the second point: step 1
    sql(
        audited,
        "UPDATE metric_chunks SET vals = :v WHERE run_uuid = :r AND key = 'loss' "
        "AND chunk_seq = :c",
        v=bytes(vals),
        r=run_id,
        c=chunk_seq,
    )
    found_seq, kind, message = _first(audited)
    assert (found_seq, kind) == (seq_of(audited, "run.log_batch", 1), "payload")
    assert "metric points" in message


def test_a_replaced_head_is_caught(audited: Store) -> None:
    seq, _hash = audited.audit.head()
    sql(audited, "UPDATE audit_head SET hash = :h WHERE id = 1", h="f" * 64)
    assert _first(audited)[:2] == (seq, "head")


def test_truncated_history_is_caught(audited: Store) -> None:
    seq, _hash = audited.audit.head()
    sql(audited, "DELETE FROM audit_events WHERE seq = :s", s=seq)
    found_seq, kind, message = _first(audited)
    assert (found_seq, kind) == (seq, "head")
    assert f"last event is {seq - 1}" in message


def test_an_edited_latest_metric_row_is_caught(audited: Store) -> None:
    run_id = audited.run_id  # type: ignore[attr-defined]
    sql(
        audited,
        "UPDATE latest_metrics SET value = 0.99 WHERE run_uuid = :r AND key = 'acc'",
        r=run_id,
    )
    found_seq, kind, message = _first(audited)
    assert (found_seq, kind) == (seq_of(audited, "run.log_batch", 29), "metric_row")
    assert "latest metric 'acc'" in message


def test_an_inserted_metric_point_is_caught(audited: Store) -> None:
    run_id = audited.run_id  # type: ignore[attr-defined]
    seq = seq_of(audited, "run.update")  # an event that wrote no points
    point = dict(
        r=run_id, s=seq, st=struct.pack("<q", 99), ts=struct.pack("<q", 1),
        v=struct.pack("<d", 0.5), sq=struct.pack("<q", seq), p=struct.pack("<i", 0),
    )  # fmt: skip
    sql(
        audited,
        "INSERT INTO metric_chunks (run_uuid, key, chunk_seq, n, min_step, max_step, is_sorted, "
        "steps, timestamps, vals, seqs, positions) "
        "VALUES (:r, 'loss', :s, 1, 99, 99, TRUE, :st, :ts, :v, :sq, :p)",
        **point,
    )
    found_seq, kind, message = _first(audited)
    assert (found_seq, kind) == (seq, "metric_points")
    assert f"name event {seq}, which wrote none" in message


def test_deleted_and_added_rows_are_caught(audited: Store) -> None:
    run_id = audited.run_id  # type: ignore[attr-defined]
    sql(audited, "DELETE FROM params WHERE run_uuid = :r AND key = 'lr'", r=run_id)
    sql(audited, "INSERT INTO tags (run_uuid, key, value) VALUES (:r, 'sneaky', 'x')", r=run_id)
    messages = [f.message for f in verify(audited).findings]
    assert any("param 'lr'" in m and "was deleted" in m for m in messages), messages
    assert any("tag 'sneaky'" in m and "no audit event set it" in m for m in messages), messages
