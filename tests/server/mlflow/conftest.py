"""Fixtures for the MLflow-compatible API: a live server on a SQLite store, HTTP helpers, and
MLflow's own client pointed at the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mlflow_support import MlflowServer

from cairn.server import ServerSettings
from cairn.store import open_store


@pytest.fixture
def mlflow_server(live_server, tmp_path: Path) -> Iterator[MlflowServer]:
    """A live server on ``tmp_path/server.db`` with artifacts in ``tmp_path/artifacts`` (where
    a ``CairnClient`` on the same database puts them too), and a store opened beside it."""
    store_uri = f"sqlite:///{tmp_path / 'server.db'}"
    artifacts = tmp_path / "artifacts"
    url = live_server(ServerSettings(store_uri, str(artifacts)))
    store = open_store(store_uri, artifact_root=str(artifacts))
    with httpx.Client(base_url=url, timeout=60) as http:
        yield MlflowServer(url, store_uri, artifacts, http, store)
    store.close()


@pytest.fixture
def mlflow_tracking(mlflow_server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """MLflow's client configured through ``MLFLOW_TRACKING_URI`` for the live server, with
    its cached tracking URI and active experiment reset (and telemetry off)."""
    import mlflow
    import mlflow.tracking._tracking_service.utils as tracking_utils
    import mlflow.tracking.fluent as fluent

    for name in ("MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.url)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "true")
    monkeypatch.setattr(tracking_utils, "_tracking_uri", None)
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    assert mlflow.get_tracking_uri() == mlflow_server.url
    yield mlflow_server.url
    while mlflow.active_run() is not None:
        mlflow.end_run()
