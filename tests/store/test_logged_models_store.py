"""Logged models, run inputs/outputs and runs' latest metric points in the store, on every
backend (SQLite, PostgreSQL, MySQL and a live cairn server); bad input over HTTP."""

from __future__ import annotations

import math

import httpx
import pytest

from cairn.entities import DatasetInput, Metric, ModelMetric, ModelOutput
from cairn.errors import InvalidInput, InvalidState, NotFound, ParamOverwrite
from cairn.store.model_validation import MAX_DATASET_SCHEMA_LENGTH

T0 = 1_700_000_000_000


@pytest.fixture
def store(cairn_store):
    return cairn_store


def test_a_model_keeps_tags_params_and_metrics_exactly(store):
    run_id = store.runs.create_run("0").info.run_id
    model = store.logged_models.create_logged_model(
        "0", "clf", run_id, "sklearn", tags={"Case": "A", "case": "a"}, params={"C": "1"}
    )
    assert model.artifact_location.endswith(f"/0/models/{model.model_id}/artifacts")
    points = [
        ModelMetric("acc", 0.5, T0, 1, run_id, "val", "d1"),
        ModelMetric("acc", math.inf, T0 + 1, 2),
        ModelMetric("acc", -math.inf, T0 + 2, 3),
        ModelMetric("acc", math.nan, T0 + 3, 4),
    ]
    store.logged_models.log_logged_model_metrics(model.model_id, points)
    store.logged_models.log_logged_model_metrics(model.model_id, points[:1])  # kept once
    store.logged_models.log_logged_model_params(model.model_id, {"C": "1", "solver": "lbfgs"})
    got = store.logged_models.get_logged_model(model.model_id)
    assert got.tags == {"Case": "A", "case": "a"}
    assert got.params == {"C": "1", "solver": "lbfgs"}
    assert got.metrics[:3] == points[:3] and math.isnan(got.metrics[3].value)
    assert len(got.metrics) == 4
    with pytest.raises(ParamOverwrite):
        store.logged_models.log_logged_model_params(model.model_id, {"C": "2"})
    ready = store.logged_models.finalize_logged_model(model.model_id, "ready")
    assert (ready.status, ready.source_run_id, ready.model_type) == ("READY", run_id, "sklearn")


def test_search_evaluates_the_filter_on_each_model(store):
    made = []
    for i in range(3):
        made.append(store.logged_models.create_logged_model("0", f"m{i}", tags={"i": str(i)}))
    found = store.logged_models.search_logged_models(["0"], "tags.i IN ('0', '2') AND name != 'm2'")
    assert [m.name for m in found] == ["m0"]
    first = store.logged_models.search_logged_models(["0"], max_results=2, order_by=["name ASC"])
    rest = store.logged_models.search_logged_models(
        ["0"], max_results=2, order_by=["name ASC"], page_token=first.next_page_token
    )
    assert [m.name for m in first] + [m.name for m in rest] == ["m0", "m1", "m2"]
    assert rest.next_page_token is None


def test_run_inputs_keep_large_descriptions_and_their_first_logging(store):
    run_id = store.runs.create_run("0").info.run_id
    model_id = store.logged_models.create_logged_model("0").model_id
    big = DatasetInput("d", "x" * 36, "s3", "{}", "s" * MAX_DATASET_SCHEMA_LENGTH, "p", {"k": "v"})
    store.run_io.log_inputs(run_id, [big], [model_id])
    store.run_io.log_inputs(run_id, [DatasetInput("d", "x" * 36, "other", "{}")], [model_id])
    store.run_io.log_outputs(run_id, [ModelOutput(model_id, 3), ModelOutput(model_id, 9)])
    io = store.run_io.get_run_io(run_id)
    assert io.datasets == [big]
    assert (io.model_inputs, io.model_outputs) == ([model_id], [ModelOutput(model_id, 3)])
    with pytest.raises(InvalidInput, match="schema"):
        store.run_io.log_inputs(
            run_id, [DatasetInput("e", "y", "s3", "{}", "s" * (MAX_DATASET_SCHEMA_LENGTH + 1))]
        )
    with pytest.raises(NotFound):
        store.run_io.log_outputs(run_id, [ModelOutput("m-" + "0" * 32, 1)])


