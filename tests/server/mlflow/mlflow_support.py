"""Helpers for the MLflow-compatible API tests: the live server's handle and error checks."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from cairn.store import Store


@dataclass
class MlflowServer:
    """A live cairn server and the store behind it."""

    url: str
    store_uri: str
    artifact_root: Path
    http: httpx.Client
    store: Store

    def post(self, endpoint: str, body: object) -> httpx.Response:
        """POST a JSON body to ``/api/2.0/mlflow/<endpoint>``."""
        return self.http.post(f"/api/2.0/mlflow/{endpoint}", json=body)

    def get(self, endpoint: str, **params: object) -> httpx.Response:
        """GET ``/api/2.0/mlflow/<endpoint>`` with query parameters."""
        return self.http.get(f"/api/2.0/mlflow/{endpoint}", params=params)

    def ok(self, response: httpx.Response) -> dict:
        """The JSON of a 200 answer (the test fails on any other)."""
        assert response.status_code == 200, response.text
        return response.json()

    def new_experiment(self, name: str = "exp") -> str:
        """Create an experiment through the API; its id."""
        return self.ok(self.post("experiments/create", {"name": name}))["experiment_id"]

    def new_run(self, experiment_id: str, **fields: object) -> str:
        """Create a run through the API; its id."""
        body = {"experiment_id": experiment_id, "start_time": 1_700_000_000_000, **fields}
        return self.ok(self.post("runs/create", body))["run"]["info"]["run_id"]


def assert_error(response: httpx.Response, status: int, code: str, *words: str) -> None:
    """The answer is MLflow's error JSON with this status and code, naming ``words``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "message"}, body
    assert body["error_code"] == code, body
    for word in words:
        assert word in body["message"], body


@contextmanager
def changes_nothing(store: Store) -> Iterator[None]:
    """The block writes nothing: every write appends to the audit trail, whose head stays."""
    before = store.audit.head()
    yield
    assert store.audit.head() == before


def raw_request(base_url: str, method: str, target: str, body: bytes = b"") -> tuple[int, dict]:
    """Send ``target`` exactly as written (HTTP clients would resolve ``..`` segments first)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, target, body=body or None)
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read() or b"{}")
    finally:
        conn.close()
