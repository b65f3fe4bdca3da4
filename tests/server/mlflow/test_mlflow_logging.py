"""MLflow's logging endpoints over HTTP: metrics, params, tags, batches, history, inputs,
outputs and the model history tag, with MLflow's limits and errors."""

from __future__ import annotations

import json
import math

import pytest
from mlflow_support import assert_error, changes_nothing

T0 = 1_700_000_000_000


@pytest.fixture
def run_id(mlflow_server) -> str:
    return mlflow_server.new_run(mlflow_server.new_experiment())


def _history(server, run_id: str, key: str, **params) -> dict:
    return server.ok(server.get("metrics/get-history", run_id=run_id, metric_key=key, **params))


def test_log_metric_accepts_protobuf_json_forms(mlflow_server, run_id):
    server = mlflow_server
    sent = [
        {"run_uuid": run_id, "key": "m", "value": 1, "timestamp": str(T0), "step": "2"},
        {"run_id": run_id, "key": "m", "value": "NaN", "timestamp": T0 + 1, "step": 3},
        {"run_id": run_id, "key": "m", "value": "Infinity", "timestamp": T0 + 2, "step": 4},
        {"run_id": run_id, "key": "m", "value": 0.5, "timestamp": T0 + 3},
    ]
    for body in sent:
        assert server.ok(server.post("runs/log-metric", body)) == {}
    assert _history(server, run_id, "m")["metrics"] == [
        {"key": "m", "value": 0.5, "timestamp": T0 + 3, "step": 0},
        {"key": "m", "value": 1.0, "timestamp": T0, "step": 2},
        {"key": "m", "value": "NaN", "timestamp": T0 + 1, "step": 3},
        {"key": "m", "value": "Infinity", "timestamp": T0 + 2, "step": 4},
    ]
    stored = server.store.runs.get_metric_history(run_id, "m")
    assert [m.step for m in stored] == [0, 2, 3, 4] and math.isnan(stored[2].value)


def test_history_pages_like_mlflow_3(mlflow_server, run_id):
    server = mlflow_server
    points = [{"key": "loss", "value": i, "timestamp": T0 + i, "step": i} for i in range(7)]
    server.ok(server.post("runs/log-batch", {"run_id": run_id, "metrics": points}))
    steps, token = [], None
    while True:
        page = _history(
            server, run_id, "loss", max_results=3, **({"page_token": token} if token else {})
        )
        steps.append([m["step"] for m in page["metrics"]])
        token = page.get("next_page_token")
        if token is None:
            break
    assert steps == [[0, 1, 2], [3, 4, 5], [6]]
    assert _history(server, run_id, "unknown") == {}
    with changes_nothing(server.store):
        zero = server.get("metrics/get-history", run_id=run_id, metric_key="loss", max_results=0)
        assert_error(zero, 400, "INVALID_PARAMETER_VALUE", "max_results")
        nobody = server.get("metrics/get-history", run_id="0" * 32, metric_key="loss")
        assert_error(nobody, 404, "RESOURCE_DOES_NOT_EXIST")
        no_key = server.get("metrics/get-history", run_id=run_id)
        assert_error(no_key, 400, "INVALID_PARAMETER_VALUE", "'metric_key'")


def test_params_are_immutable_and_tags_map_to_cairns(mlflow_server, run_id):
    server = mlflow_server
    param = {"run_id": run_id, "key": "lr", "value": "0.1"}
    server.ok(server.post("runs/log-parameter", param))
    server.ok(server.post("runs/log-parameter", param))  # the same value again is fine
    with changes_nothing(server.store):
        changed = server.post("runs/log-parameter", {**param, "value": "0.2"})
        assert_error(changed, 400, "INVALID_PARAMETER_VALUE", "immutable")
    server.ok(
        server.post("runs/set-tag", {"run_id": run_id, "key": "mlflow.runName", "value": "renamed"})
    )
    server.ok(
        server.post("runs/set-tag", {"run_id": run_id, "key": "mlflow.note.content", "value": "n"})
    )
    server.ok(server.post("runs/set-tag", {"run_uuid": run_id, "key": "team", "value": "ml"}))
    stored = server.store.runs.get_run(run_id)
    assert stored.info.run_name == "renamed"
    assert stored.data.tags == {"cairn.note.content": "n", "team": "ml"}
    server.ok(server.post("runs/delete-tag", {"run_id": run_id, "key": "mlflow.note.content"}))
    assert server.store.runs.get_run(run_id).data.tags == {"team": "ml"}
    with changes_nothing(server.store):
        missing = server.post("runs/delete-tag", {"run_id": run_id, "key": "mlflow.note.content"})
        assert_error(missing, 404, "RESOURCE_DOES_NOT_EXIST")
        name = server.post("runs/delete-tag", {"run_id": run_id, "key": "mlflow.runName"})
        assert_error(name, 400, "INVALID_PARAMETER_VALUE", "name")


