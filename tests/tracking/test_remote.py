"""The fluent API and CairnClient against a cairn server (tracking URI ``http://...``)."""

from __future__ import annotations

import time

import pytest

import cairn
from cairn.errors import ParamOverwrite, StoreError
from cairn.server import ServerSettings
from cairn.server.live import LiveServer
from cairn.tracking.client import CairnClient
from cairn.tracking.sync import sync


@pytest.fixture
def remote(cairn_project, cairn_server, monkeypatch):
    """A project whose tracking URI is a live server."""
    monkeypatch.setenv("CAIRN_TRACKING_URI", cairn_server)
    return cairn_server


def test_the_issue_example_over_http(remote, cairn_project):
    (cairn_project / "confusion.png").write_bytes(b"\x89PNG fake")
    cairn.set_experiment("churn")
    cairn.seed_everything(42)
    with cairn.start_run(run_name="rf", tags={"team": "growth"}, description="first") as run:
        cairn.log_params({"n_estimators": 100, "max_depth": 8})
        for step in range(100):
            cairn.log_metric("loss", 1 / (step + 1), step=step)
        cairn.log_metrics({"acc": 0.91, "f1": float("nan")})
        cairn.set_tag("stage", "baseline")
        cairn.log_artifact(str(cairn_project / "confusion.png"))
        cairn.log_dict({"a": 1}, "cfg.json")
        with cairn.start_run(run_name="fold-1", nested=True) as child:
            cairn.log_metric("fold_acc", 0.9)
    df = cairn.search_runs(
        experiment_names=["churn"],
        filter_string="metrics.acc > 0.9 and params.max_depth = '8'",
        order_by=["metrics.acc DESC"],
    )
    assert list(df["run_id"]) == [run.info.run_id]
    finished = cairn.get_run(run.info.run_id)
    assert finished.info.status == "FINISHED"
    assert finished.data.params == {"n_estimators": "100", "max_depth": "8"}
    assert finished.data.metrics["acc"] == 0.91
    assert finished.data.metrics["f1"] != finished.data.metrics["f1"]  # NaN survives the wire
    tags = finished.data.tags
    assert tags["team"] == "growth" and tags["stage"] == "baseline"
    assert tags["cairn.note.content"] == "first" and tags["cairn.seed.python"] == "42"
    history = cairn.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(100))
    client = CairnClient()
    assert client.store.remote
    names = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"confusion.png", "cfg.json", "environment"} <= names
    assert client.read_artifact(run.info.run_id, "confusion.png") == b"\x89PNG fake"
    assert cairn.get_run(child.info.run_id).data.tags["cairn.parentRunId"] == run.info.run_id
    # nothing is left in the spool once the runs ended
    assert not list(client.spool_dir.glob("*.spool"))


def test_a_changed_param_fails_at_the_call_even_remotely(remote):
    with cairn.start_run() as run:
        cairn.log_param("lr", 0.1)
        cairn.log_param("lr", 0.1)
        with pytest.raises(ParamOverwrite, match="immutable"):
            cairn.log_param("lr", 0.2)
    assert cairn.get_run(run.info.run_id).data.params == {"lr": "0.1"}


def test_downsampled_history_keeps_the_extremes(remote):
    client = CairnClient()
    run = client.create_run("0")
    from cairn.entities import Metric

    points = [Metric("loss", 1.0, i, i) for i in range(10_000)]
    points[7_777] = Metric("loss", 50.0, 7_777, 7_777)
    points[1_234] = Metric("loss", -3.0, 1_234, 1_234)
    client.log_batch(run.info.run_id, metrics=points)
    thin = client.store.runs.get_metric_history(run.info.run_id, "loss", max_points=100)
    assert len(thin) <= 100
    assert {7_777, 1_234, 0, 9_999} <= set(thin.steps)
    assert max(thin.values) == 50.0 and min(thin.values) == -3.0


def test_logging_goes_on_while_the_server_is_down(cairn_project, tmp_path, monkeypatch):
    """Logging neither blocks nor fails during an outage; the records land when it is back."""
    settings = ServerSettings(f"sqlite:///{tmp_path}/server.db", str(tmp_path / "artifacts"))
    server = LiveServer(settings).start()
    port = server.port
    monkeypatch.setenv("CAIRN_TRACKING_URI", server.url)
    monkeypatch.setenv("CAIRN_SPOOL_CLOSE_TIMEOUT", "1")
    run = cairn.start_run(run_name="outage")
    cairn.log_metric("loss", 1.0, step=0)
    server.stop()
    slowest = 0.0
    for step in range(1, 500):
        began = time.perf_counter()
        cairn.log_metric("loss", 1.0 / step, step=step)
        if step % 100 == 0:
            cairn.log_params({f"p{step}": step})
            cairn.set_tag("progress", str(step))
        slowest = max(slowest, time.perf_counter() - began)
    cairn.end_run()  # the end waits 1 s for the server, then stays in the spool
    assert slowest < 0.5, f"a log call blocked for {slowest:.2f} s during the outage"
    with pytest.raises(StoreError, match="cannot reach"):
        CairnClient().get_run(run.info.run_id)
    with LiveServer(settings, port=port):
        shipped = sync(CairnClient())
        assert shipped[run.info.run_id] > 0
        stored = CairnClient().get_run(run.info.run_id)
        assert stored.info.status == "FINISHED"
        assert stored.data.params == {f"p{s}": str(s) for s in range(100, 500, 100)}
        assert stored.data.tags["progress"] == "400"
        history = CairnClient().get_metric_history(run.info.run_id, "loss")
        assert list(history.steps) == list(range(500))


def test_gc_through_the_server_frees_deleted_runs_files(remote, tmp_path):
    from cairn.errors import NotFound
    from cairn.tracking.gc import collect_garbage

    client = CairnClient()
    kept = client.create_run("0")
    doomed = client.create_run("0")
    for run in (kept, doomed):
        client.log_bytes(run.info.run_id, b"x" * 1000, "data/blob.bin")
    client.delete_run(doomed.info.run_id)
    report = collect_garbage(client)
    assert report.run_ids == [doomed.info.run_id] and report.bytes_freed == 1000
    with pytest.raises(NotFound):
        client.get_run(doomed.info.run_id)
    assert client.read_artifact(kept.info.run_id, "data/blob.bin") == b"x" * 1000
    leftovers = [
        p
        for p in (tmp_path / "artifacts").rglob("*")
        if doomed.info.run_id in str(p) and p.is_file()
    ]
    assert leftovers == []
