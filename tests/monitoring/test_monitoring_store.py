"""store.monitors on every backend (SQLite, PostgreSQL, MySQL and a live cairn server):
monitors with their audit events, chunks and records by seq and time, duplicate request ids
refused with nothing stored, labels matched now or once their prediction arrives, windows,
alerts, state, and bad input to every public method leaving the store unchanged."""

from __future__ import annotations

import hashlib

import pytest

from cairn.errors import AlreadyExists, InvalidInput, NotFound

REF = b"reference summary bytes \x00\x01\xff"
REF_DIGEST = hashlib.sha256(REF).hexdigest()
SPEC = {"model": "churn", "task": "classification", "window": {"size": 100}}
RESULTS = {"rows": 3, "quality": {"accuracy": 0.5}, "drift": {"share": 0.25}}


@pytest.fixture
def store(cairn_store):
    return cairn_store


@pytest.fixture
def mon(store):
    store.monitors.create_monitor("churn-mon", "churn@champion", SPEC, REF, REF_DIGEST)
    return store.monitors


def _actions(store, after=0):
    return [(e.action, e.entity) for e in store.audit.list_events(after_seq=after)]


def test_create_get_list_update_delete_with_audit_events(store):
    seq0 = store.audit.head()[0]
    made = store.monitors.create_monitor("churn-mon", "churn@champion", SPEC, REF, REF_DIGEST)
    assert (made.name, made.model, made.spec, made.reference_digest) == (
        "churn-mon", "churn@champion", SPEC, REF_DIGEST,
    )  # fmt: skip
    assert made.records == 0 and made.creator and made.creation_time == made.last_updated_time
    store.monitors.create_monitor("other", "fraud/3", {"x": [1, 2]}, REF, REF_DIGEST)
    assert store.monitors.get_monitor("churn-mon") == made
    assert store.monitors.find_monitor("nope") is None
    assert [m.name for m in store.monitors.list_monitors()] == ["churn-mon", "other"]
    assert [m.name for m in store.monitors.list_monitors("churn")] == ["churn-mon"]
    assert [m.name for m in store.monitors.list_monitors("fraud@champion")] == ["other"]
    assert store.monitors.get_reference("churn-mon") == REF

    new_ref = b"another reference"
    new_digest = hashlib.sha256(new_ref).hexdigest()
    updated = store.monitors.update_monitor(
        "churn-mon", spec={"v": 2}, reference=new_ref, reference_digest=new_digest
    )
    assert (updated.spec, updated.reference_digest) == ({"v": 2}, new_digest)
    assert store.monitors.get_reference("churn-mon") == new_ref
    assert store.monitors.update_monitor("churn-mon", spec={"v": 3}).reference_digest == new_digest

    store.monitors.append_records("churn-mon", b"chunk", ["a"], [1])
    store.monitors.delete_monitor("churn-mon")
    assert store.monitors.find_monitor("churn-mon") is None
    assert _actions(store, seq0) == [
        ("monitor.create", "monitor:churn-mon"),
        ("monitor.create", "monitor:other"),
        ("monitor.update", "monitor:churn-mon"),
        ("monitor.update", "monitor:churn-mon"),
        ("monitor.delete", "monitor:churn-mon"),
    ]
    # the name is free again, with nothing left of the old monitor
    store.monitors.create_monitor("churn-mon", "churn", SPEC, REF, REF_DIGEST)
    assert store.monitors.record_bounds("churn-mon") == (0, None, None)


def test_unknown_and_duplicate_names(mon):
    with pytest.raises(AlreadyExists, match="a monitor named 'churn-mon' exists already"):
        mon.create_monitor("churn-mon", "churn", SPEC, REF, REF_DIGEST)
    with pytest.raises(NotFound, match="no monitor named 'churn-mn'.*Did you mean 'churn-mon'"):
        mon.get_monitor("churn-mn")
    for call in (
        lambda: mon.update_monitor("nope", spec={}),
        lambda: mon.delete_monitor("nope"),
        lambda: mon.get_reference("nope"),
        lambda: mon.append_records("nope", b"c", ["a"], [1]),
        lambda: mon.read_chunks("nope", 1, 2),
        lambda: mon.list_records("nope"),
        lambda: mon.record_bounds("nope"),
        lambda: mon.put_labels("nope", [("a", "1")], 1),
        lambda: mon.unmatched_labels("nope"),
        lambda: mon.list_windows("nope"),
        lambda: mon.get_window("churn-mon", 1),
        lambda: mon.list_alerts("nope"),
        lambda: mon.update_alert_actions(99, []),
        lambda: mon.get_state("nope", "k"),
        lambda: mon.set_state("nope", "k", "v"),
    ):
        with pytest.raises(NotFound):
            call()