def _batch(run_id: str, metrics: int = 0, params: int = 0, tags: int = 0) -> dict:
    return {
        "run_id": run_id,
        "metrics": [{"key": "m", "value": 1, "timestamp": T0, "step": i} for i in range(metrics)],
        "params": [{"key": f"p{i}", "value": "v"} for i in range(params)],
        "tags": [{"key": f"t{i}", "value": "v"} for i in range(tags)],
    }


@pytest.mark.parametrize(
    ("counts", "words"),
    [
        ({"metrics": 1001}, ["at most 1000 metrics. Got 1001"]),
        ({"params": 101}, ["at most 100 params. Got 101"]),
        ({"tags": 101}, ["at most 100 tags. Got 101"]),
        ({"metrics": 900, "params": 100, "tags": 1}, ["at most 1000 metrics, params, and tags"]),
    ],
)
def test_log_batch_keeps_mlflows_limits(mlflow_server, run_id, counts, words):
    with changes_nothing(mlflow_server.store):
        answer = mlflow_server.post("runs/log-batch", _batch(run_id, **counts))
        assert_error(answer, 400, "INVALID_PARAMETER_VALUE", *words)


def test_log_batch_at_the_limits_and_over_one_megabyte(mlflow_server, run_id):
    server = mlflow_server
    server.ok(server.post("runs/log-batch", _batch(run_id, metrics=800, params=100, tags=100)))
    stored = server.store.runs.get_run(run_id).data
    assert (len(stored.params), len(stored.tags)) == (100, 100)
    assert len(server.store.runs.get_metric_history(run_id, "m")) == 800
    with changes_nothing(server.store):
        heavy = _batch(run_id, params=1)
        heavy["params"][0]["value"] = "x" * 1_000_001
        answer = server.post("runs/log-batch", heavy)
        assert_error(answer, 400, "INVALID_PARAMETER_VALUE", "at most 1000000 bytes")


def test_a_batch_is_all_or_nothing(mlflow_server, run_id):
    server = mlflow_server
    server.ok(server.post("runs/log-parameter", {"run_id": run_id, "key": "p0", "value": "old"}))
    with changes_nothing(server.store):
        answer = server.post("runs/log-batch", _batch(run_id, metrics=3, params=1, tags=2))
        assert_error(answer, 400, "INVALID_PARAMETER_VALUE", "p0")
    stored = server.store.runs.get_run(run_id)
    assert (stored.data.metrics, stored.data.tags) == ({}, {})


