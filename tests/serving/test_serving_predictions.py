"""Prediction logging: sampled, asynchronous, into the run of ``serving:<model>``."""

from __future__ import annotations

import json

import httpx
import pytest

from cairn.errors import InvalidInput
from cairn.serving.predictions import PredictionLogger, experiment_name


def _records(client, run_id: str) -> list[dict]:
    found = []
    for info in client.list_artifacts(run_id, "predictions"):
        text = client.read_artifact(run_id, info.path).decode()
        found.extend(json.loads(line) for line in text.splitlines())
    return found


def test_the_logger_writes_chunks_and_ends_its_run(client):
    logger = PredictionLogger(client, "churn", "models:/churn@champion", 1.0, flush_rows=200)
    for i in range(450):
        logger.log({"request_id": f"r{i}", "predictions": [i]})
    logger.close()
    run = client.get_run(logger.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["cairn.serving.uri"] == "models:/churn@champion"
    assert client.get_experiment(run.info.experiment_id).name == "serving:churn"
    names = sorted(i.path for i in client.list_artifacts(logger.run_id, "predictions"))
    assert names == [f"predictions/chunk-00000{n}.jsonl" for n in (1, 2, 3)]
    assert [r["request_id"] for r in _records(client, logger.run_id)] == [
        f"r{i}" for i in range(450)
    ]


def test_sampling_keeps_about_the_rate(client):
    logger = PredictionLogger(client, "m", "m", 0.25)
    kept = sum(logger.wants() for _ in range(4000))
    logger.close()
    assert 800 < kept < 1200
    never = PredictionLogger(client, "m", "m", 0.0)
    assert not any(never.wants() for _ in range(100))
    never.close()


def test_a_rate_outside_0_1_is_refused_and_creates_nothing(client):
    with pytest.raises(InvalidInput, match="within 0 and 1, got 1.5"):
        PredictionLogger(client, "m", "m", 1.5)
    assert client.find_experiment_by_name(experiment_name("m")) is None


def test_a_server_logs_its_predictions_with_the_request_ids(client, serve, scorer_folder):
    server = serve(str(scorer_folder), "--log-predictions", "1")
    ids = []
    for x in range(5):
        body = {"dataframe_records": [{"x": float(x), "n": 1}]}
        answer = httpx.post(f"{server.url}/invocations", json=body, timeout=30)
        assert answer.status_code == 200
        ids.append(answer.headers["x-request-id"])
    bad = httpx.post(f"{server.url}/invocations", json={"nope": 1}, timeout=30)
    assert bad.status_code == 400
    server.stop()  # shutdown flushes the queue and ends the run
    experiment = client.get_experiment_by_name("serving:scorer")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    records = _records(client, run.info.run_id)
    assert [r["request_id"] for r in records] == ids  # failed requests are not logged
    assert records[2]["inputs"] == [{"x": 2.0, "n": 1}]
    assert records[2]["predictions"] == [5.0]
    assert records[2]["latency_ms"] >= 0