def test_purging_runs_and_experiments_takes_their_models_and_links(store):
    experiment_id = store.experiments.create_experiment("gone")
    run_id = store.runs.create_run(experiment_id).info.run_id
    model_id = store.logged_models.create_logged_model(experiment_id, source_run_id=run_id).model_id
    store.logged_models.log_logged_model_metrics(model_id, [ModelMetric("m", 1.0, T0, 0, run_id)])
    store.run_io.log_inputs(run_id, [DatasetInput("d", "x", "s3", "{}")], [model_id])
    store.run_io.log_outputs(run_id, [ModelOutput(model_id, 1)])
    store.runs.delete_run(run_id)
    with pytest.raises(InvalidState):
        store.run_io.log_outputs(run_id, [ModelOutput(model_id, 2)])
    store.runs.purge_run(run_id)
    assert store.run_io.get_runs_io([run_id])[run_id].datasets == []
    store.experiments.delete_experiment(experiment_id)
    store.experiments.purge_experiment(experiment_id)
    with pytest.raises(NotFound):
        store.logged_models.get_logged_model(model_id, allow_deleted=True)


def test_tags_deletion_and_artifact_records_of_a_model(store):
    model_id = store.logged_models.create_logged_model("0", "m", tags={"a": "1"}).model_id
    store.logged_models.set_logged_model_tags(model_id, {"a": "2", "b": "3"})
    store.logged_models.delete_logged_model_tag(model_id, "b")
    with pytest.raises(NotFound):
        store.logged_models.delete_logged_model_tag(model_id, "b")
    store.logged_models.record_logged_model_artifacts(
        model_id, {"MLmodel": {"size": 3, "blake3": "0" * 64}}
    )
    events = store.audit.list_events(entity=f"logged_model:{model_id}")
    assert [e.action for e in events][-1] == "logged_model.log_artifacts"
    assert store.logged_models.get_logged_model(model_id).tags == {"a": "2"}
    failed = store.logged_models.finalize_logged_model(model_id, "FAILED", "upload broke")
    assert (failed.status, failed.status_message) == ("FAILED", "upload broke")
    store.logged_models.delete_logged_model(model_id)
    with pytest.raises(NotFound):
        store.logged_models.get_logged_model(model_id)
    with pytest.raises(InvalidState):
        store.logged_models.delete_logged_model(model_id)
    with pytest.raises(InvalidState):
        store.logged_models.set_logged_model_tags(model_id, {"c": "4"})
    gone = store.logged_models.get_logged_model(model_id, allow_deleted=True)
    assert (gone.lifecycle_stage, gone.tags) == ("deleted", {"a": "2"})
    assert store.logged_models.search_logged_models(["0"]).items == []


def test_search_counts_only_metrics_of_the_datasets_asked_for(store):
    on_val = store.logged_models.create_logged_model("0", "val").model_id
    on_test = store.logged_models.create_logged_model("0", "test").model_id
    store.logged_models.log_logged_model_metrics(
        on_val, [ModelMetric("acc", 0.9, T0, 0, dataset_name="val", dataset_digest="d1")]
    )
    store.logged_models.log_logged_model_metrics(
        on_test, [ModelMetric("acc", 0.8, T0, 0, dataset_name="test")]
    )
    found = store.logged_models.search_logged_models(["0"], "metrics.acc > 0.5")
    assert sorted(m.name for m in found) == ["test", "val"]
    found = store.logged_models.search_logged_models(
        ["0"], "metrics.acc > 0.5", datasets=[("val", "d1")]
    )
    assert [m.name for m in found] == ["val"]
    with pytest.raises(InvalidInput, match="dataset digest"):
        store.logged_models.search_logged_models(["0"], datasets=[("val", "x" * 37)])


def test_inputs_and_outputs_of_many_runs_at_once(store):
    first, second = (store.runs.create_run("0").info.run_id for _ in range(2))
    model_id = store.logged_models.create_logged_model("0").model_id
    tagged = DatasetInput("d", "x", "local", "/data", profile='{"rows": 3}', tags={"k": "v"})
    store.run_io.log_inputs(first, [tagged])
    store.run_io.log_outputs(second, [ModelOutput(model_id, 7)])
    missing = "f" * 32
    found = store.run_io.get_runs_io([first, second, missing])
    assert found[first].datasets == [tagged] and found[first].model_outputs == []
    assert found[second].model_outputs == [ModelOutput(model_id, 7)]
    assert found[missing].datasets == found[missing].model_outputs == []
    assert store.run_io.get_runs_io([]) == {}
    with pytest.raises(NotFound):
        store.run_io.get_run_io(missing)
    with pytest.raises(InvalidInput, match="logged model id"):
        store.run_io.log_inputs(first, models=["not-a-model"])