@pytest.mark.parametrize(
    ("endpoint", "body", "status", "code", "words"),
    [
        ("runs/log-metric", {"key": "m", "value": 1, "timestamp": T0}, 400, "INVALID_PARAMETER_VALUE", ["'run_id'"]),
        ("runs/log-metric", {"run_id": "R", "key": "m", "value": "abc", "timestamp": T0}, 400, "INVALID_PARAMETER_VALUE", ["'value'"]),
        ("runs/log-metric", {"run_id": "R", "key": "m", "value": True, "timestamp": T0}, 400, "INVALID_PARAMETER_VALUE", ["boolean"]),
        ("runs/log-metric", {"run_id": "R", "key": "m", "value": 1}, 400, "INVALID_PARAMETER_VALUE", ["'timestamp'"]),
        ("runs/log-metric", {"run_id": "R", "key": "m", "value": 1, "timestamp": T0, "step": 1.5}, 400, "INVALID_PARAMETER_VALUE", ["'step'"]),
        ("runs/log-metric", {"run_id": "R", "key": "../m", "value": 1, "timestamp": T0}, 400, "INVALID_PARAMETER_VALUE", ["../m"]),
        ("runs/log-metric", {"run_id": "R", "key": "m", "value": 1, "timestamp": -1}, 400, "INVALID_PARAMETER_VALUE", ["timestamp"]),
        ("runs/log-metric", {"run_id": "0" * 32, "key": "m", "value": 1, "timestamp": T0}, 404, "RESOURCE_DOES_NOT_EXIST", []),
        ("runs/log-parameter", {"run_id": "R", "key": "p"}, 400, "INVALID_PARAMETER_VALUE", ["'value'"]),
        ("runs/log-parameter", {"run_id": "R", "key": "p", "value": "v" * 6001}, 400, "INVALID_PARAMETER_VALUE", ["6001"]),
        ("runs/set-tag", {"run_id": "R", "key": "a b!", "value": "v"}, 400, "INVALID_PARAMETER_VALUE", ["'a b!'"]),
        ("runs/set-tag", {"run_id": "R", "key": "t", "value": 5}, 400, "INVALID_PARAMETER_VALUE", ["'value'"]),
        ("runs/delete-tag", {"run_id": "R"}, 400, "INVALID_PARAMETER_VALUE", ["'key'"]),
        ("runs/log-batch", {"metrics": []}, 400, "INVALID_PARAMETER_VALUE", ["'run_id'"]),
        ("runs/log-batch", {"run_id": "R", "metrics": [{"key": "m", "value": 1}]}, 400, "INVALID_PARAMETER_VALUE", ["'metrics[0].timestamp'"]),
        ("runs/log-batch", {"run_id": "R", "params": [{"key": "p", "value": "a"}, {"key": "p", "value": "b"}]}, 400, "INVALID_PARAMETER_VALUE", ["twice"]),
        ("runs/log-batch", {"run_id": "R", "metrics": [{"key": "m", "value": 1, "timestamp": T0, "model_id": "m-" + "0" * 32}]}, 404, "RESOURCE_DOES_NOT_EXIST", ["m-000"]),
        ("runs/log-inputs", {"run_id": "R", "datasets": [{"dataset": {"name": "d"}}]}, 400, "INVALID_PARAMETER_VALUE", ["'datasets[0].dataset.digest'"]),
        ("runs/log-inputs", {"run_id": "R", "datasets": [{"dataset": {"name": "d", "digest": "x" * 37, "source_type": "s", "source": "{}"}}]}, 400, "INVALID_PARAMETER_VALUE", ["digest", "37"]),
        ("runs/log-inputs", {"run_id": "R", "datasets": [{"dataset": {"name": "d", "digest": "x", "source_type": "s", "source": "{}"}, "tags": [{"key": "k", "value": "v" * 501}]}]}, 400, "INVALID_PARAMETER_VALUE", ["501"]),
        ("runs/log-inputs", {"run_id": "R", "models": [{"model_id": "m-" + "0" * 32}]}, 404, "RESOURCE_DOES_NOT_EXIST", []),
        ("runs/log-inputs", {"run_id": "R", "models": [{"model_id": "mine"}]}, 400, "INVALID_PARAMETER_VALUE", ["'mine'"]),
        ("runs/outputs", {"run_id": "R", "models": [{"model_id": "m-" + "0" * 32}]}, 400, "INVALID_PARAMETER_VALUE", ["'models[0].step'"]),
        ("runs/log-model", {"run_id": "R", "model_json": "{oops"}, 400, "INVALID_PARAMETER_VALUE", ["JSON"]),
        ("runs/log-model", {"run_id": "R", "model_json": "{}"}, 400, "INVALID_PARAMETER_VALUE", ["artifact_path", "utc_time_created"]),
        ("runs/log-model", {"run_id": "R", "model_json": "[1]"}, 400, "INVALID_PARAMETER_VALUE", ["object"]),
    ],
)  # fmt: skip
def test_bad_logging_requests_get_mlflows_error_and_change_nothing(
    mlflow_server, run_id, endpoint, body, status, code, words
):
    body = {k: (run_id if v == "R" else v) for k, v in body.items()}
    with changes_nothing(mlflow_server.store):
        assert_error(mlflow_server.post(endpoint, body), status, code, *words)


def test_logging_to_a_deleted_run_is_refused(mlflow_server, run_id):
    server = mlflow_server
    server.ok(server.post("runs/delete", {"run_id": run_id}))
    with changes_nothing(server.store):
        point = {"run_id": run_id, "key": "m", "value": 1, "timestamp": T0}
        assert_error(
            server.post("runs/log-metric", point), 400, "INVALID_PARAMETER_VALUE", "deleted"
        )
        tag = {"run_id": run_id, "key": "t", "value": "v"}
        assert_error(server.post("runs/set-tag", tag), 400, "INVALID_PARAMETER_VALUE", "deleted")


DATASET = {"name": "tiny", "digest": "abc", "source_type": "local", "source": '{"uri": "x"}'}


