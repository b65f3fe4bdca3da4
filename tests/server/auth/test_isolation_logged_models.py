"""Logged models and run inputs/outputs on the native API follow their experiment's grants."""

from __future__ import annotations

import httpx
from auth_support import AuthServer

API = "/api/v1"
T0 = 1_700_000_000_000


def _ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def _make(server: AuthServer, user: str) -> tuple[httpx.Client, str, str, str]:
    """``user``'s experiment, a run in it, and a logged model the run produced."""
    http = server.client(user)
    exp = _ok(http.post(f"{API}/experiments", json={"name": f"{user}-exp"}))["experiment_id"]
    run = _ok(http.post(f"{API}/runs", json={"experiment_id": exp}))["info"]["run_id"]
    body = {"experiment_id": exp, "source_run_id": run, "tags": {"t": "1"}}
    model = _ok(http.post(f"{API}/logged-models", json=body))["model_id"]
    _ok(http.post(f"{API}/runs/{run}/outputs", json={"models": [{"model_id": model, "step": 1}]}))
    batch = {"metrics": [{"key": "acc", "value": 0.9, "timestamp": T0}]}
    _ok(http.post(f"{API}/runs/{run}/batch", json=batch))
    return http, exp, run, model


def _attempts(exp: str, run: str, model: str, own_run: str, own_exp: str) -> dict[str, tuple]:
    dataset = {"name": "d", "digest": "x", "source_type": "s3", "source": "{}"}
    point = {"key": "acc", "value": 1.0, "timestamp": T0}
    return {
        "get model": ("GET", f"/logged-models/{model}", None),
        "search models": ("POST", "/logged-models/search", {"experiment_ids": [exp]}),
        "run io": ("GET", f"/runs/{run}/io", None),
        "bulk io": ("POST", "/runs/io", {"run_ids": [own_run, run]}),
        "latest metrics": ("POST", "/runs/latest-metrics", {"run_ids": [run]}),
        "create model": ("POST", "/logged-models", {"experiment_id": exp}),
        "finalize": ("PATCH", f"/logged-models/{model}", {"status": "READY"}),
        "set tags": ("POST", f"/logged-models/{model}/tags", {"tags": {"t": "bob"}}),
        "delete tag": ("POST", f"/logged-models/{model}/tags/delete", {"key": "t"}),
        "params": ("POST", f"/logged-models/{model}/params", {"params": {"p": "1"}}),
        "metrics": ("POST", f"/logged-models/{model}/metrics", {"metrics": [point]}),
        "records": ("POST", f"/logged-models/{model}/artifact-records", {"files": {}}),
        "delete model": ("DELETE", f"/logged-models/{model}", None),
        "log inputs": ("POST", f"/runs/{run}/inputs", {"datasets": [dataset]}),
        "log outputs": ("POST", f"/runs/{run}/outputs", {"models": [{"model_id": model}]}),
        # bob's own run, pointing at alice's model or run
        "claim her model as output": (
            "POST",
            f"/runs/{own_run}/outputs",
            {"models": [{"model_id": model}]},
        ),
        "own model from her run": (
            "POST",
            "/logged-models",
            {"experiment_id": own_exp, "source_run_id": run},
        ),
    }


READS = {
    "get model", "search models", "run io", "bulk io", "latest metrics", "own model from her run",
}  # fmt: skip


def _untouched(alice: httpx.Client, run: str, model: str) -> None:
    found = _ok(alice.get(f"{API}/logged-models/{model}"))
    assert (found["status"], found["tags"], found["params"], found["metrics"]) == (
        "PENDING",
        {"t": "1"},
        {},
        [],
    )
    io = _ok(alice.get(f"{API}/runs/{run}/io"))
    assert (io["datasets"], io["model_outputs"]) == ([], [{"model_id": model, "step": 1}])


def test_bob_can_neither_see_nor_touch_alices_models(auth_server):
    alice, exp, run, model = _make(auth_server, "alice")
    bob, own_exp, own_run, _ = _make(auth_server, "bob")
    for what, (method, url, body) in _attempts(exp, run, model, own_run, own_exp).items():
        answer = bob.request(method, f"{API}{url}", json=body)
        assert answer.status_code == 403, f"bob could {what}: {answer.status_code} {answer.text}"
    _untouched(alice, run, model)
    own = _ok(bob.post(f"{API}/runs/io", json={"run_ids": [own_run]}))["items"]
    assert list(own) == [own_run]
    latest = _ok(bob.post(f"{API}/runs/latest-metrics", json={"run_ids": [own_run]}))["items"]
    assert latest[own_run]["acc"] == {"key": "acc", "value": 0.9, "timestamp": T0, "step": 0}


def test_a_read_grant_lets_bob_read_alices_models_but_not_write(auth_server):
    alice, exp, run, model = _make(auth_server, "alice")
    bob, own_exp, own_run, _ = _make(auth_server, "bob")
    grant = {"username": "bob", "experiment_id": exp, "level": "READ"}
    _ok(alice.put(f"{API}/auth/permissions", json=grant))
    for what, (method, url, body) in _attempts(exp, run, model, own_run, own_exp).items():
        answer = bob.request(method, f"{API}{url}", json=body)
        expected = 200 if what in READS else 403
        assert answer.status_code == expected, f"{what}: {answer.status_code} {answer.text}"
    found = _ok(bob.post(f"{API}/logged-models/search", json={"experiment_ids": [exp]}))
    assert [m["model_id"] for m in found["items"]] == [model]
    _untouched(alice, run, model)


def test_admins_pass_every_check(auth_server):
    _alice, exp, run, model = _make(auth_server, "alice")
    admin = auth_server.client("admin")
    _bob, own_exp, own_run, _ = _make(auth_server, "bob")
    for what, (method, url, body) in _attempts(exp, run, model, own_run, own_exp).items():
        answer = admin.request(method, f"{API}{url}", json=body)
        assert answer.status_code not in (401, 403), f"{what}: {answer.text}"
