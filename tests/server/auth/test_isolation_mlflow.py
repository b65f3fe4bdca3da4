"""Teams cannot see or touch each other's things through MLflow's API and artifact proxy either;
MLflow's own client signs in with ``MLFLOW_TRACKING_USERNAME/PASSWORD`` or ``..._TOKEN``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from auth_support import PASSWORDS, AuthServer

API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
FILE = b"alice's notes"


@dataclass
class Team:
    """What a user made through MLflow's API: an experiment, a run with a file, a model."""

    http: httpx.Client
    name: str
    experiment_id: str
    run_id: str
    model_id: str

    @property
    def file_path(self) -> str:
        return f"{self.experiment_id}/{self.run_id}/artifacts/notes.txt"


def _ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def make_team(server: AuthServer, user: str) -> Team:
    http = server.client(user)
    name = f"{user}-mlflow"
    exp = _ok(http.post(f"{API}/experiments/create", json={"name": name}))["experiment_id"]
    run = _ok(http.post(f"{API}/runs/create", json={"experiment_id": exp}))["run"]["info"]
    batch = {
        "run_id": run["run_id"],
        "metrics": [{"key": "acc", "value": 0.9, "timestamp": 1, "step": 0}],
        "params": [{"key": "lr", "value": "0.1"}],
    }
    _ok(http.post(f"{API}/runs/log-batch", json=batch))
    _ok(http.put(f"{PROXY}/{exp}/{run['run_id']}/artifacts/notes.txt", content=FILE))
    model = _ok(http.post(f"{API}/logged-models", json={"experiment_id": exp, "name": "m"}))
    return Team(http, name, exp, run["run_id"], model["model"]["info"]["model_id"])


