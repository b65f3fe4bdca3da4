"""Defining monitors end to end: a real scikit-learn model logged with its training data and
registered, features from its signature, the reference read from a path, a logged dataset
(also back from the data cache) or the training run, and failures that store nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cairn
from cairn.data.add import add
from cairn.data.workspace import Workspace
from cairn.errors import AlreadyExists, InvalidInput, NotFound
from cairn.monitoring.monitors import (
    create_monitor,
    delete_monitor,
    get_reference_summary,
    get_spec,
    update_monitor,
)
from cairn.monitoring.reference_data import load_reference_frame
from cairn.monitoring.spec import ColumnSpec, ReferenceSpec
from cairn.monitoring.spec_parse import parse_spec

SPEC = {"name": "churn-monitor", "model": "churn", "task": "classification", "target": "churned"}


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n).round(1),
            "plan": rng.choice(["basic", "pro"], n),
            "tenure": rng.integers(1, 60, n),
        }
    )
    frame["churned"] = ((frame.age < 38) & (frame.plan == "basic")).astype(int)
    return frame


def _log_model(frame: pd.DataFrame, dataset: str | None) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    encode = ColumnTransformer([("plan", OneHotEncoder(), ["plan"])], remainder="passthrough")
    model = make_pipeline(encode, LogisticRegression(max_iter=500))
    features = frame[["age", "plan", "tenure"]]
    model.fit(features, frame["churned"])
    with cairn.start_run():
        if dataset is not None:
            cairn.log_input(cairn.data.dataset(dataset, name="train"), context="training")
        cairn.sklearn.log_model(
            model, name="model", input_example=features.head(5), registered_model_name="churn"
        )


@pytest.fixture
def churn(project, client):
    """``churn`` version 1, trained on data/train.csv (logged as dataset ``train``)."""
    frame = _frame()
    (project / "data").mkdir()
    frame.to_csv(project / "data" / "train.csv", index=False)
    _log_model(frame, "data/train.csv")
    return frame


def test_features_from_the_signature_and_reference_from_the_training_run(churn, client):
    monitor = create_monitor(SPEC)
    spec = get_spec(monitor)
    assert spec.features == (
        ColumnSpec("age", "numeric"),
        ColumnSpec("plan", "categorical"),
        ColumnSpec("tenure", "numeric"),
    )
    (logged,) = client.get_dataset("train")
    assert spec.reference == ReferenceSpec(dataset="train", digest=logged.digest)
    summary = get_reference_summary("churn-monitor")
    assert summary.rows == len(churn)
    assert summary.digest == monitor.reference_digest
    assert set(summary.columns) == {"age", "plan", "tenure"}
    # the training data had no predictions: the model scored it, so quality is known
    assert summary.prediction is not None
    assert summary.quality is not None and summary.quality["accuracy"] > 0.8
    assert client.store.monitors.list_monitors(model="churn") == [monitor]


def test_yaml_file_with_an_alias_and_a_reference_path(churn, client, project):
    client.store.registry.set_alias("churn", "champion", 1)
    other = _frame(120, seed=3)
    other.to_parquet(project / "ref.parquet")
    (project / "monitor.yaml").write_text(
        "name: by-file\nmodel: churn\nversion: champion\ntask: classification\n"
        "features: {age: numeric, plan: categorical}\nreference: {path: ref.parquet}\n"
        "segments: [plan]\nwindow: {count: 50}\n"
    )
    monitor = create_monitor(project / "monitor.yaml")
    assert get_spec(monitor).model_ref == "champion"
    assert get_reference_summary("by-file").rows == 120


def test_a_dataset_is_read_back_at_its_version(churn, client, project):
    spec = parse_spec({**SPEC, "reference": {"dataset": "train"}})
    assert load_reference_frame(client.store, spec).shape == churn.shape
    digest = client.get_dataset("train")[0].digest
    pinned = parse_spec({**SPEC, "reference": {"dataset": "train", "digest": digest[:8]}})
    assert len(load_reference_frame(client.store, pinned)) == len(churn)
    # the file changed since it was logged and its content is not cached: say what to do
    _frame(10, seed=9).to_csv(project / "data" / "train.csv", index=False)
    with pytest.raises(NotFound, match="neither in the data cache nor unchanged"):
        load_reference_frame(client.store, spec)
    with pytest.raises(NotFound, match="has no version with digest ffff"):
        load_reference_frame(client.store, parse_spec({**SPEC, "reference": {
            "dataset": "train", "digest": "ffff"}}))  # fmt: skip


def test_a_versioned_file_is_read_from_the_data_cache(project, client):
    frame = _frame(80)
    (project / "data").mkdir()
    frame.to_csv(project / "data" / "train.csv", index=False)
    workspace = Workspace.find(project)
    try:
        add(workspace, ["data/train.csv"], cwd=project)
    finally:
        workspace.close()
    _log_model(frame, "data/train.csv")
    (project / "data" / "train.csv").unlink()  # only the pointer and the cache remain
    spec = parse_spec({**SPEC, "features": {"age": "numeric"}})
    assert len(load_reference_frame(client.store, spec)) == 80
    path_spec = parse_spec({**SPEC, "reference": {"path": "data/train.csv"}})
    pd.testing.assert_frame_equal(load_reference_frame(client.store, path_spec), frame)


def test_a_reference_frame_given_in_python(churn, client):
    monitor = create_monitor({**SPEC, "name": "given"}, reference=churn.head(50))
    assert get_reference_summary(monitor.name).rows == 50


def test_failures_store_nothing(churn, client, project):
    monitors = client.store.monitors
    with pytest.raises(NotFound, match="nope"):
        create_monitor({**SPEC, "model": "nope"})
    with pytest.raises(NotFound):
        create_monitor({**SPEC, "version": 7})
    with pytest.raises(InvalidInput, match="lacks feature"):
        create_monitor({**SPEC, "features": {"age": "numeric", "income": "numeric"}})
    with pytest.raises(NotFound, match="does not exist"):
        create_monitor({**SPEC, "reference": {"path": "absent.csv"}})
    with pytest.raises(InvalidInput, match="is not a table"):
        create_monitor({**SPEC, "reference": {"path": "monitor.txt"}})
    with pytest.raises(InvalidInput, match="monitor spec: task must be"):
        create_monitor({**SPEC, "task": "ranking"})
    assert monitors.list_monitors() == []
    create_monitor(SPEC)
    with pytest.raises(AlreadyExists):
        create_monitor(SPEC)
    assert len(monitors.list_monitors()) == 1


def test_a_model_trained_on_no_logged_dataset(project, client):
    _log_model(_frame(), None)
    with pytest.raises(NotFound, match="was trained on no logged dataset; give reference"):
        create_monitor(SPEC)
    assert client.store.monitors.list_monitors() == []


def test_update_and_delete(churn, client):
    first = create_monitor(SPEC)
    same = update_monitor("churn-monitor", {**get_spec(first).to_dict(), "window": {"count": 10}})
    assert get_spec(same).window.size == 10
    assert same.reference_digest == first.reference_digest
    narrower = {**get_spec(same).to_dict(), "features": {"age": "numeric"}}
    changed = update_monitor("churn-monitor", narrower)
    assert changed.reference_digest != first.reference_digest
    assert set(get_reference_summary("churn-monitor").columns) == {"age"}
    with pytest.raises(InvalidInput, match="cannot change"):
        update_monitor("churn-monitor", {**SPEC, "name": "renamed"})
    assert client.store.monitors.get_monitor("churn-monitor").spec == changed.spec
    delete_monitor("churn-monitor")
    assert client.store.monitors.find_monitor("churn-monitor") is None
