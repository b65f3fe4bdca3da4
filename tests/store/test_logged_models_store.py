"""Logged models and run inputs/outputs in the SQL store, on SQLite, PostgreSQL and MySQL."""

from __future__ import annotations

import math

import pytest

from cairn.entities import DatasetInput, ModelMetric, ModelOutput
from cairn.errors import InvalidInput, InvalidState, NotFound, ParamOverwrite
from cairn.store.model_validation import MAX_DATASET_SCHEMA_LENGTH
from cairn.store.sql import SqlStore

T0 = 1_700_000_000_000


@pytest.fixture
def store(sql_store_uri, tmp_path):
    opened = SqlStore(sql_store_uri, artifact_root=str(tmp_path / "artifacts"))
    yield opened
    opened.close()


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
