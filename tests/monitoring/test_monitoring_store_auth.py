"""Monitors on a server with --auth (default NO_PERMISSIONS): a monitor's permissions follow
its registered model's. Reading needs READ on the model, writing EDIT, deleting MANAGE;
listings of monitors and alerts show only the models the caller may read; the audit trail
names who did what."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cairn.errors import NotFound, PermissionDenied
from cairn.server import ServerSettings
from cairn.server.auth import passwords
from cairn.server.live import LiveServer
from cairn.store.rest.store import RestStore
from cairn.store.sql import SqlStore

PASSWORDS = {"admin": "admin-pass-1", "alice": "alice-pass-1", "bob": "bob-pass-1"}
REF = b"reference"
DIGEST = hashlib.sha256(REF).hexdigest()
API = "/api/v1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    uri = f"sqlite:///{tmp_path / 'server.db'}"
    store = SqlStore(uri)
    try:
        for name, password in PASSWORDS.items():
            store.auth.create_user(
                name, passwords.hash_password(password), is_admin=name == "admin"
            )
    finally:
        store.close()
    settings = ServerSettings(
        uri, str(tmp_path / "artifacts"), auth=True, default_permission="NO_PERMISSIONS"
    )
    with LiveServer(settings) as live:
        yield live.url, uri


def _store(url: str, user: str) -> RestStore:
    return RestStore(url, auth=httpx.BasicAuth(user, PASSWORDS[user]))


def _window(store: RestStore) -> None:
    store.monitors.add_window(
        "churn-mon", start_time=0, end_time=1, first_seq=1, last_seq=1, rows=1,
        labelled_rows=0, model_version=None, results={},
    )  # fmt: skip


def test_monitor_permissions_follow_the_registered_model(server):
    url, uri = server
    with _store(url, "alice") as alice, _store(url, "bob") as bob:
        _check(url, uri, alice, bob)


def _check(url: str, uri: str, alice: RestStore, bob: RestStore) -> None:
    alice.registry.create_registered_model("churn")
    bob.registry.create_registered_model("bobs")
    with pytest.raises(PermissionDenied):  # bob may not edit alice's model
        bob.monitors.create_monitor("churn-mon", "churn@champion", {}, REF, DIGEST)
    alice.monitors.create_monitor("churn-mon", "churn@champion", {}, REF, DIGEST)
    bob.monitors.create_monitor("bobs-mon", "bobs", {}, REF, DIGEST)
    alice.monitors.append_records("churn-mon", b"c", ["a"], [1])
    _window(alice)
    alert = alice.monitors.add_alert("churn-mon", rule="f1 < 0.8", window_id=1, value=0.1,
                                     message="low")  # fmt: skip

    denied = [
        lambda: bob.monitors.get_reference("churn-mon"),
        lambda: bob.monitors.list_records("churn-mon"),
        lambda: bob.monitors.read_chunks("churn-mon", 1, 1),
        lambda: bob.monitors.list_windows("churn-mon"),
        lambda: bob.monitors.list_alerts("churn-mon"),
        lambda: bob.monitors.get_state("churn-mon", "k"),
        lambda: bob.monitors.append_records("churn-mon", b"c", ["b"], [2]),
        lambda: bob.monitors.put_labels("churn-mon", [("a", "1")], 3),
        lambda: bob.monitors.update_monitor("churn-mon", spec={"x": 1}),
        lambda: bob.monitors.update_alert_actions(alert.alert_id, []),
        lambda: bob.monitors.set_state("churn-mon", "k", "v"),
        lambda: bob.monitors.delete_monitor("churn-mon"),
        lambda: _window(bob),
    ]
    for call in denied:
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(PermissionDenied):
        bob.monitors.find_monitor("churn-mon")
    assert [m.name for m in bob.monitors.list_monitors()] == ["bobs-mon"]
    assert bob.monitors.list_alerts() == []
    assert [m.name for m in alice.monitors.list_monitors()] == ["churn-mon"]
    with pytest.raises(NotFound):
        bob.monitors.get_monitor("nope")

    grant = {"username": "bob", "registered_model_name": "churn", "level": "READ"}
    with httpx.Client(base_url=url, auth=httpx.BasicAuth("alice", PASSWORDS["alice"])) as http:
        assert http.put(f"{API}/auth/permissions", json=grant).status_code == 200
    assert bob.monitors.get_reference("churn-mon") == REF
    assert [a.alert_id for a in bob.monitors.list_alerts()] == [alert.alert_id]
    assert sorted(m.name for m in bob.monitors.list_monitors()) == ["bobs-mon", "churn-mon"]
    with pytest.raises(PermissionDenied):
        bob.monitors.append_records("churn-mon", b"c", ["b"], [2])
    assert alice.monitors.record_bounds("churn-mon") == (1, 1, 1)

    with SqlStore(uri) as store:
        events = [
            (e.actor, e.action, e.entity)
            for e in store.audit.list_events()
            if e.action.startswith("monitor.")
        ]
    assert events == [
        ("alice", "monitor.create", "monitor:churn-mon"),
        ("bob", "monitor.create", "monitor:bobs-mon"),
        ("alice", "monitor.window.add", "monitor:churn-mon"),
        ("alice", "monitor.alert.add", "monitor:churn-mon"),
    ]