def attempts(victim: Team, attacker: Team) -> dict[str, tuple[str, str, dict]]:
    """MLflow-API requests that read, write or delete the victim's things."""
    exp, run, model = victim.experiment_id, victim.run_id, victim.model_id
    return {
        "get experiment": ("GET", f"{API}/experiments/get", {"params": {"experiment_id": exp}}),
        "get by name": (
            "GET",
            f"{API}/experiments/get-by-name",
            {"params": {"experiment_name": victim.name}},
        ),
        "get run": ("GET", f"{API}/runs/get", {"params": {"run_id": run}}),
        "get run by uuid": ("GET", f"{API}/runs/get", {"params": {"run_uuid": run}}),
        # the same resources, spelt as the store also reads them
        "get experiment as 0N": (
            "GET",
            f"{API}/experiments/get",
            {"params": {"experiment_id": f"0{exp}"}},
        ),
        "get run in capitals": ("GET", f"{API}/runs/get", {"params": {"run_id": run.upper()}}),
        "get model with a space": ("GET", f"{API}/logged-models/%20{model}", {}),
        "history": (
            "GET",
            f"{API}/metrics/get-history",
            {"params": {"run_id": run, "metric_key": "acc"}},
        ),
        "list artifacts": ("GET", f"{API}/artifacts/list", {"params": {"run_id": run}}),
        "search its runs": ("POST", f"{API}/runs/search", {"json": {"experiment_ids": [exp]}}),
        "proxy listing": ("GET", PROXY, {"params": {"path": f"{exp}/{run}/artifacts"}}),
        "proxy download": ("GET", f"{PROXY}/{victim.file_path}", {}),
        "get model": ("GET", f"{API}/logged-models/{model}", {}),
        "search models": (
            "POST",
            f"{API}/logged-models/search",
            {"json": {"experiment_ids": [exp]}},
        ),
        "model files": ("GET", f"{API}/logged-models/{model}/artifacts/directories", {}),
        "create run": ("POST", f"{API}/runs/create", {"json": {"experiment_id": exp}}),
        "log metric": (
            "POST",
            f"{API}/runs/log-metric",
            {"json": {"run_id": run, "key": "acc", "value": 0.1, "timestamp": 2}},
        ),
        "log param": (
            "POST",
            f"{API}/runs/log-parameter",
            {"json": {"run_uuid": run, "key": "stolen", "value": "1"}},
        ),
        "spoofed run": (
            "POST",
            f"{API}/runs/log-parameter",
            {
                "params": {"run_id": attacker.run_id},
                "json": {"run_id": run, "key": "k", "value": "v"},
            },
        ),
        "set tag": (
            "POST",
            f"{API}/runs/set-tag",
            {"json": {"run_id": run, "key": "k", "value": "v"}},
        ),
        "delete tag": ("POST", f"{API}/runs/delete-tag", {"json": {"run_id": run, "key": "k"}}),
        "log batch": (
            "POST",
            f"{API}/runs/log-batch",
            {"json": {"run_id": run, "params": [{"key": "stolen", "value": "1"}]}},
        ),
        "update run": ("POST", f"{API}/runs/update", {"json": {"run_id": run, "status": "KILLED"}}),
        "log inputs": ("POST", f"{API}/runs/log-inputs", {"json": {"run_id": run}}),
        "log outputs": ("POST", f"{API}/runs/outputs", {"json": {"run_id": run}}),
        "log model": (
            "POST",
            f"{API}/runs/log-model",
            {"json": {"run_id": run, "model_json": "{}"}},
        ),
        "metric into its model": (
            "POST",
            f"{API}/runs/log-batch",
            {
                "json": {
                    "run_id": attacker.run_id,
                    "metrics": [
                        {"key": "acc", "value": 0.0, "timestamp": 3, "step": 0, "model_id": model}
                    ],
                }
            },
        ),  # fmt: skip
        "set experiment tag": (
            "POST",
            f"{API}/experiments/set-experiment-tag",
            {"json": {"experiment_id": exp, "key": "owner", "value": "bob"}},
        ),
        "proxy upload": ("PUT", f"{PROXY}/{victim.file_path}", {"content": b"overwritten"}),
        "create model": ("POST", f"{API}/logged-models", {"json": {"experiment_id": exp}}),
        "finalize model": (
            "PATCH",
            f"{API}/logged-models/{model}",
            {"json": {"model_id": model, "status": "LOGGED_MODEL_READY"}},
        ),
        "tag model": (
            "PATCH",
            f"{API}/logged-models/{model}/tags",
            {"json": {"tags": [{"key": "k", "value": "v"}]}},
        ),
        "untag model": ("DELETE", f"{API}/logged-models/{model}/tags/k", {}),
        "model params": (
            "POST",
            f"{API}/logged-models/{model}/params",
            {"json": {"params": [{"key": "k", "value": "v"}]}},
        ),
        "rename": (
            "POST",
            f"{API}/experiments/update",
            {"json": {"experiment_id": exp, "new_name": "mine"}},
        ),
        "delete experiment": (
            "POST",
            f"{API}/experiments/delete",
            {"json": {"experiment_id": exp}},
        ),
        "restore experiment": (
            "POST",
            f"{API}/experiments/restore",
            {"json": {"experiment_id": exp}},
        ),
        "delete run": ("POST", f"{API}/runs/delete", {"json": {"run_id": run}}),
        "restore run": ("POST", f"{API}/runs/restore", {"json": {"run_id": run}}),
        "proxy delete": ("DELETE", f"{PROXY}/{victim.file_path}", {}),
        "delete model": ("DELETE", f"{API}/logged-models/{model}", {}),
    }


READS = {
    "get experiment", "get by name", "get run", "get run by uuid", "history", "list artifacts",
    "get experiment as 0N", "get run in capitals", "get model with a space",
    "search its runs", "proxy listing", "proxy download", "get model", "search models",
    "model files",
}  # fmt: skip


def assert_untouched(alice: Team) -> None:
    exp = _ok(
        alice.http.get(f"{API}/experiments/get", params={"experiment_id": alice.experiment_id})
    )
    assert exp["experiment"]["name"] == alice.name
    assert exp["experiment"]["lifecycle_stage"] == "active"
    assert not any(t["key"] == "owner" for t in exp["experiment"].get("tags", []))
    run = _ok(alice.http.get(f"{API}/runs/get", params={"run_id": alice.run_id}))["run"]
    assert run["info"]["status"] == "RUNNING" and run["info"]["lifecycle_stage"] == "active"
    assert run["data"]["params"] == [{"key": "lr", "value": "0.1"}]
    assert [m["value"] for m in run["data"]["metrics"]] == [0.9]
    assert alice.http.get(f"{PROXY}/{alice.file_path}").content == FILE
    model = _ok(alice.http.get(f"{API}/logged-models/{alice.model_id}"))["model"]
    assert model["info"].get("tags") is None and model["data"].get("params") is None


