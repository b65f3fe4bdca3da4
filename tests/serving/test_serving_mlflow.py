"""A model folder written by the real ``mlflow`` is served by ``cairn models serve`` (a
pickled one only with ``--trusted``), and the answers match MLflow's own payload forms."""

from __future__ import annotations

import warnings

import httpx
import pandas as pd
import pytest

from cli_support import cairn

pytest.importorskip("mlflow")

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
Y = [0, 0, 1, 1]


@pytest.fixture(scope="module")
def pickled_folder(tmp_path_factory):
    """An MLflow sklearn folder stored as a cloudpickle."""
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mlflow.models
        import mlflow.sklearn

    model = LogisticRegression().fit(X, Y)
    folder = tmp_path_factory.mktemp("mlflow") / "sk"
    signature = mlflow.models.infer_signature(X, model.predict(X))
    mlflow.sklearn.save_model(
        model, str(folder), signature=signature, serialization_format="cloudpickle"
    )
    return folder, model


def test_a_pickled_mlflow_folder_needs_trusted(pickled_folder):
    folder, _ = pickled_folder
    result = cairn("models", "serve", str(folder))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:") and "trusted" in result.stderr


def test_a_pickled_mlflow_folder_serves_with_trusted(pickled_folder, serve):
    folder, model = pickled_folder
    server = serve(str(folder), "--trusted")
    body = {"dataframe_split": X.to_dict(orient="split")}
    answer = httpx.post(f"{server.url}/invocations", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"predictions": model.predict(X).tolist()}
    meta = httpx.get(f"{server.url}/metadata").json()
    assert meta["input_columns"] == ["a", "b"]
    assert "sklearn" in meta["flavors"]