def test_chunks_and_records_by_seq_and_time(mon):
    assert mon.append_records("churn-mon", b"one", ["a", None, "c"], [100, 200, 300]) == (1, 3)
    assert mon.append_records("churn-mon", b"two", ["d", "e"], [400, 500], model_version=2) == (
        4,
        5,
    )
    assert mon.get_monitor("churn-mon").records == 5
    assert mon.read_chunks("churn-mon", 1, 5) == [(1, b"one"), (4, b"two")]
    assert mon.read_chunks("churn-mon", 3, 4) == [(1, b"one"), (4, b"two")]
    assert mon.read_chunks("churn-mon", 5, 9) == [(4, b"two")]
    assert mon.read_chunks("churn-mon", 6, 9) == []
    records = mon.list_records("churn-mon")
    assert [(r.seq, r.request_id, r.time, r.label) for r in records] == [
        (1, "a", 100, None), (2, None, 200, None), (3, "c", 300, None),
        (4, "d", 400, None), (5, "e", 500, None),
    ]  # fmt: skip
    assert [r.seq for r in mon.list_records("churn-mon", first_seq=2, last_seq=4)] == [2, 3, 4]
    assert [r.seq for r in mon.list_records("churn-mon", start_time=200, end_time=400)] == [2, 3]
    assert mon.record_bounds("churn-mon") == (5, 100, 500)


def test_duplicate_request_ids_are_refused_with_nothing_stored(mon, store):
    mon.append_records("churn-mon", b"one", ["a", "b"], [1, 2])
    seq = store.audit.head()[0]
    with pytest.raises(InvalidInput, match="request id 'b' is already in monitor 'churn-mon'"):
        mon.append_records("churn-mon", b"two", ["x", "b", "y"], [3, 4, 5])
    with pytest.raises(InvalidInput, match="request id 'x' appears twice in the batch"):
        mon.append_records("churn-mon", b"two", ["x", "x"], [3, 4])
    assert mon.record_bounds("churn-mon") == (2, 1, 2)
    assert mon.read_chunks("churn-mon", 1, 10) == [(1, b"one")]
    assert mon.append_records("churn-mon", b"three", ["x", None, None], [3, 4, 5]) == (3, 5)
    assert store.audit.head()[0] == seq  # records are not audited


def test_labels_matched_now_or_when_the_prediction_arrives(mon):
    mon.append_records("churn-mon", b"one", ["a", "b", None], [1, 2, 3])
    assert mon.put_labels("churn-mon", [("a", '"yes"'), ("late", "1"), ("later", "0")], 50) == [
        "late",
        "later",
    ]
    assert mon.put_labels("churn-mon", [("a", '"no"'), ("late", "2")], 60) == ["late"]
    assert mon.unmatched_labels("churn-mon") == [("later", 50), ("late", 60)]
    assert mon.unmatched_labels("churn-mon", start_time=55) == [("late", 60)]
    assert mon.unmatched_labels("churn-mon", end_time=55) == [("later", 50)]

    mon.append_records("churn-mon", b"two", ["late", "z"], [10, 11])
    labels = {r.request_id: r.label for r in mon.list_records("churn-mon")}
    assert labels == {"a": '"no"', "b": None, None: None, "late": "2", "z": None}
    assert mon.unmatched_labels("churn-mon") == [("later", 50)]


