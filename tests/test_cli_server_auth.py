"""``cairn server users|tokens|permissions`` and ``cairn server --auth`` end to end."""

from __future__ import annotations

import json
import subprocess
import time

import httpx
import pytest
from click.testing import CliRunner

from cairn.cli import cli
from cairn.store.sql import SqlStore
from cairn.testing.services import free_port
from cli_support import CAIRN


@pytest.fixture
def uri(tmp_path):
    return f"sqlite:///{tmp_path / 'team.db'}"


def run(uri, *args, stdin=None):
    """``cairn server ARGS --backend-store-uri URI`` in-process."""
    return CliRunner().invoke(
        cli, ["server", *args, "--backend-store-uri", uri], input=stdin, catch_exceptions=False
    )


def users_table(uri):
    with SqlStore(uri) as store:
        return [(u.username, u.is_admin, u.password_hash) for u in store.auth.list_users()]


def test_create_list_delete_users(uri):
    made = run(uri, "users", "create", "alice", "--admin", "--password-stdin", stdin="alice-pass\n")
    assert made.exit_code == 0, made.output
    assert "Created admin 'alice'" in made.output
    prompted = run(uri, "users", "create", "bob", stdin="bob-password\nbob-password\n")
    assert prompted.exit_code == 0, prompted.output
    [(alice, admin, hashed), (bob, bob_admin, _)] = users_table(uri)
    assert (alice, admin, bob, bob_admin) == ("alice", True, "bob", False)
    assert hashed.startswith("scrypt$") and "alice-pass" not in hashed
    listed = json.loads(run(uri, "users", "list", "--json").output)
    assert [(u["username"], u["is_admin"]) for u in listed] == [("alice", True), ("bob", False)]
    assert "alice" in run(uri, "users", "list").output
    assert run(uri, "users", "delete", "bob").exit_code == 0
    assert [u[0] for u in users_table(uri)] == ["alice"]


def test_set_password(uri):
    run(uri, "users", "create", "alice", "--password-stdin", stdin="first-password\n")
    before = users_table(uri)
    changed = run(uri, "users", "set-password", "alice", "--password-stdin", stdin="second-pass\n")
    assert changed.exit_code == 0, changed.output
    assert users_table(uri)[0][2] != before[0][2]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "create", "alice", "--password-stdin"], "other-password\n", "exists already"),
        (["users", "create", "bad:name", "--password-stdin"], "long-password\n", "user name"),
        (["users", "create", "carol", "--password-stdin"], "short\n", "at least 8"),
        (["users", "create", "carol"], "one-password\nanother-one\n", None),
        (["users", "delete", "nobody"], None, "no user is named 'nobody'"),
        (["users", "set-password", "alise", "--password-stdin"], "long-password\n", "Did you mean 'alice'"),
        (["tokens", "create", "--user", "nobody"], None, "no user is named 'nobody'"),
        (["tokens", "create", "--user", "alice", "--expires-in", "30x"], None, "positive duration"),
        (["tokens", "revoke", "42"], None, "no API token has id 42"),
        (["permissions", "grant", "--user", "alice", "--experiment", "0", "--level", "OWNER"], None, "not one of"),
        (["permissions", "grant", "--user", "nobody", "--experiment", "0", "--level", "READ"], None, "nobody"),
        (["permissions", "grant", "--user", "alice", "--experiment", "77", "--level", "READ"], None, "77"),
        (["permissions", "grant", "--user", "alice", "--level", "READ"], None, "exactly one"),
        (["permissions", "revoke", "--user", "alice", "--experiment", "0"], None, "no explicit permission"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_changes_nothing(uri, args, stdin, message):
    run(uri, "users", "create", "alice", "--password-stdin", stdin="alice-password\n")
    before = users_table(uri)
    with SqlStore(uri) as store:
        events = store.audit.head()
    result = run(uri, *args, stdin=stdin)
    assert result.exit_code == 1 if message else result.exit_code != 0, result.output
    if message:
        assert message in result.output
    assert users_table(uri) == before
    with SqlStore(uri) as store:
        assert store.audit.head() == events
        assert store.auth.list_tokens() == [] and store.auth.list_grants() == []


def test_tokens_are_printed_once_and_listed_by_prefix(uri):
    run(uri, "users", "create", "alice", "--password-stdin", stdin="alice-password\n")
    made = CliRunner().invoke(
        cli,
        ["server", "tokens", "create", "--user", "alice", "--name", "ci", "--expires-in", "30d",
         "--backend-store-uri", uri],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("cairn_") and "\n" not in token
    assert "not kept" in made.stderr
    listed = json.loads(run(uri, "tokens", "list", "--json").output)
    assert len(listed) == 1
    assert (listed[0]["user"], listed[0]["name"], listed[0]["status"]) == ("alice", "ci", "active")
    assert listed[0]["prefix"] == token[:12] and listed[0]["expires"] is not None
    assert token not in run(uri, "tokens", "list").output
    assert run(uri, "tokens", "revoke", str(listed[0]["token_id"])).exit_code == 0
    assert json.loads(run(uri, "tokens", "list", "--json").output)[0]["status"] == "revoked"


def test_permissions_grant_list_revoke(uri):
    run(uri, "users", "create", "bob", "--password-stdin", stdin="bob-password\n")
    with SqlStore(uri) as store:
        exp = store.experiments.create_experiment("team-a")
    granted = run(
        uri, "permissions", "grant", "--user", "bob", "--experiment", exp, "--level", "edit"
    )
    assert granted.exit_code == 0 and "Granted EDIT" in granted.output
    modeled = run(
        uri,
        "permissions",
        "grant",
        "--user",
        "bob",
        "--registered-model",
        "churn",
        "--level",
        "READ",
    )
    assert modeled.exit_code == 0, modeled.output
    listed = json.loads(run(uri, "permissions", "list", "--user", "bob", "--json").output)
    assert [(p["resource_type"], p["resource"], p["level"]) for p in listed] == [
        ("experiment", exp, "EDIT"),
        ("registered_model", "churn", "READ"),
    ]
    only = json.loads(run(uri, "permissions", "list", "--experiment", exp, "--json").output)
    assert [p["user"] for p in only] == ["bob"]
    assert run(uri, "permissions", "revoke", "--user", "bob", "--experiment", exp).exit_code == 0
    assert len(json.loads(run(uri, "permissions", "list", "--json").output)) == 1


@pytest.mark.slow
def test_cairn_server_auth_serves_only_with_credentials(tmp_path, uri):
    made = run(uri, "users", "create", "alice", "--password-stdin", stdin="alice-password\n")
    assert made.exit_code == 0
    port = free_port()
    proc = subprocess.Popen(
        [CAIRN, "server", "--auth", "--default-permission", "NO_PERMISSIONS",
         "--port", str(port), "--backend-store-uri", uri, "--workers", "2"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert httpx.get(f"{base}/health", timeout=1).text == "OK"
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.2)
        assert httpx.get(f"{base}/version").status_code == 401
        alice = ("alice", "alice-password")
        assert httpx.get(f"{base}/api/v1/auth/whoami", auth=alice).json()["username"] == "alice"
        # The default permission reached the worker processes: experiment 0 is private.
        assert httpx.get(f"{base}/api/v1/experiments/0", auth=alice).status_code == 403
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "No admin account yet" in err
    assert "with authentication" in err
