"""The account tables on every SQL backend: users, tokens, grants, audit events without secrets."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from cairn.errors import AlreadyExists, InvalidInput, NotFound
from cairn.server.auth import accounts, tokens
from cairn.store.sql import SqlStore
from cairn.store.sql import schema as t
from cairn.store.sql.auth import Permission


@pytest.fixture
def store(sql_store_uri, tmp_path):
    with SqlStore(sql_store_uri, artifact_root=str(tmp_path / "artifacts")) as opened:
        yield opened


def _rows(store, table):
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(table))]


def _audit(store, action_prefix):
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.audit_events.c.action, t.audit_events.c.entity, t.audit_events.c.payload)
            .where(t.audit_events.c.action.like(f"{action_prefix}%"))
            .order_by(t.audit_events.c.seq)
        ).all()
    return [(action, entity, json.loads(payload)) for action, entity, payload in rows]


def test_users_are_stored_with_a_hash_and_audited_without_it(store):
    alice = accounts.create_user(store, "alice", "alice-password", actor="root")
    assert (alice.username, alice.is_admin) == ("alice", False)
    [row] = _rows(store, t.auth_users)
    assert "alice-password" not in str(row)
    assert row["password_hash"].startswith("scrypt$")
    assert _audit(store, "user.") == [
        ("user.create", "user:alice", {"username": "alice", "is_admin": False})
    ]
    accounts.set_password(store, "alice", "another-password")
    assert "another-password" not in str(_rows(store, t.auth_users))
    assert _audit(store, "user.update")[0][2] == {"password_changed": True, "is_admin": None}


def test_a_duplicate_or_bad_user_changes_nothing(store):
    accounts.create_user(store, "alice", "alice-password")
    before = _rows(store, t.auth_users)
    with pytest.raises(AlreadyExists, match="alice"):
        accounts.create_user(store, "alice", "other-password", is_admin=True)
    with pytest.raises(InvalidInput, match="user name"):
        accounts.create_user(store, "bad:name", "long-enough")
    with pytest.raises(InvalidInput, match="at least"):
        accounts.create_user(store, "carol", "short")
    assert _rows(store, t.auth_users) == before
    assert len(_audit(store, "user.")) == 1


def test_unknown_users_are_named_with_suggestions(store):
    accounts.create_user(store, "alice", "alice-password")
    with pytest.raises(NotFound, match="Did you mean 'alice'"):
        store.auth.get_user("alise")
    with pytest.raises(NotFound):
        accounts.set_password(store, "nobody", "long-enough")
    with pytest.raises(NotFound):
        store.auth.delete_user("nobody")


def test_tokens_keep_only_a_hash_and_a_prefix(store):
    accounts.create_user(store, "alice", "alice-password")
    token, info = accounts.create_token(store, "alice", "laptop", "30d")
    [row] = _rows(store, t.auth_tokens)
    assert token not in str(row)
    assert row["token_hash"] == tokens.token_hash(token)
    assert row["prefix"] == token[: tokens.PREFIX_LENGTH] == info.prefix
    assert info.expiry_time - info.creation_time == pytest.approx(30 * 86_400_000, abs=5000)
    found_info, owner = store.auth.find_token_by_hash(tokens.token_hash(token))
    assert (found_info.token_id, owner.username) == (info.token_id, "alice")
    assert found_info.is_valid(info.creation_time + 1)
    assert not found_info.is_valid(info.expiry_time)
    assert store.auth.find_token_by_hash(tokens.token_hash(token + "x")) is None
    revoked = store.auth.revoke_token(info.token_id)
    assert revoked.revoked_time is not None and not revoked.is_valid(revoked.revoked_time)
    assert store.auth.revoke_token(info.token_id).revoked_time == revoked.revoked_time
    audited = _audit(store, "token.")
    assert [a for a, _, _ in audited] == ["token.create", "token.revoke"]
    assert token not in str(audited) and info.prefix not in str(audited)


def test_a_token_for_an_unknown_user_or_with_a_bad_expiry_changes_nothing(store):
    with pytest.raises(NotFound):
        accounts.create_token(store, "nobody", "x", None)
    accounts.create_user(store, "alice", "alice-password")
    with pytest.raises(InvalidInput):
        accounts.create_token(store, "alice", "x", "soon")
    assert _rows(store, t.auth_tokens) == []
    with pytest.raises(NotFound):
        store.auth.revoke_token(99)


def test_grants_replace_each_other_and_are_audited(store):
    accounts.create_user(store, "bob", "bob-password")
    exp = store.experiments.create_experiment("team-a")
    accounts.grant(store, "bob", ("experiment", exp), "read", actor="alice")
    accounts.grant(store, "bob", ("experiment", exp), "EDIT", actor="alice")
    accounts.grant(store, "bob", ("registered_model", "churn"), "MANAGE")
    bob = store.auth.get_user("bob")
    assert store.auth.grants_of(bob.user_id) == {
        ("experiment", exp): Permission.EDIT,
        ("registered_model", "churn"): Permission.MANAGE,
    }
    assert [g.permission for g in store.auth.list_grants(resource_type="experiment")] == [
        Permission.EDIT
    ]
    store.auth.revoke("bob", "experiment", exp, actor="alice")
    with pytest.raises(NotFound, match="no explicit permission"):
        store.auth.revoke("bob", "experiment", exp)
    assert _audit(store, "permission.") == [
        ("permission.grant", f"experiment:{exp}", {"username": "bob", "permission": "READ"}),
        ("permission.grant", f"experiment:{exp}", {"username": "bob", "permission": "EDIT"}),
        ("permission.grant", "registered_model:churn", {"username": "bob", "permission": "MANAGE"}),
        ("permission.revoke", f"experiment:{exp}", {"username": "bob"}),
    ]


def test_bad_grants_change_nothing(store):
    accounts.create_user(store, "bob", "bob-password")
    with pytest.raises(InvalidInput, match="Did you mean 'READ'"):
        accounts.grant(store, "bob", ("experiment", "0"), "REED")
    with pytest.raises(NotFound):
        accounts.grant(store, "bob", ("experiment", "404"), "READ")
    with pytest.raises(NotFound):
        accounts.grant(store, "nobody", ("experiment", "0"), "READ")
    with pytest.raises(InvalidInput):
        accounts.resource_of(None, None)
    with pytest.raises(InvalidInput):
        accounts.resource_of("0", "model")
    assert _rows(store, t.auth_permissions) == []


def test_deleting_a_user_removes_their_tokens_and_grants(store):
    accounts.create_user(store, "bob", "bob-password")
    accounts.create_token(store, "bob", "ci", None)
    accounts.grant(store, "bob", ("experiment", "0"), "READ")
    store.auth.delete_user("bob")
    assert _rows(store, t.auth_users) == []
    assert _rows(store, t.auth_tokens) == []
    assert _rows(store, t.auth_permissions) == []


def test_run_and_name_lookups(store):
    exp = store.experiments.create_experiment("lookup")
    run = store.runs.create_run(exp).info.run_id
    assert store.auth.run_experiment_id(run) == exp
    assert store.auth.run_experiment_id("0" * 32) is None
    assert store.auth.experiment_id_named("lookup") == exp
    assert store.auth.experiment_id_named("missing") is None
    assert store.auth.experiment_ids() == {"0", exp}