def test_latest_metrics_carry_their_step_and_timestamp(store):
    run_id = store.runs.create_run("0").info.run_id
    points = [
        Metric("loss", 1.0, T0, 0),
        Metric("loss", 0.5, T0 + 9, 2),
        Metric("loss", 2.0, T0, 1),
    ]
    store.runs.log_batch(run_id, metrics=[*points, Metric("nan", math.nan, T0, 0)])
    idle = store.runs.create_run("0").info.run_id
    latest = store.runs.get_latest_metrics([run_id, idle])
    assert latest[run_id]["loss"] == Metric("loss", 0.5, T0 + 9, 2)
    assert math.isnan(latest[run_id]["nan"].value)
    assert latest[idle] == {}
    assert store.runs.get_latest_metrics(["e" * 32]).get("e" * 32, {}) == {}
    with pytest.raises(InvalidInput):
        store.runs.get_latest_metrics(["no-such-id"])


# -- bad input over HTTP: a 400 naming the field, and nothing stored ---------------------------


@pytest.fixture
def http(cairn_server):
    with httpx.Client(base_url=f"{cairn_server}/api/v1", timeout=30) as client:
        yield client


def _refused(answer: httpx.Response, *words: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    for word in words:
        assert word in answer.json()["message"], answer.json()["message"]


def _models(http: httpx.Client) -> list[dict]:
    found = http.post("/logged-models/search", json={"experiment_ids": ["0"]})
    assert found.status_code == 200, found.text
    return found.json()["items"]


def test_bad_logged_model_requests_name_the_field_and_store_nothing(http):
    _refused(http.post("/logged-models", json={"experiment_id": "0", "nmae": "x"}), "nmae")
    _refused(http.post("/logged-models", json={"experiment_id": "0", "tags": {"t": 1}}), "tags.t")
    _refused(
        http.post("/logged-models", json={"experiment_id": "0", "params": {"bad\nkey": "1"}}),
        "param",
    )
    _refused(http.post("/logged-models", json={"experiment_id": "0", "name": "n" * 300}), "name")
    assert _models(http) == []
    made = http.post("/logged-models", json={"experiment_id": "0", "name": "m"}).json()
    model = f"/logged-models/{made['model_id']}"
    point = {"key": "acc", "value": 0.5, "timestamp": T0}
    _refused(http.post(f"{model}/metrics", json={"metrics": [{**point, "value": True}]}), "value")
    _refused(http.post(f"{model}/metrics", json={"metrics": [{**point, "step": 2**64}]}), "step")
    _refused(http.post(f"{model}/metrics", json={"metrics": [{**point, "run_id": "x"}]}), "run")
    _refused(
        http.post(f"{model}/metrics", json={"metrics": [point, {**point, "timestamp": -1}]}),
        "timestamp",
    )
    _refused(http.patch(model, json={"status": "DONE"}), "status")
    _refused(http.post(f"{model}/tags", json={"tags": {"": "v"}}), "tag")
    _refused(http.get("/logged-models/m-123"), "logged model id")
    _refused(http.post("/logged-models/search", json={"experiment_ids": ["0"], "max_results": 0}))
    _refused(
        http.post("/logged-models/search", json={"experiment_ids": ["0"], "filter_string": "("}),
    )
    [stored] = _models(http)
    assert (stored["metrics"], stored["tags"], stored["status"]) == ([], {}, "PENDING")


def test_bad_run_io_requests_name_the_field_and_store_nothing(http):
    run_id = http.post("/runs", json={"experiment_id": "0"}).json()["info"]["run_id"]
    dataset = {"name": "d", "digest": "x", "source_type": "s3", "source": "{}"}
    inputs = f"/runs/{run_id}/inputs"
    _refused(http.post(inputs, json={"datasets": [{**dataset, "dataset_schema": "{}"}]}), "schema")
    too_long = "s" * (MAX_DATASET_SCHEMA_LENGTH + 1)
    _refused(http.post(inputs, json={"datasets": [dataset, {**dataset, "schema": too_long}]}))
    _refused(http.post(inputs, json={"datasets": [{**dataset, "digest": "x" * 37}]}), "digest")
    _refused(http.post(inputs, json={"datasets": [dataset], "models": ["m-1"]}), "logged model id")
    _refused(http.post(f"/runs/{run_id}/outputs", json={"models": [{"model_id": "m"}]}), "model")
    _refused(
        http.post(f"/runs/{run_id}/outputs", json={"models": [{"model_id": "m", "step": "a"}]}),
        "models.0.step",
    )
    _refused(http.post("/runs/io", json={"run_ids": ["x"] * 1001}), "run_ids")
    _refused(http.post("/runs/latest-metrics", json={"run_ids": ["not-a-run"]}), "run")
    assert http.get(f"/runs/{run_id}/io").json() == {
        "datasets": [],
        "model_inputs": [],
        "model_outputs": [],
    }