def test_bob_can_neither_see_nor_touch_alices_experiment_through_mlflow(auth_server):
    alice, bob = make_team(auth_server, "alice"), make_team(auth_server, "bob")
    for what, (method, url, options) in attempts(alice, bob).items():
        answer = bob.http.request(method, url, **options)
        assert answer.status_code == 403, f"bob could {what}: {answer.status_code} {answer.text}"
        assert answer.json()["error_code"] == "PERMISSION_DENIED"
    assert_untouched(alice)
    for method in ("GET", "POST"):
        found = bob.http.request(
            method, f"{API}/experiments/search", **({"json": {}} if method == "POST" else {})
        )
        assert [e["name"] for e in _ok(found)["experiments"]] == ["bob-mlflow"]
    # A proxy path naming no experiment is refused to all but admins.
    assert bob.http.get(PROXY).status_code == 403


def test_a_read_grant_lets_bob_read_through_mlflow_but_not_write(auth_server):
    alice, bob = make_team(auth_server, "alice"), make_team(auth_server, "bob")
    grant = {"username": "bob", "experiment_id": alice.experiment_id, "level": "READ"}
    _ok(alice.http.put("/api/v1/auth/permissions", json=grant))
    for what, (method, url, options) in attempts(alice, bob).items():
        answer = bob.http.request(method, url, **options)
        expected = 200 if what in READS else 403
        assert answer.status_code == expected, f"{what}: {answer.status_code} {answer.text}"
    assert bob.http.get(f"{PROXY}/{alice.file_path}").content == FILE
    assert_untouched(alice)


@pytest.fixture
def mlflow_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """MLflow's client with a clean slate (tracking URI cache, active experiment, telemetry)."""
    import mlflow
    import mlflow.tracking._tracking_service.utils as tracking_utils
    import mlflow.tracking.fluent as fluent

    for name in ("EXPERIMENT_NAME", "EXPERIMENT_ID", "RUN_ID", "TRACKING_USERNAME",
                 "TRACKING_PASSWORD", "TRACKING_TOKEN"):  # fmt: skip
        monkeypatch.delenv(f"MLFLOW_{name}", raising=False)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "true")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setattr(tracking_utils, "_tracking_uri", None)
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    yield monkeypatch
    while mlflow.active_run() is not None:
        mlflow.end_run()


def test_mlflows_client_signs_in_with_a_password_or_a_token(auth_server, mlflow_env):
    import mlflow
    from mlflow.exceptions import MlflowException

    mlflow_env.setenv("MLFLOW_TRACKING_URI", auth_server.url)
    with pytest.raises(MlflowException, match="UNAUTHENTICATED|401|credentials"):
        mlflow.MlflowClient().search_experiments()

    mlflow_env.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    mlflow_env.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORDS["alice"])
    experiment_id = mlflow.set_experiment("alice-sdk").experiment_id
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.1)
        mlflow.log_metric("acc", 0.75)
        mlflow.log_text("hello", "notes/hello.txt")
    stored = mlflow.get_run(run.info.run_id)
    assert stored.data.params == {"lr": "0.1"} and stored.data.metrics == {"acc": 0.75}
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes/hello.txt") == "hello"

    bob = auth_server.client("bob").post("/api/v1/auth/users/bob/tokens", json={"name": "sdk"})
    mlflow_env.delenv("MLFLOW_TRACKING_USERNAME")
    mlflow_env.delenv("MLFLOW_TRACKING_PASSWORD")
    mlflow_env.setenv("MLFLOW_TRACKING_TOKEN", bob.json()["token"])
    client = mlflow.MlflowClient()
    with pytest.raises(MlflowException, match="PERMISSION_DENIED|bob"):
        client.get_run(run.info.run_id)
    with pytest.raises(MlflowException, match="PERMISSION_DENIED|bob"):
        client.log_param(run.info.run_id, "from-bob", "1")
    assert experiment_id not in [e.experiment_id for e in client.search_experiments()]
    own = client.create_experiment("bob-sdk")
    run_of_bob = client.create_run(own)
    client.log_param(run_of_bob.info.run_id, "mine", "yes")
    assert client.get_run(run_of_bob.info.run_id).data.params == {"mine": "yes"}


def test_admins_pass_every_check(auth_server):
    alice, bob = make_team(auth_server, "alice"), make_team(auth_server, "bob")
    admin = auth_server.client("admin")
    for what, (method, url, options) in attempts(alice, bob).items():
        answer = admin.request(method, url, **options)
        assert answer.status_code not in (401, 403), f"{what}: {answer.text}"
    assert admin.get(PROXY).status_code not in (401, 403)