def test_windows_alerts_and_state(mon, store):
    seq = store.audit.head()[0]
    mon.append_records("churn-mon", b"one", ["a", "b", "c"], [1, 2, 3])
    first = mon.add_window(
        "churn-mon", start_time=0, end_time=10, first_seq=1, last_seq=3, rows=3,
        labelled_rows=0, model_version=2, results=RESULTS,
    )  # fmt: skip
    assert (first.monitor, first.window_id, first.rows, first.results) == (
        "churn-mon", 1, 3, RESULTS,
    )  # fmt: skip
    empty = mon.add_window(
        "churn-mon", start_time=10, end_time=20, first_seq=4, last_seq=3, rows=0,
        labelled_rows=0, model_version=None, results={"problems": ["empty window"]},
    )  # fmt: skip
    assert empty.window_id == 2 and empty.model_version is None
    for start, end, first_seq, last_seq in ((0, 10, 3, 5), (9, 12, 1, 1)):
        with pytest.raises(AlreadyExists, match="window 1 holds records 1..3 already"):
            mon.add_window(
                "churn-mon", start_time=start, end_time=end, first_seq=first_seq,
                last_seq=last_seq, rows=1, labelled_rows=0, model_version=None, results={},
            )  # fmt: skip
    again = mon.update_window("churn-mon", 1, labelled_rows=2, results={"rows": 3, "x": 1})
    assert (again.labelled_rows, again.results) == (2, {"rows": 3, "x": 1})
    assert mon.get_window("churn-mon", 1) == again
    assert [w.window_id for w in mon.list_windows("churn-mon")] == [1, 2]
    assert [w.window_id for w in mon.list_windows("churn-mon", after_window_id=1)] == [2]
    assert [w.window_id for w in mon.list_windows("churn-mon", limit=1)] == [1]

    pending = [{"kind": "webhook", "target": "http://x", "status": "pending", "detail": ""}]
    alert = mon.add_alert(
        "churn-mon", rule="f1 < 0.8", window_id=1, value=0.5, message="f1 0.5", actions=pending
    )
    second = mon.add_alert("churn-mon", rule="drift_share > 0.5", window_id=2, value=None,
                           message="")  # fmt: skip
    assert (alert.rule, alert.value, alert.actions, second.actions) == (
        "f1 < 0.8", 0.5, pending, [],
    )  # fmt: skip
    done = [{**pending[0], "status": "ok", "detail": "200"}]
    assert mon.update_alert_actions(alert.alert_id, done).actions == done
    assert [a.alert_id for a in mon.list_alerts("churn-mon")] == [second.alert_id, alert.alert_id]
    assert [a.alert_id for a in mon.list_alerts(limit=1)] == [second.alert_id]
    with pytest.raises(NotFound, match="has no window 7"):
        mon.add_alert("churn-mon", rule="r", window_id=7, value=1.0, message="m")

    assert mon.get_state("churn-mon", "serving/offset") is None
    mon.set_state("churn-mon", "serving/offset", "12")
    mon.set_state("churn-mon", "serving/offset", "13")
    assert mon.get_state("churn-mon", "serving/offset") == "13"
    assert [a for a, _ in _actions(store, seq)] == [
        "monitor.window.add",
        "monitor.window.add",
        "monitor.window.update",
        "monitor.alert.add",
        "monitor.alert.add",
        "monitor.alert.actions",
    ]


def _window(repo, **overrides):
    """add_window of one record with ``overrides`` of the valid defaults."""
    fields = dict(start_time=0, end_time=1, first_seq=1, last_seq=1, rows=1, labelled_rows=0)
    return repo.add_window("churn-mon", model_version=None, results={}, **{**fields, **overrides})


