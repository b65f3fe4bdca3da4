"""Credentials: Basic with a password or a token, Bearer tokens, expiry, revocation, accounts."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa
from auth_support import PASSWORDS

from cairn.entities import Metric, Param
from cairn.errors import PermissionDenied, Unauthenticated
from cairn.server.auth import tokens
from cairn.store.base import now_ms
from cairn.store.rest import RestStore
from cairn.store.rest.transport import credentials_from_env
from cairn.store.sql import schema as t

WHOAMI = "/api/v1/auth/whoami"


def _new_token(server, user="alice", **body):
    answer = server.client(user).post(f"/api/v1/auth/users/{user}/tokens", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _status(client, path=WHOAMI):
    return client.get(path).status_code


def test_basic_with_a_password(auth_server):
    assert auth_server.client("alice").get(WHOAMI).json()["username"] == "alice"
    assert auth_server.client("admin").get(WHOAMI).json()["is_admin"] is True
    assert _status(auth_server.client("alice", password="bob-password")) == 401
    assert _status(auth_server.client("mallory", password="whatever-it-is")) == 401


def test_a_token_works_as_bearer_and_as_a_basic_password(auth_server):
    token = _new_token(auth_server, name="laptop")["token"]
    assert auth_server.client(token=token).get(WHOAMI).json()["username"] == "alice"
    as_password = auth_server.client("alice", password=token)
    assert as_password.get(WHOAMI).json()["username"] == "alice"
    # A token only ever speaks for its owner.
    assert _status(auth_server.client("bob", password=token)) == 401
    assert _status(auth_server.client(token=token + "x")) == 401


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Basic", "Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(),
     "Digest username=alice", "Bearer cairn_"],
)  # fmt: skip
def test_malformed_authorization_headers_are_refused(auth_server, header):
    answer = auth_server.client().get(WHOAMI, headers={"Authorization": header})
    assert answer.status_code == 401
    assert answer.json()["error_code"] == "UNAUTHENTICATED"


def test_revoked_and_expired_tokens_are_refused(auth_server):
    revoked = _new_token(auth_server)
    alice = auth_server.client("alice")
    gone = alice.delete(f"/api/v1/auth/tokens/{revoked['token_id']}")
    assert gone.status_code == 200 and gone.json()["revoked_time"] is not None
    assert _status(auth_server.client(token=revoked["token"])) == 401
    assert _status(auth_server.client("alice", password=revoked["token"])) == 401

    expired = tokens.new_token()
    with auth_server.store() as store:
        store.auth.create_token(
            "alice", "old", tokens.token_prefix(expired), tokens.token_hash(expired), now_ms() - 1
        )
    assert _status(auth_server.client(token=expired)) == 401
    fresh = _new_token(auth_server, expires_in="1h")
    assert fresh["expiry_time"] > now_ms()
    assert _status(auth_server.client(token=fresh["token"])) == 200


def test_tokens_are_shown_once_and_listed_by_prefix(auth_server):
    made = _new_token(auth_server, name="ci")
    listed = auth_server.client("alice").get("/api/v1/auth/users/alice/tokens").json()["tokens"]
    assert [(t["name"], t["prefix"]) for t in listed] == [("ci", made["token"][:12])]
    assert made["token"] not in str(listed)
    with auth_server.store() as store, store.engine.connect() as conn:
        stored = conn.execute(sa.select(t.auth_tokens)).all()
        users = conn.execute(sa.select(t.auth_users)).all()
    assert made["token"] not in str(stored)
    for user in users:
        assert PASSWORDS[user.username] not in str(tuple(user))
        assert user.password_hash.startswith("scrypt$")


def test_users_manage_their_own_tokens_and_password_only(auth_server):
    alice_token = _new_token(auth_server)
    bob = auth_server.client("bob")
    assert bob.get("/api/v1/auth/users/alice/tokens").status_code == 403
    assert bob.post("/api/v1/auth/users/alice/tokens", json={}).status_code == 403
    assert bob.delete(f"/api/v1/auth/tokens/{alice_token['token_id']}").status_code == 403
    assert (
        bob.put("/api/v1/auth/users/alice/password", json={"password": "x" * 12}).status_code == 403
    )
    assert bob.get("/api/v1/auth/users").status_code == 403
    assert (
        bob.post("/api/v1/auth/users", json={"username": "eve", "password": "x" * 12}).status_code
        == 403
    )
    assert bob.patch("/api/v1/auth/users/bob", json={"is_admin": True}).status_code == 403
    assert _status(auth_server.client(token=alice_token["token"])) == 200

    changed = bob.put("/api/v1/auth/users/bob/password", json={"password": "bobs-new-password"})
    assert changed.status_code == 200
    assert _status(auth_server.client("bob")) == 401  # the old password stops working at once
    assert _status(auth_server.client("bob", password="bobs-new-password")) == 200
    weak = auth_server.client("bob", password="bobs-new-password").put(
        "/api/v1/auth/users/bob/password", json={"password": "short"}
    )
    assert weak.status_code == 400


def test_admins_manage_accounts(auth_server):
    admin = auth_server.client("admin")
    made = admin.post(
        "/api/v1/auth/users", json={"username": "carol", "password": "carol-password"}
    )
    assert made.json() == {
        "username": "carol",
        "is_admin": False,
        "creation_time": made.json()["creation_time"],
    }
    assert (
        admin.post(
            "/api/v1/auth/users", json={"username": "carol", "password": "x" * 12}
        ).status_code
        == 409
    )
    assert _status(auth_server.client("carol", password="carol-password")) == 200
    names = [u["username"] for u in admin.get("/api/v1/auth/users").json()["users"]]
    assert names == ["admin", "alice", "bob", "carol"]
    assert "password" not in str(admin.get("/api/v1/auth/users").json())
    assert admin.patch("/api/v1/auth/users/carol", json={"is_admin": True}).json()["is_admin"]
    assert (
        auth_server.client("carol", password="carol-password").get("/api/v1/auth/users").status_code
        == 200
    )
    assert admin.delete("/api/v1/auth/users/carol").status_code == 200
    assert _status(auth_server.client("carol", password="carol-password")) == 401
    assert admin.delete("/api/v1/auth/users/carol").status_code == 404


def test_cairn_clients_send_credentials_from_the_environment(auth_server, monkeypatch):
    for name in ("TOKEN", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"CAIRN_TRACKING_{name}", raising=False)
        monkeypatch.delenv(f"MLFLOW_TRACKING_{name}", raising=False)
    with RestStore(auth_server.url) as store, pytest.raises(Unauthenticated):
        store.experiments.create_experiment("anonymous")

    monkeypatch.setenv("CAIRN_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("CAIRN_TRACKING_PASSWORD", PASSWORDS["alice"])
    with RestStore(auth_server.url) as store:
        exp = store.experiments.create_experiment("alice-remote")
        run = store.runs.create_run(exp).info.run_id
        store.runs.log_batch(run, metrics=[Metric("acc", 0.5, 1, 0)], params=[Param("lr", "1")])

    token = _new_token(auth_server, user="bob")["token"]
    monkeypatch.delenv("CAIRN_TRACKING_USERNAME")
    monkeypatch.delenv("CAIRN_TRACKING_PASSWORD")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    assert credentials_from_env() is not None
    with RestStore(auth_server.url) as store:
        with pytest.raises(PermissionDenied, match="bob"):
            store.runs.get_run(run)
        assert store.experiments.find_experiment_by_name("bob-remote") is None
        mine = store.experiments.create_experiment("bob-remote")
        assert [e.name for e in store.experiments.search_experiments().items] == ["bob-remote"]
        assert store.experiments.get_experiment(mine).name == "bob-remote"


def test_the_audit_trail_names_the_user_behind_each_request(auth_server):
    made = auth_server.client("alice").post("/api/v1/experiments", json={"name": "alices"})
    assert made.status_code == 200, made.text
    experiment_id = made.json()["experiment_id"]
    with auth_server.store() as store:
        events = store.audit.list_events(entity=f"experiment:{experiment_id}")
    assert events and {e.actor for e in events} == {"alice"}
