"""The store contract, run on every backend: SQLite, PostgreSQL and MariaDB (when installed)."""

from __future__ import annotations

import math
import threading

import pytest

from cairn.entities import Metric, Param, RunTag, ViewType
from cairn.errors import (
    AlreadyExists,
    InvalidInput,
    InvalidKey,
    InvalidState,
    NotFound,
    ParamOverwrite,
)
from cairn.store.base import SpoolMark
from cairn.store.sql.audit import chain_hash
from cairn.store.sql.schema import GENESIS_HASH


def _snapshot(store, run_id):
    run = store.runs.get_run(run_id)
    return (run.data, {k: len(store.runs.get_metric_history(run_id, k)) for k in run.data.metrics})


# -- experiments -------------------------------------------------------------------------------


def test_default_experiment_exists(cairn_store):
    default = cairn_store.experiments.get_experiment("0")
    assert default.name == "Default"
    assert default.artifact_location.endswith("/0")


def test_create_get_rename_tag_experiment(cairn_store):
    exp_id = cairn_store.experiments.create_experiment("churn", tags={"team": "growth"})
    exp = cairn_store.experiments.get_experiment(exp_id)
    assert (exp.name, exp.tags, exp.lifecycle_stage) == ("churn", {"team": "growth"}, "active")
    assert cairn_store.experiments.get_experiment_by_name("churn").experiment_id == exp_id
    cairn_store.experiments.rename_experiment(exp_id, "churn-v2")
    cairn_store.experiments.set_experiment_tag(exp_id, "team", "core")
    exp = cairn_store.experiments.get_experiment(exp_id)
    assert (exp.name, exp.tags) == ("churn-v2", {"team": "core"})
    assert cairn_store.experiments.find_experiment_by_name("churn") is None


def test_experiment_errors_change_nothing(cairn_store):
    exp_id = cairn_store.experiments.create_experiment("a")
    cairn_store.experiments.create_experiment("b")
    with pytest.raises(AlreadyExists, match="'a'"):
        cairn_store.experiments.create_experiment("a")
    with pytest.raises(AlreadyExists):
        cairn_store.experiments.rename_experiment(exp_id, "b")
    with pytest.raises(NotFound, match="Did you mean 'a'"):
        cairn_store.experiments.get_experiment_by_name("aa")
    with pytest.raises(NotFound):
        cairn_store.experiments.get_experiment("999")
    with pytest.raises(InvalidInput, match="not a non-negative integer"):
        cairn_store.experiments.get_experiment("abc")
    with pytest.raises(InvalidInput):
        cairn_store.experiments.create_experiment("   ")
    names = sorted(e.name for e in cairn_store.experiments.search_experiments().items)
    assert names == ["Default", "a", "b"]


def test_delete_restore_experiment_takes_its_runs(cairn_store):
    exp_id = cairn_store.experiments.create_experiment("gone")
    kept = cairn_store.runs.create_run(exp_id).info.run_id
    deleted_before = cairn_store.runs.create_run(exp_id).info.run_id
    cairn_store.runs.delete_run(deleted_before)
    cairn_store.experiments.delete_experiment(exp_id)
    assert cairn_store.runs.get_run(kept).info.lifecycle_stage == "deleted"
    with pytest.raises(InvalidState, match="already deleted"):
        cairn_store.experiments.delete_experiment(exp_id)
    with pytest.raises(InvalidState, match="deleted"):
        cairn_store.runs.create_run(exp_id)
    active = [e.name for e in cairn_store.experiments.search_experiments().items]
    deleted = [
        e.name for e in cairn_store.experiments.search_experiments(ViewType.DELETED_ONLY).items
    ]
    assert "gone" not in active and deleted == ["gone"]
    cairn_store.experiments.restore_experiment(exp_id)
    assert cairn_store.runs.get_run(kept).info.lifecycle_stage == "active"
    assert cairn_store.runs.get_run(deleted_before).info.lifecycle_stage == "deleted"


