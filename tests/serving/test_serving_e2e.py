"""From a run to a scored request: a real scikit-learn model logged and registered with
cairn, served from ``models:/`` by ``cairn models serve`` and scored in batch."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest

import cairn
from cli_support import cairn as run_cli


@pytest.fixture
def iris_version(client):
    """A LogisticRegression on iris, logged and registered as ``iris`` version 1."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    frame = load_iris(as_frame=True)
    features = frame.data.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    model = LogisticRegression(max_iter=500).fit(features, frame.target)
    with cairn.start_run() as run:
        info = cairn.sklearn.log_model(
            model, name="model", input_example=features.head(5), registered_model_name="iris"
        )
    assert info.registered_model_version == 1
    return run.info.run_id, model, features


def test_serve_a_registered_sklearn_model(iris_version, serve):
    run_id, model, features = iris_version
    server = serve("models:/iris/1")
    sample = features.sample(20, random_state=1)
    body = {"dataframe_split": sample.to_dict(orient="split")}
    answer = httpx.post(f"{server.url}/invocations", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == model.predict(sample).tolist()
    meta = httpx.get(f"{server.url}/metadata").json()
    assert (meta["registered_model"], meta["version"]) == ("iris", 1)
    assert meta["run"]["run_id"] == run_id == meta["run_id"]
    assert "sklearn" in meta["flavors"]
    assert meta["input_columns"] == list(features.columns)
    missing = {"dataframe_records": [{"sepal_length": 1.0}]}
    refused = httpx.post(f"{server.url}/invocations", json=missing, timeout=30)
    assert refused.status_code == 400
    assert "missing" in refused.json()["message"]


def test_batch_score_through_an_alias(iris_version, client, tmp_path):
    _, model, features = iris_version
    client.store.registry.set_alias("iris", "champion", 1)
    many = pd.concat([features] * 10, ignore_index=True)
    many.to_parquet(tmp_path / "in.parquet")
    result = run_cli(
        "models", "predict", "-m", "models:/iris@champion", "-i", str(tmp_path / "in.parquet"),
        "-o", str(tmp_path / "out.csv"), "--chunk-size", "400",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = pd.read_csv(tmp_path / "out.csv")
    np.testing.assert_array_equal(written["prediction"].to_numpy(), model.predict(many))
