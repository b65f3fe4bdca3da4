"""MLflow's own client against a live ``cairn server``: it creates a registered model, a
version from a run's model files, moves aliases and stages, searches, reads the download URI,
and loads ``models:/name@alias`` through the artifact proxy; cairn's registry sees the same
versions. Errors come back in MLflow's shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from cairn.server import ServerSettings
from cairn.server.live import LiveServer
from cairn.store import open_store

mlflow = pytest.importorskip("mlflow")
pytestmark = pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning")


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A live server on a SQLite store, with MLflow's client pointed at it."""
    import mlflow.tracking._tracking_service.utils as tracking_utils
    import mlflow.tracking.fluent as fluent

    store_uri = f"sqlite:///{tmp_path / 'server.db'}"
    settings = ServerSettings(store_uri, str(tmp_path / "artifacts"))
    for name in ("MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "true")
    monkeypatch.setattr(tracking_utils, "_tracking_uri", None)
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    with LiveServer(settings) as live:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", live.url)
        yield live.url, store_uri
        while mlflow.active_run() is not None:
            mlflow.end_run()


def _train():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 3))
    labels = (features[:, 0] > 0).astype(int)
    return LogisticRegression().fit(features, labels), features


def test_mlflow_client_registers_aliases_and_loads_by_alias(server):
    import mlflow.sklearn
    from mlflow import MlflowClient

    url, store_uri = server
    model, features = _train()
    client = MlflowClient()
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(model, name="model")
    run_id = run.info.run_id

    created = client.create_registered_model("churn", tags={"team": "growth"}, description="d")
    assert (created.name, created.description, created.tags) == ("churn", "d", {"team": "growth"})
    one = client.create_model_version(
        "churn", f"runs:/{run_id}/model", run_id=run_id, tags={"k": "v"}
    )
    assert (one.version, one.run_id, one.tags, one.current_stage) == (
        "1",
        run_id,
        {"k": "v"},
        "None",
    )
    two = mlflow.register_model(f"runs:/{run_id}/model", "churn")  # MLflow 3: the logged model
    assert two.version == "2" and two.source.startswith("models:/m-")

    client.set_registered_model_alias("churn", "champion", "1")
    client.set_registered_model_alias("churn", "champion", "2")  # moved
    client.set_registered_model_alias("churn", "challenger", "1")
    by_alias = client.get_model_version_by_alias("churn", "champion")
    assert by_alias.version == "2" and by_alias.aliases == ["champion"]
    assert client.get_registered_model("churn").aliases == {"challenger": "1", "champion": "2"}
    client.delete_registered_model_alias("churn", "challenger")

    with pytest.warns(FutureWarning, match="deprecated"):  # MLflow deprecates stages
        staged = client.transition_model_version_stage("churn", "1", "Production")
        latest = client.get_latest_versions("churn", stages=["Production"])
    assert staged.current_stage == "Production"
    assert [v.version for v in latest] == ["1"]

    client.set_model_version_tag("churn", "2", "validated", "yes")
    client.update_model_version("churn", "2", description="better")
    client.set_registered_model_tag("churn", "owner", "ann")
    client.delete_registered_model_tag("churn", "team")
    assert [m.name for m in client.search_registered_models("name LIKE 'ch%'")] == ["churn"]
    found = client.search_model_versions(f"name = 'churn' and run_id = '{run_id}'")
    assert sorted(v.version for v in found) == ["1", "2"]
    assert client.get_model_version_download_uri("churn", "2").startswith("mlflow-artifacts:/")

    loaded = mlflow.pyfunc.load_model("models:/churn@champion")
    assert list(loaded.predict(features[:5])) == list(model.predict(features[:5]))

    with open_store(store_uri) as store:  # cairn sees what MLflow wrote
        version = store.registry.get_model_version("churn", 2)
        assert (version.description, version.tags, version.aliases) == (
            "better",
            {"validated": "yes"},
            ["champion"],
        )
        assert store.registry.get_registered_model("churn").tags == {"owner": "ann"}

    client.rename_registered_model("churn", "churn2")
    client.delete_model_version("churn2", "1")
    assert [v.version for v in client.search_model_versions("name = 'churn2'")] == ["2"]
    client.delete_registered_model("churn2")
    assert client.search_registered_models() == []


def test_errors_come_back_in_mlflow_shape(server):
    url, _ = server
    with httpx.Client(base_url=f"{url}/api/2.0/mlflow", timeout=30) as http:
        missing = http.get("/registered-models/get", params={"name": "nope"})
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        assert http.post("/registered-models/create", json={"name": "m"}).status_code == 200
        again = http.post("/registered-models/create", json={"name": "m"})
        assert (again.status_code, again.json()["error_code"]) == (400, "RESOURCE_ALREADY_EXISTS")
        bad = http.post(
            "/registered-models/alias", json={"name": "m", "alias": "latest", "version": "1"}
        )
        assert bad.status_code == 400 and "alias 'latest' is not allowed" in bad.json()["message"]
        no_name = http.post("/model-versions/create", json={"source": "/x"})
        assert no_name.status_code == 400
        assert "Missing value for required parameter 'name'" in no_name.json()["message"]
        listed = http.get("/registered-models/search").json()
        assert [m["name"] for m in listed["registered_models"]] == ["m"]