def test_default_experiment_cannot_be_deleted(cairn_store):
    with pytest.raises(InvalidState, match="Default"):
        cairn_store.experiments.delete_experiment("0")


def test_purge_frees_the_name(cairn_store):
    exp_id = cairn_store.experiments.create_experiment("tmp")
    run_id = cairn_store.runs.create_run(exp_id).info.run_id
    cairn_store.runs.log_batch(run_id, metrics=[Metric("m", 1.0, 1, 0)], params=[Param("p", "1")])
    with pytest.raises(InvalidState, match="delete it before purging"):
        cairn_store.experiments.purge_experiment(exp_id)
    cairn_store.experiments.delete_experiment(exp_id)
    assert [e.experiment_id for e in cairn_store.experiments.list_deleted_experiments()] == [exp_id]
    cairn_store.experiments.purge_experiment(exp_id)
    with pytest.raises(NotFound):
        cairn_store.runs.get_run(run_id)
    new_id = cairn_store.experiments.create_experiment("tmp")
    assert new_id != exp_id


def test_get_or_create_is_atomic_across_threads(cairn_store):
    ids: list[str] = []
    errors: list[BaseException] = []

    def worker():
        try:
            ids.append(cairn_store.experiments.get_or_create_experiment("race").experiment_id)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(ids)) == 1


def test_search_experiments_pages(cairn_store):
    for i in range(5):
        cairn_store.experiments.create_experiment(f"e{i}")
    first = cairn_store.experiments.search_experiments(max_results=4, order_by=["name"])
    assert len(first.items) == 4 and first.next_page_token
    second = cairn_store.experiments.search_experiments(
        max_results=4, order_by=["name"], page_token=first.next_page_token
    )
    names = [e.name for e in first.items + second.items]
    assert names == ["Default", "e0", "e1", "e2", "e3", "e4"]
    assert second.next_page_token is None
    only = cairn_store.experiments.search_experiments(filter_string="name LIKE 'e%'")
    assert len(only.items) == 5


# -- runs --------------------------------------------------------------------------------------


@pytest.fixture
def run_id(cairn_store):
    exp_id = cairn_store.experiments.create_experiment("runs")
    return cairn_store.runs.create_run(exp_id, user_id="ann", run_name="first").info.run_id


def test_create_and_get_run(cairn_store, run_id):
    run = cairn_store.runs.get_run(run_id)
    assert run.info.run_name == "first"
    assert run.info.user_id == "ann"
    assert run.info.status == "RUNNING"
    assert run.info.artifact_uri.endswith(f"/{run_id}/artifacts")


def test_run_without_name_gets_a_readable_one(cairn_store):
    run = cairn_store.runs.create_run("0")
    assert run.info.run_name.count("-") == 2


def test_log_batch_and_latest_values(cairn_store, run_id):
    cairn_store.runs.log_batch(
        run_id,
        metrics=[
            Metric("loss", 0.9, 100, 0),
            Metric("loss", 0.5, 101, 2),
            Metric("loss", 0.7, 102, 1),
            Metric("acc", math.nan, 100, 0),
            Metric("big", math.inf, 100, 0),
        ],
        params=[Param("lr", "0.01"), Param("depth", "8")],
        tags=[RunTag("team", "a")],
    )
    cairn_store.runs.set_tag(run_id, RunTag("team", "b"))
    data = cairn_store.runs.get_run(run_id).data
    assert data.metrics["loss"] == 0.5  # the greatest step wins, not the last logged
    assert math.isnan(data.metrics["acc"])
    assert data.metrics["big"] == math.inf
    assert data.params == {"depth": "8", "lr": "0.01"}
    assert data.tags["team"] == "b"
    history = cairn_store.runs.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.9), (1, 0.7), (2, 0.5)]
    assert math.isnan(cairn_store.runs.get_metric_history(run_id, "acc")[0].value)


