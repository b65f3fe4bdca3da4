"""Feeding monitors on a real SQLite store: predictions, late ground truth joined by request
id, batch files, the serving prediction log, and bad batches that store nothing."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from cairn.errors import InvalidInput, NotFound
from cairn.monitoring.ingest import (
    import_serving_logs,
    log_file,
    log_ground_truth,
    log_predictions,
)
from cairn.monitoring.monitors import create_monitor
from cairn.monitoring.window_data import MODEL_VERSION_COLUMN
from cairn.serving.predictions import PredictionLogger

SPEC = {
    "name": "churn-monitor",
    "model": "churn",
    "task": "classification",
    "features": {"age": "numeric", "plan": "categorical"},
    "target": "churned",
}


def _batch(n: int, start: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(start)
    return pd.DataFrame(
        {
            "request_id": [f"r-{i}" for i in range(start, start + n)],
            "age": rng.normal(40, 10, n).round(1),
            "plan": rng.choice(["basic", "pro"], n),
            "prediction": rng.integers(0, 2, n),
        }
    )


@pytest.fixture
def monitored(client):
    """Model ``churn`` with versions 1 and 2 (``champion`` -> 2) and one monitor of it."""
    registry = client.store.registry
    registry.create_registered_model("churn")
    registry.create_model_version("churn", "file:///models/churn/1")
    registry.create_model_version("churn", "file:///models/churn/2")
    registry.set_alias("churn", "champion", 2)
    reference = _batch(200, 1000).assign(churned=lambda f: f.prediction)
    create_monitor(SPEC, reference=reference)
    return client.store


def _chunk_frame(store, name: str) -> pd.DataFrame:
    last, _, _ = store.monitors.record_bounds(name)
    parts = [
        pd.read_parquet(io.BytesIO(data)) for _, data in store.monitors.read_chunks(name, 1, last)
    ]
    return pd.concat(parts, ignore_index=True)


def test_predictions_reach_every_monitor_of_the_model(monitored):
    create_monitor({**SPEC, "name": "second"}, reference=_batch(50).assign(churned=1))
    batch = _batch(30).assign(t=pd.date_range("2026-01-01", periods=30, freq="min", tz="UTC"))
    assert log_predictions(batch, model="churn@champion", time_column="t") == 30
    for name in ("churn-monitor", "second"):
        records = monitored.monitors.list_records(name)
        assert [r.request_id for r in records] == list(batch.request_id)
        assert records[0].time == int(pd.Timestamp("2026-01-01", tz="UTC").timestamp() * 1000)
        assert records[1].time - records[0].time == 60_000
        stored = _chunk_frame(monitored, name)
        assert list(stored.columns) == ["age", "plan", "prediction", MODEL_VERSION_COLUMN]
        assert set(stored[MODEL_VERSION_COLUMN]) == {2}  # what champion pointed at
        np.testing.assert_array_equal(stored.age, batch.age)
    (window,) = [monitored.monitors.record_bounds("second")]
    assert window[0] == 30


def test_model_version_from_the_reference(monitored):
    log_predictions(_batch(5), model="churn/1")
    log_predictions(_batch(5, 5), model="churn", model_version=2, time_column=None)
    log_predictions(_batch(5, 10), monitor="churn-monitor", request_id_column="none")
    records = monitored.monitors.list_records("churn-monitor")
    assert [r.request_id for r in records[10:]] == [None] * 5
    assert len(records) == 15
    versions = _chunk_frame(monitored, "churn-monitor")[MODEL_VERSION_COLUMN]
    assert list(versions[:10]) == [1] * 5 + [2] * 5 and versions[10:].isna().all()


def test_ground_truth_joins_by_request_id(monitored):
    log_predictions(_batch(10), model="churn")
    labels = pd.DataFrame({"request_id": ["r-1", "r-2", "ghost"], "churned": [1, 0, 1]})
    assert log_ground_truth(labels, model="churn") == (2, ["ghost"])
    assert log_ground_truth(pd.Series({"r-3": True}), monitor="churn-monitor") == (1, [])
    assert log_ground_truth({"r-4": "yes", "r-5": None}, monitor="churn-monitor") == (1, [])
    by_id = {r.request_id: r.label for r in monitored.monitors.list_records("churn-monitor")}
    assert (by_id["r-1"], by_id["r-2"], by_id["r-3"], by_id["r-4"]) == ("1", "0", "true", '"yes"')
    assert by_id["r-5"] is None
    # the label for an unknown id waits for its prediction
    log_predictions(_batch(1).assign(request_id="ghost"), model="churn")
    assert monitored.monitors.list_records("churn-monitor")[-1].label == "1"
    with pytest.raises(InvalidInput, match="target_column"):
        log_ground_truth(pd.DataFrame({"request_id": ["r-1"], "a": [1], "b": [2]}), model="churn")


def test_a_batch_missing_some_features_is_stored(monitored):
    assert log_predictions(_batch(4).drop(columns=["plan"]), model="churn") == 4
    assert "plan" not in _chunk_frame(monitored, "churn-monitor").columns


def test_mixed_types_are_stored_as_text(monitored):
    batch = _batch(3).assign(plan=["basic", 7, None])
    log_predictions(batch, model="churn")
    stored = list(_chunk_frame(monitored, "churn-monitor").plan)
    assert stored[:2] == ["basic", "7"] and pd.isna(stored[2])


BAD = [
    (lambda: log_predictions(_batch(3).drop(columns=["prediction"]), model="churn"),
     InvalidInput, "no prediction column 'prediction'"),
    (lambda: log_predictions(_batch(3)[["request_id", "prediction"]], model="churn"),
     InvalidInput, "none of the monitored features"),
    (lambda: log_predictions(_batch(3).assign(request_id="same"), model="churn"),
     InvalidInput, "request id 'same' appears twice"),
    (lambda: log_predictions(_batch(3), model="churn", time_column="when"),
     InvalidInput, "time_column 'when' is not a column"),
    (lambda: log_predictions(_batch(2).assign(t=["x", "2026-01-01"]), model="churn",
                             time_column="t"), InvalidInput, "are not times"),
    (lambda: log_predictions([{"age": 1}], model="churn"), InvalidInput, "takes a pandas DataFrame"),
    (lambda: log_predictions(_batch(3)), InvalidInput, "give either model="),
    (lambda: log_predictions(_batch(3), model="churn", monitor="x"), InvalidInput, "not both"),
    (lambda: log_predictions(_batch(3), model="churn", model_version=0), InvalidInput, ">= 1"),
    (lambda: log_predictions(_batch(3), model="other"), NotFound, "no monitor watches model"),
    (lambda: log_predictions(_batch(3), model="churn@nope"), NotFound, "nope"),
    (lambda: log_predictions(_batch(3), monitor="absent"), NotFound, "absent"),
    (lambda: log_ground_truth(["r-1"], model="churn"), InvalidInput, "labels are a DataFrame"),
    (lambda: log_ground_truth(pd.DataFrame({"id": ["a"], "y": [1]}), model="churn"),
     InvalidInput, "no request id column"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "message"), BAD, ids=[m for _, _, m in BAD])
def test_bad_input_leaves_the_store_unchanged(monitored, call, error, message):
    log_predictions(_batch(2, 100), model="churn")
    before = monitored.monitors.list_records("churn-monitor")
    with pytest.raises(error, match=message):
        call()
    assert monitored.monitors.list_records("churn-monitor") == before
    assert monitored.monitors.record_bounds("churn-monitor")[0] == 2


def test_a_repeated_request_id_is_refused_whole(monitored):
    log_predictions(_batch(3), model="churn")
    with pytest.raises(InvalidInput, match="r-2"):
        log_predictions(_batch(3, 2), model="churn")
    assert monitored.monitors.record_bounds("churn-monitor")[0] == 3


def test_log_file_with_labels(monitored, project):
    batch = _batch(6).assign(churned=[1, 0, None, 1, 0, 1])
    batch.to_csv(project / "batch.csv", index=False)
    assert log_file("batch.csv", "churn-monitor") == 6
    labels = [r.label for r in monitored.monitors.list_records("churn-monitor")]
    assert labels == ["1.0", "0.0", None, "1.0", "0.0", "1.0"]
    assert "churned" not in _chunk_frame(monitored, "churn-monitor").columns
    # rows without request ids get generated ones so their labels can be attached
    _batch(4, 50).drop(columns=["request_id"]).assign(churned=1).to_parquet(project / "b.parquet")
    assert log_file(str(project / "b.parquet"), "churn-monitor") == 4
    records = monitored.monitors.list_records("churn-monitor")[6:]
    assert all(r.request_id and r.label == "1" for r in records)
    with pytest.raises(NotFound):
        log_file("absent.csv", "churn-monitor")
    with pytest.raises(InvalidInput, match="is not a table"):
        log_file("batch.txt", "churn-monitor")


def _serve(client, records):
    logger = PredictionLogger(client, "churn", "models:/churn@champion", 1.0, flush_rows=2)
    for record in records:
        logger.log(record)
    logger.close()
    return logger


def _request(rid: str, rows: int, version: int = 2) -> dict:
    inputs = [{"age": 30.0 + i, "plan": "pro"} for i in range(rows)]
    return {
        "request_id": rid, "time_ms": 1_764_000_000_000, "model_uri": "models:/churn@champion",
        "model_target": version, "latency_ms": 1.0, "inputs": inputs, "predictions": [1] * rows,
    }  # fmt: skip


def test_import_serving_logs_only_once(monitored, client):
    assert import_serving_logs("churn-monitor") == 0  # no server ever logged
    first = _serve(client, [_request("a", 1), _request("b", 3), _request("c", 1, version=1)])
    assert first.written == 3
    assert import_serving_logs("churn-monitor") == 5
    records = monitored.monitors.list_records("churn-monitor")
    assert sorted(r.request_id for r in records) == ["a", "b", "b:1", "b:2", "c"]
    stored = _chunk_frame(monitored, "churn-monitor")
    assert set(stored.columns) == {"age", "plan", "prediction", MODEL_VERSION_COLUMN}
    assert sorted(stored[MODEL_VERSION_COLUMN]) == [1, 2, 2, 2, 2]
    assert import_serving_logs("churn-monitor") == 0  # nothing new
    # a second server's run is imported on its own; a damaged line and a request id
    # imported before are skipped
    second = _serve(client, [_request("d", 2)])
    files = client.artifact_store(second.run_id)
    text = files.read_bytes("predictions/chunk-000001.jsonl").decode()  # d again: skipped
    text += json.dumps(_request("f", 1)) + "\n{not json\n"
    client.log_text(second.run_id, text, "predictions/chunk-000002.jsonl")
    client.log_text(second.run_id, json.dumps(_request("e", 1)) + "\n",
                    "predictions/chunk-000003.jsonl")  # fmt: skip
    assert import_serving_logs("churn-monitor") == 2 + 1 + 1
    assert monitored.monitors.get_state("churn-monitor", f"serving:{second.run_id}") == "3"
    ids = [r.request_id for r in monitored.monitors.list_records("churn-monitor")]
    assert ids[5:] == ["d", "d:1", "f", "e"]


def test_ingested_rows_become_windows(monitored):
    """What ingestion stores is what the runner reads: a window per 20 records, judged
    against the labels that arrived and tagged with the version that predicted."""
    from cairn.monitoring.runner import run_monitor

    create_monitor({**SPEC, "name": "small", "window": {"count": 20}}, reference=_batch(100))
    batch = _batch(40)
    log_predictions(batch, monitor="small", model_version=2)
    truth = batch.assign(churned=batch.prediction)[["request_id", "churned"]]
    assert log_ground_truth(truth.head(30), monitor="small") == (30, [])
    summary = run_monitor("small", store=monitored, run_actions=False)
    assert summary.windows_added == [1, 2], summary.problems
    first, second = monitored.monitors.list_windows("small")
    assert (first.rows, first.labelled_rows, first.model_version) == (20, 20, 2)
    assert second.labelled_rows == 10
    assert first.results["quality"]["accuracy"] == 1.0


def test_the_same_through_a_live_server(cairn_server, project):
    """Ingestion over the REST store: predictions, labels and serving logs whose artifacts
    are read through the server's proxy."""
    from cairn.tracking.client import CairnClient

    remote = CairnClient(cairn_server)
    store = remote.store
    store.registry.create_registered_model("churn")
    create_monitor(SPEC, reference=_batch(100, 1000), store=store)
    assert log_predictions(_batch(5), model="churn", store=store) == 5
    assert log_ground_truth({"r-1": 1, "zz": 0}, model="churn", store=store) == (1, ["zz"])
    _serve(remote, [_request("s-1", 2)])
    assert import_serving_logs("churn-monitor", store=store) == 2
    assert import_serving_logs("churn-monitor", store=store) == 0
    records = store.monitors.list_records("churn-monitor")
    assert [r.request_id for r in records] == [*[f"r-{i}" for i in range(5)], "s-1", "s-1:1"]
    assert _chunk_frame(store, "churn-monitor").shape[0] == 7