BAD_CALLS = [
    (lambda m: m.create_monitor("bad/name", "churn", SPEC, REF, REF_DIGEST), "monitor name"),
    (lambda m: m.create_monitor("n", "ch@@x", SPEC, REF, REF_DIGEST), "alias"),
    (lambda m: m.create_monitor("n", "churn", [1], REF, REF_DIGEST), "monitor spec must be"),
    (lambda m: m.create_monitor("n", "churn", {"x": float("nan")}, REF, REF_DIGEST), "plain JSON"),
    (lambda m: m.create_monitor("n", "churn", SPEC, b"", REF_DIGEST), "must not be empty"),
    (lambda m: m.create_monitor("n", "churn", SPEC, REF, "abc"), "64 lowercase hexadecimal"),
    (lambda m: m.create_monitor("n", "churn", SPEC, REF, "0" * 64), "does not match"),
    (lambda m: m.update_monitor("churn-mon", reference=REF), "together"),
    (lambda m: m.update_monitor("churn-mon", spec={"x": {1, 2}}), "plain JSON"),
    (lambda m: m.append_records("churn-mon", b"", ["a"], [1]), "records chunk must not be"),
    (lambda m: m.append_records("churn-mon", b"c", ["a", "b"], [1]), "2 request ids for 1"),
    (lambda m: m.append_records("churn-mon", b"c", ["x" * 129], [1]), "at most 128"),
    (lambda m: m.append_records("churn-mon", b"c", [""], [1]), "request id must not be empty"),
    (lambda m: m.append_records("churn-mon", b"c", ["a"], [-1]), "prediction time"),
    (lambda m: m.append_records("churn-mon", b"c", ["a"], [1.5]), "prediction time"),
    (lambda m: m.append_records("churn-mon", b"c", [], []), "at least one row"),
    (lambda m: m.append_records("churn-mon", b"c", ["a"], [1], model_version=0), "model version"),
    (lambda m: m.read_chunks("churn-mon", -1, 2), "first_seq"),
    (lambda m: m.list_records("churn-mon", start_time=-5), "start time"),
    (lambda m: m.put_labels("churn-mon", [("a", 1)], 5), "label must be a string"),
    (lambda m: m.put_labels("churn-mon", [("a",)], 5), "pair"),
    (lambda m: m.put_labels("churn-mon", [("a", "1")], -5), "label time"),
    (lambda m: m.unmatched_labels("churn-mon", end_time="x"), "end time"),
    (lambda m: _window(m, start_time=5), "end time 1 is before its start time 5"),
    (lambda m: _window(m, labelled_rows=2), "labelled_rows 2 is more than its rows 1"),
    (lambda m: _window(m, first_seq=0), "first_seq"),
    (lambda m: m.update_window("churn-mon", 0, labelled_rows=0, results={}), "window id"),
    (lambda m: m.update_window("churn-mon", 1, labelled_rows=9, results={}), "more than"),
    (lambda m: m.list_windows("churn-mon", limit=0), "limit"),
    (
        lambda m: m.add_alert("churn-mon", rule="", window_id=1, value=1.0, message=""),
        "alert rule must not be empty",
    ),
    (
        lambda m: m.add_alert("churn-mon", rule="r", window_id=1, value=float("inf"), message=""),
        "finite",
    ),
    (
        lambda m: m.add_alert("churn-mon", rule="r", window_id=1, value=1, message="", actions=[1]),
        "action must be a mapping",
    ),
    (lambda m: m.update_alert_actions(0, []), "alert id"),
    (lambda m: m.list_alerts(limit=0), "limit"),
    (lambda m: m.set_state("churn-mon", "", "v"), "state key must not be empty"),
    (lambda m: m.set_state("churn-mon", "k", 3), "state value must be a string"),
    (lambda m: m.set_state("churn-mon", "k", "a\x00b"), "NUL"),
    (lambda m: m.put_labels("churn-mon", [("a", "\x00")], 5), "NUL"),
]


def _snapshot(store):
    m = store.monitors
    return (
        m.list_monitors(),
        m.get_reference("churn-mon"),
        m.list_records("churn-mon"),
        m.read_chunks("churn-mon", 1, 100),
        m.unmatched_labels("churn-mon"),
        m.list_windows("churn-mon"),
        m.list_alerts(),
        m.get_state("churn-mon", "k"),
        store.audit.head(),
    )


def test_bad_input_to_every_method_leaves_the_store_unchanged(mon, store):
    mon.append_records("churn-mon", b"one", ["a"], [1])
    mon.add_window(
        "churn-mon", start_time=0, end_time=10, first_seq=1, last_seq=1, rows=1,
        labelled_rows=0, model_version=None, results={},
    )  # fmt: skip
    mon.set_state("churn-mon", "k", "v")
    before = _snapshot(store)
    for call, message in BAD_CALLS:
        with pytest.raises(InvalidInput, match=message):
            call(mon)
    assert _snapshot(store) == before


def test_many_records_in_one_append(mon):
    n = 20_000
    ids = [f"r{i}" for i in range(n)]
    assert mon.append_records("churn-mon", b"big", ids, list(range(n))) == (1, n)
    unknown = mon.put_labels(
        "churn-mon", [(f"r{i}", "1") for i in range(0, n, 2)] + [("q", "0")], 7
    )
    assert unknown == ["q"]
    labelled = [r for r in mon.list_records("churn-mon") if r.label is not None]
    assert len(labelled) == n // 2