def test_latest_value_survives_later_older_steps(cairn_store, run_id):
    cairn_store.runs.log_batch(run_id, metrics=[Metric("m", 5.0, 10, 5)])
    cairn_store.runs.log_batch(run_id, metrics=[Metric("m", 1.0, 20, 1)])
    assert cairn_store.runs.get_run(run_id).data.metrics["m"] == 5.0


def test_param_is_immutable_and_a_bad_batch_changes_nothing(cairn_store, run_id):
    cairn_store.runs.log_param(run_id, Param("lr", "0.1"))
    cairn_store.runs.log_param(run_id, Param("lr", "0.1"))  # the same value again is fine
    before = _snapshot(cairn_store, run_id)
    with pytest.raises(ParamOverwrite, match="'lr'.*'0.1'.*'0.2'"):
        cairn_store.runs.log_batch(
            run_id,
            metrics=[Metric("m", 1.0, 1, 0)],
            params=[Param("lr", "0.2"), Param("other", "x")],
            tags=[RunTag("t", "v")],
        )
    assert _snapshot(cairn_store, run_id) == before


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"metrics": [Metric("bad key!", 1.0, 1, 0)]}, InvalidKey, "'!'"),
        ({"metrics": [Metric("../up", 1.0, 1, 0)]}, InvalidKey, "'..'"),
        ({"metrics": [Metric("m", "high", 1, 0)]}, InvalidInput, "numbers"),  # type: ignore[arg-type]
        ({"metrics": [Metric("m", True, 1, 0)]}, InvalidInput, "numbers"),
        ({"metrics": [Metric("m", 1.0, 1, 1.5)]}, InvalidInput, "step"),  # type: ignore[arg-type]
        ({"metrics": [Metric("m", 1.0, -5, 0)]}, InvalidInput, "timestamp"),
        ({"metrics": [Metric("m", 1.0, 1, 2**64)]}, InvalidInput, "64 bits"),
        ({"params": [Param("", "x")]}, InvalidKey, "1 to 250"),
        ({"params": [Param("p", "x" * 6001)]}, InvalidInput, "6000"),
        ({"tags": [RunTag("t" * 251, "x")]}, InvalidKey, "251"),
        ({"params": [Param("p", "1"), Param("p", "2")]}, InvalidInput, "twice"),
    ],
)
def test_bad_values_rejected_without_change(cairn_store, run_id, kwargs, error, text):
    cairn_store.runs.log_batch(run_id, metrics=[Metric("ok", 1.0, 1, 0)])
    before = _snapshot(cairn_store, run_id)
    with pytest.raises(error, match=text):
        cairn_store.runs.log_batch(run_id, **kwargs)
    assert _snapshot(cairn_store, run_id) == before


def test_unknown_run_and_bad_ids(cairn_store):
    with pytest.raises(NotFound):
        cairn_store.runs.get_run("0" * 32)
    with pytest.raises(InvalidInput, match="32 hexadecimal"):
        cairn_store.runs.get_run("nope")
    with pytest.raises(NotFound):
        cairn_store.runs.create_run("12345")
    for odd in ("²", "١٢", str(2**64)):  # digits Python's int() may not take, or too big
        with pytest.raises(InvalidInput, match="non-negative integer"):
            cairn_store.runs.create_run(odd)
    with pytest.raises(InvalidInput, match="start_time"):
        cairn_store.runs.create_run("0", start_time=10**20)
    with pytest.raises(NotFound):
        cairn_store.runs.log_batch("f" * 32, metrics=[Metric("m", 1.0, 1, 0)])


