"""The model registry on a server with --auth (default NO_PERMISSIONS): a registered model is
its creator's to manage; others can neither read, change nor find it in searches, through the
native API or MLflow's, until granted; the audit trail names who did what."""

from __future__ import annotations

from auth_support import AuthServer

API = "/api/v1"
MLFLOW = "/api/2.0/mlflow"


def test_a_registered_model_is_its_creators(auth_server: AuthServer) -> None:
    alice, bob = auth_server.client("alice"), auth_server.client("bob")
    assert alice.post(f"{API}/registered-models", json={"name": "churn"}).status_code == 200
    made = alice.post(f"{API}/registered-models/churn/versions", json={"source": "/m"})
    assert made.status_code == 200 and made.json()["version"] == 1
    assert alice.put(
        f"{API}/registered-models/churn/aliases/champion", json={"version": 1}
    ).is_success

    for method, path, body in (
        ("GET", f"{API}/registered-models/churn", None),
        ("PATCH", f"{API}/registered-models/churn", {"description": "x"}),
        ("DELETE", f"{API}/registered-models/churn", None),
        ("POST", f"{API}/registered-models/churn/versions", {"source": "/n"}),
        ("PUT", f"{API}/registered-models/churn/aliases/champion", {"version": 1}),
        ("POST", f"{API}/registered-models/churn/versions/1/stage", {"stage": "Production"}),
        (
            "POST",
            f"{MLFLOW}/registered-models/alias",
            {"name": "churn", "alias": "a", "version": "1"},
        ),
        ("DELETE", f"{MLFLOW}/registered-models/delete", {"name": "churn"}),
    ):
        assert bob.request(method, path, json=body).status_code == 403, (method, path)
    assert bob.get(f"{MLFLOW}/registered-models/get", params={"name": "churn"}).status_code == 403
    assert bob.get(f"{MLFLOW}/registered-models/search").json() == {}
    assert bob.post(f"{API}/model-versions/search", json={}).json()["items"] == []
    assert [
        m["name"] for m in alice.post(f"{API}/registered-models/search", json={}).json()["items"]
    ] == ["churn"]

    renamed = alice.post(f"{API}/registered-models/churn/rename", json={"new_name": "churn2"})
    assert renamed.status_code == 200
    assert alice.get(f"{API}/registered-models/churn2").json()["aliases"] == {"champion": 1}

    with auth_server.store() as store:
        events = [
            (e.actor, e.action)
            for e in store.audit.list_events()
            if e.action.startswith(("registered_model.", "model_version."))
        ]
    assert events == [
        ("alice", "registered_model.create"),
        ("alice", "model_version.create"),
        ("alice", "registered_model.set_alias"),
        ("alice", "registered_model.rename"),
    ]


def test_forcing_a_protected_alias_needs_manage(auth_server: AuthServer) -> None:
    """An editor may move a protected alias to a version passing its gates; overriding the
    gates (force) is for those who manage the model."""
    from cairn.registry.protection import protect_alias, set_gates

    alice, bob = auth_server.client("alice"), auth_server.client("bob")
    assert alice.post(f"{API}/registered-models", json={"name": "churn"}).is_success
    assert alice.post(f"{API}/registered-models/churn/versions", json={"source": "/m"}).is_success
    with auth_server.store() as store:
        set_gates(store, "churn", "rules:\n  - {metric: f1, op: '>=', value: 0.8}\n")
        protect_alias(store, "churn", "champion")
    grant = {"username": "bob", "registered_model_name": "churn", "level": "EDIT"}
    assert alice.put("/api/v1/auth/permissions", json=grant).is_success

    alias = f"{API}/registered-models/churn/aliases/champion"
    refused = bob.put(alias, json={"version": 1})  # version 1 has no run: its gates fail
    assert refused.status_code == 409, refused.text
    forced = {"version": 1, "force": True, "reason": "hotfix"}
    denied = bob.put(alias, json=forced)
    assert denied.status_code == 403
    assert "needs MANAGE on registered model 'churn' to set 'force' (has EDIT)" in denied.text
    assert bob.put(alias, json={**forced, "force": False}).status_code == 409  # not forcing
    assert alice.put(alias, json=forced).is_success
    assert alice.get(f"{API}/registered-models/churn").json()["aliases"] == {"champion": 1}
