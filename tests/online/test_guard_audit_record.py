"""``AuditRepository.record``: features outside the store append audit events, on every backend
(SQLite, PostgreSQL, MySQL, the REST store); over HTTP a registered model's events need EDIT on
the model and any other entity an admin."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cairn.errors import InvalidInput, PermissionDenied
from cairn.store import open_store
from cairn.store.base import Store
from cairn.store.sql import SqlStore

API = "/api/v1"


def test_record_appends_a_chained_event(cairn_store: Store) -> None:
    seq, head = cairn_store.audit.head()
    event = cairn_store.audit.record(
        "registered_model:churn", "online.quarantine", {"id": "q1", "rows": 200}
    )
    assert event.seq == seq + 1 and event.prev_hash == head
    assert (event.action, event.entity) == ("online.quarantine", "registered_model:churn")
    assert cairn_store.audit.head() == (event.seq, event.hash)
    other = cairn_store.audit.record("online:stream", "online.note", {"n": [1, 2]})
    assert [e.seq for e in cairn_store.audit.list_events(after_seq=seq)] == [event.seq, other.seq]


@pytest.mark.parametrize(
    ("entity", "action", "payload", "message"),
    [
        ("churn", "online.quarantine", {}, "is not 'kind:name'"),
        ("registered_model:churn", "Quarantine", {}, "dotted lower-case"),
        ("registered_model:churn", "run.update", {}, "belongs to the store itself"),
        ("registered_model:churn", "registered_model.set_tag", {}, "belongs to the store itself"),
        ("registered_model:churn", "online.quarantine", {"x": float("nan")}, "not plain JSON"),
        ("registered_model:churn", "online.quarantine", [1], "must be a JSON object"),
    ],
)
def test_record_refuses_bad_events_and_leaves_the_chain(
    cairn_store: Store, entity: str, action: str, payload: object, message: str
) -> None:
    before = cairn_store.audit.head()
    with pytest.raises(InvalidInput, match=message):
        cairn_store.audit.record(entity, action, payload)  # type: ignore[arg-type]
    assert cairn_store.audit.head() == before


def test_record_over_http_needs_edit_on_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cairn.server import ServerSettings
    from cairn.server.auth import accounts, passwords
    from cairn.server.live import LiveServer

    uri = f"sqlite:///{tmp_path}/auth.db"
    with SqlStore(uri) as store:
        for name in ("root", "alice", "bob"):
            store.auth.create_user(
                name, passwords.hash_password(f"{name}-pw"), is_admin=name == "root"
            )
        store.registry.create_registered_model("churn")
        accounts.grant(store, "alice", ("registered_model", "churn"), "EDIT")
        accounts.grant(store, "bob", ("registered_model", "churn"), "READ")
    settings = ServerSettings(uri, str(tmp_path / "artifacts"), auth=True)
    body = {"action": "online.quarantine", "payload": {"id": "q1"}}
    with LiveServer(settings) as live:
        url = f"{live.url}{API}/audit/registered-models/churn/events"
        assert httpx.post(url, json=body, auth=("bob", "bob-pw")).status_code == 403
        made = httpx.post(url, json=body, auth=("alice", "alice-pw"))
        assert made.status_code == 200, made.text
        assert made.json()["entity"] == "registered_model:churn"
        general = f"{live.url}{API}/audit/events"
        other = {"entity": "online:x", **body}
        assert httpx.post(general, json=other, auth=("alice", "alice-pw")).status_code == 403
        assert httpx.post(general, json=other, auth=("root", "root-pw")).status_code == 200
        bad = httpx.post(
            url, json={"action": "run.update", "payload": {}}, auth=("alice", "alice-pw")
        )
        assert bad.status_code == 400 and "belongs to the store itself" in bad.text
        monkeypatch.setenv("CAIRN_TRACKING_USERNAME", "alice")
        monkeypatch.setenv("CAIRN_TRACKING_PASSWORD", "alice-pw")
        with open_store(live.url) as as_alice:
            event = as_alice.audit.record(
                "registered_model:churn", "online.quarantine", {"id": "q2"}
            )
            assert event.actor == "alice"
            with pytest.raises(PermissionDenied):
                as_alice.audit.record("online:x", "online.note", {})
    with SqlStore(uri) as store:
        events = [
            e
            for e in store.audit.list_events(entity="registered_model:churn")
            if e.action.startswith("online.")
        ]
        assert [e.actor for e in events] == ["alice", "alice"]
        assert store.audit.verify_chain().ok