def test_update_delete_restore_run(cairn_store, run_id):
    info = cairn_store.runs.update_run_info(run_id, status="finished", run_name="renamed")
    assert info.status == "FINISHED" and info.end_time is not None and info.run_name == "renamed"
    with pytest.raises(InvalidInput, match="Did you mean 'FAILED'"):
        cairn_store.runs.update_run_info(run_id, status="FAILD")
    cairn_store.runs.delete_run(run_id)
    with pytest.raises(InvalidState, match="deleted"):
        cairn_store.runs.log_batch(run_id, metrics=[Metric("m", 1.0, 1, 0)])
    assert [r.run_id for r in cairn_store.runs.list_deleted_runs()] == [run_id]
    with pytest.raises(InvalidState, match="already deleted"):
        cairn_store.runs.delete_run(run_id)
    cairn_store.runs.restore_run(run_id)
    assert cairn_store.runs.get_run(run_id).info.lifecycle_stage == "active"
    with pytest.raises(InvalidState, match="already active"):
        cairn_store.runs.restore_run(run_id)


def test_delete_tag(cairn_store, run_id):
    cairn_store.runs.set_tag(run_id, RunTag("t", "v"))
    cairn_store.runs.delete_tag(run_id, "t")
    assert "t" not in cairn_store.runs.get_run(run_id).data.tags
    with pytest.raises(NotFound, match="no tag 't'"):
        cairn_store.runs.delete_tag(run_id, "t")


def test_nested_run_records_parent(cairn_store, run_id):
    child = cairn_store.runs.create_run("0", parent_run_id=run_id)
    assert child.data.tags["cairn.parentRunId"] == run_id
    found = cairn_store.runs.search_runs(["0"], f"tags.`cairn.parentRunId` = '{run_id}'")
    assert [r.info.run_id for r in found.items] == [child.info.run_id]


SPOOL_ID = "5f" * 16


def test_spool_mark_makes_replay_idempotent(cairn_store, run_id):
    batch = [Metric("m", float(i), i, i) for i in range(10)]
    cairn_store.runs.log_batch(run_id, metrics=batch, spool=SpoolMark(SPOOL_ID, 100))
    cairn_store.runs.log_batch(run_id, metrics=batch, spool=SpoolMark(SPOOL_ID, 100))
    cairn_store.runs.log_batch(run_id, metrics=batch[:5], spool=SpoolMark(SPOOL_ID, 50))
    assert len(cairn_store.runs.get_metric_history(run_id, "m")) == 10
    assert cairn_store.runs.get_spool_offset(SPOOL_ID) == 100
    cairn_store.runs.log_batch(run_id, metrics=batch[:1], spool=SpoolMark(SPOOL_ID, 110))
    assert len(cairn_store.runs.get_metric_history(run_id, "m")) == 11


def test_search_runs_filter_order_and_pages(cairn_store):
    exp_id = cairn_store.experiments.create_experiment("search")
    for i in range(7):
        rid = cairn_store.runs.create_run(exp_id, run_name=f"r{i}").info.run_id
        cairn_store.runs.log_batch(
            rid,
            metrics=[Metric("acc", i / 10, 1, 0)],
            params=[Param("depth", str(i % 3)), Param("lr", str(10**-i))],
        )
    page = cairn_store.runs.search_runs(
        [exp_id], "metrics.acc > 0.15 and params.depth = '1'", order_by=["metrics.acc DESC"]
    )
    assert [r.info.run_name for r in page.items] == ["r4"]
    numeric = cairn_store.runs.search_runs([exp_id], "params.lr < 0.001", order_by=["run_name"])
    assert [r.info.run_name for r in numeric.items] == ["r4", "r5", "r6"]
    first = cairn_store.runs.search_runs([exp_id], max_results=3, order_by=["metrics.acc"])
    second = cairn_store.runs.search_runs(
        [exp_id], max_results=3, order_by=["metrics.acc"], page_token=first.next_page_token
    )
    names = [r.info.run_name for r in first.items + second.items]
    assert names == ["r0", "r1", "r2", "r3", "r4", "r5"]
    either = cairn_store.runs.search_runs(
        [exp_id], "params.depth = '0' OR metrics.acc >= 0.6", order_by=["run_name"]
    )
    assert [r.info.run_name for r in either.items] == ["r0", "r3", "r6"]