def test_inputs_and_outputs_read_back_in_get_run(mlflow_server, run_id):
    server = mlflow_server
    experiment_id = server.store.runs.get_run(run_id).info.experiment_id
    model = server.ok(server.post("logged-models", {"experiment_id": experiment_id}))
    model_id = model["model"]["info"]["model_id"]
    full = {**DATASET, "schema": '{"cols": ["a"]}', "profile": '{"rows": 6}'}
    train = {"dataset": full, "tags": [{"key": "mlflow.data.context", "value": "training"}]}
    server.ok(server.post("runs/log-inputs", {"run_id": run_id, "datasets": [train]}))
    again = {"dataset": full, "tags": [{"key": "mlflow.data.context", "value": "eval"}]}
    other = {"dataset": {**DATASET, "digest": "def"}}
    inputs = {"run_id": run_id, "datasets": [again, other], "models": [{"model_id": model_id}]}
    server.ok(server.post("runs/log-inputs", inputs))
    server.ok(
        server.post(
            "runs/outputs", {"run_id": run_id, "models": [{"model_id": model_id, "step": 7}]}
        )
    )
    run = server.ok(server.get("runs/get", run_id=run_id))["run"]
    assert run["inputs"] == {
        "dataset_inputs": [
            train,
            {"dataset": other["dataset"]},
        ],  # the same dataset keeps its first tags
        "model_inputs": [{"model_id": model_id}],
    }
    assert run["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 7}]}
    searched = server.ok(server.post("runs/search", {"experiment_ids": [experiment_id]}))
    assert searched["runs"][0]["inputs"] == run["inputs"]


def test_log_model_appends_to_the_history_tag(mlflow_server, run_id):
    server = mlflow_server
    models = [
        {"artifact_path": name, "flavors": {}, "run_id": run_id, "utc_time_created": "2026-01-01"}
        for name in ("first", "second")
    ]
    for model in models:
        server.ok(
            server.post("runs/log-model", {"run_id": run_id, "model_json": json.dumps(model)})
        )
    tags = {
        t["key"]: t["value"]
        for t in server.ok(server.get("runs/get", run_id=run_id))["run"]["data"]["tags"]
    }
    assert json.loads(tags["mlflow.log-model.history"]) == models


def test_points_naming_a_model_go_to_the_model_and_once_to_the_run(mlflow_server, run_id):
    server = mlflow_server
    experiment_id = server.store.runs.get_run(run_id).info.experiment_id
    model = server.ok(
        server.post("logged-models", {"experiment_id": experiment_id, "source_run_id": run_id})
    )
    model_id = model["model"]["info"]["model_id"]
    logged = {"key": "loss", "value": 1.0, "timestamp": T0, "step": 0}
    server.ok(server.post("runs/log-metric", {"run_id": run_id, **logged}))
    linked = {**logged, "model_id": model_id, "dataset_name": "tiny", "dataset_digest": "abc"}
    fresh = {**linked, "value": 0.5, "timestamp": T0 + 1, "step": 1}
    server.ok(server.post("runs/log-batch", {"run_id": run_id, "metrics": [linked, fresh, fresh]}))
    history = _history(server, run_id, "loss")["metrics"]
    assert [(m["step"], m["value"]) for m in history] == [(0, 1.0), (1, 0.5)]
    data = server.ok(server.http.get(f"/api/2.0/mlflow/logged-models/{model_id}"))["model"]["data"]
    expected = {
        "dataset_name": "tiny",
        "dataset_digest": "abc",
        "model_id": model_id,
        "run_id": run_id,
    }
    assert data["metrics"] == [{**logged, **expected}, {**fresh, **expected}]


def test_a_batch_with_a_bad_model_point_or_name_writes_nothing(mlflow_server, run_id):
    server = mlflow_server
    experiment_id = server.store.runs.get_run(run_id).info.experiment_id
    model_id = server.ok(server.post("logged-models", {"experiment_id": experiment_id}))["model"][
        "info"
    ]["model_id"]
    point = {
        "key": "m",
        "value": 1,
        "timestamp": T0,
        "model_id": model_id,
        "dataset_name": "d" * 501,
    }
    with changes_nothing(server.store):
        answer = server.post("runs/log-batch", {"run_id": run_id, "metrics": [point]})
        assert_error(answer, 400, "INVALID_PARAMETER_VALUE", "501")
        named = _batch(run_id, metrics=2)
        named["tags"] = [{"key": "mlflow.runName", "value": "n" * 251}]
        assert_error(
            server.post("runs/log-batch", named), 400, "INVALID_PARAMETER_VALUE", "run name"
        )


def test_a_broken_model_history_tag_is_reported(mlflow_server, run_id):
    server = mlflow_server
    tag = {"run_id": run_id, "key": "mlflow.log-model.history", "value": "not json"}
    server.ok(server.post("runs/set-tag", tag))
    model = {"artifact_path": "m", "flavors": {}, "run_id": run_id, "utc_time_created": "now"}
    with changes_nothing(server.store):
        answer = server.post("runs/log-model", {"run_id": run_id, "model_json": json.dumps(model)})
        assert_error(answer, 400, "INVALID_PARAMETER_VALUE", "not a JSON list")