# -- audit trail -------------------------------------------------------------------------------


def test_every_change_appends_a_linked_audit_event(cairn_store, run_id):
    seq_before, _ = cairn_store.audit.head()
    cairn_store.runs.log_batch(run_id, metrics=[Metric("m", 1.0, 1, 0)])
    cairn_store.runs.set_tag(run_id, RunTag("t", "v"))
    cairn_store.runs.update_run_info(run_id, status="FINISHED")
    cairn_store.runs.log_batch(run_id, params=[Param("p", "1"), Param("p", "1")])
    with pytest.raises(ParamOverwrite):
        cairn_store.runs.log_batch(run_id, params=[Param("p", "2")])
    events = cairn_store.audit.list_events(after_seq=0, limit=10_000)
    actions = [e.action for e in events if e.seq > seq_before]
    assert actions == ["run.log_batch", "run.log_batch", "run.update", "run.log_batch"]
    previous = GENESIS_HASH
    for event in events:
        assert event.prev_hash == previous
        assert event.hash == chain_hash(
            previous,
            event.seq,
            event.time,
            event.actor,
            event.action,
            event.entity,
            event.payload_hash,
        )
        previous = event.hash
    assert cairn_store.audit.head() == (events[-1].seq, events[-1].hash)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


def test_keys_differing_only_in_case_are_distinct(cairn_store, run_id):
    cairn_store.runs.log_batch(
        run_id,
        metrics=[Metric("acc", 1.0, 1, 0), Metric("ACC", 2.0, 1, 0)],
        params=[Param("lr", "a"), Param("LR", "b")],
        tags=[RunTag("t", "x"), RunTag("T", "y")],
    )
    data = cairn_store.runs.get_run(run_id).data
    assert data.metrics == {"ACC": 2.0, "acc": 1.0}
    assert data.params == {"LR": "b", "lr": "a"}
    assert (data.tags["t"], data.tags["T"]) == ("x", "y")


def test_small_chunks_are_compacted_when_the_run_ends(cairn_store, run_id):
    import sqlalchemy as sa

    if cairn_store.remote:
        pytest.skip("counts SQL chunk rows; the SQL parameters cover the server's own store")

    from cairn.store.sql import schema as t

    for step in range(300):
        cairn_store.runs.log_batch(run_id, metrics=[Metric("loss", 1 / (step + 1), step, step)])
    before = list(cairn_store.runs.get_metric_history(run_id, "loss"))

    def chunk_count():
        with cairn_store.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.count()).where(t.metric_chunks.c.run_uuid == run_id)
            ).scalar_one()

    assert chunk_count() == 300
    cairn_store.runs.update_run_info(run_id, status="FINISHED")
    assert chunk_count() == 1
    assert list(cairn_store.runs.get_metric_history(run_id, "loss")) == before
    cairn_store.runs.log_batch(run_id, metrics=[Metric("loss", 9.0, 1, 2)])
    assert [m.value for m in cairn_store.runs.get_metric_history(run_id, "loss")][2:4] == [
        before[2].value,
        9.0,
    ]


def test_the_populated_store_fixture(populated_store):
    churn = populated_store.experiments.get_experiment_by_name("churn")
    found = populated_store.runs.search_runs(
        [churn.experiment_id], "tags.team = 'growth' and metrics.acc > 0.5", order_by=["run_name"]
    )
    assert [r.info.run_name for r in found.items] == ["r2", "r4"]
    deleted = populated_store.runs.search_runs([churn.experiment_id], run_view_type="deleted_only")
    assert [r.info.run_name for r in deleted.items] == ["r5"]
    r0 = found.items[0].info.run_id
    assert len(populated_store.runs.get_metric_history(r0, "loss")) == 10
