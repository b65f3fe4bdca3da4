"""``cairn audit verify|export|sign`` against a live ``cairn server``: the server verifies and
exports its own database (streamed JSON lines), keeps only head signatures that verify, and
answers admins only when auth is on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cairn.audit import verify_lines
from cairn.cli import cli
from cairn.entities import Metric, Param
from cairn.errors import InvalidInput, PermissionDenied
from cairn.store import open_store
from cairn.store.base import Store
from cairn.store.sql import SqlStore

API = "/api/v1"


@pytest.fixture
def served(cairn_server: str, tmp_path: Path) -> Iterator[Store]:
    """The live server's store over REST, holding a run with params and a metric history."""
    store = open_store(cairn_server)
    run_id = store.runs.create_run("0", run_name="r1").info.run_id
    store.runs.log_batch(
        run_id,
        metrics=[Metric("loss", 1 / (s + 1), 1000 + s, s) for s in range(20)],
        params=[Param("lr", "0.1")],
    )
    store.runs.update_run_info(run_id, status="FINISHED")
    store.run_id = run_id  # type: ignore[attr-defined]
    yield store
    store.close()


def _tamper(tmp_path: Path, statement: str) -> None:
    """Run SQL on the server's database (where cairn_server keeps it) behind its back."""
    engine = sa.create_engine(f"sqlite:///{tmp_path}/server.db")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def run(store: Store, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--tracking-uri", store.uri, "audit", *args])


def test_verify_and_export_over_rest_catch_tampering(served: Store, tmp_path: Path) -> None:
    ok = run(served, "verify", "--json")
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["ok"] is True and report["events"] == report["head"]["seq"] >= 4

    exported = run(served, "export", "-o", str(tmp_path / "trail.jsonl"))
    assert exported.exit_code == 0, exported.output
    lines = (tmp_path / "trail.jsonl").read_text().splitlines()
    assert len(lines) == report["events"] and verify_lines(lines) == []
    batch = next(json.loads(x) for x in lines if json.loads(x)["action"] == "run.log_batch")
    assert len(batch["payload"]["metrics"]) == 20  # the metric points rebuilt server-side

    _tamper(tmp_path, "UPDATE params SET value = '0.9' WHERE key = 'lr'")
    broken = run(served, "verify")
    assert broken.exit_code == 1
    assert "tampering found" in broken.output and "lr" in broken.output


def test_sign_over_rest_and_verify_with_the_key(served: Store, tmp_path: Path) -> None:
    assert run(served, "keygen", "-o", str(tmp_path / "keys")).exit_code == 0
    private, public = tmp_path / "keys/audit_ed25519.pem", tmp_path / "keys/audit_ed25519.pub.pem"
    head = served.audit.head()
    signed = run(served, "sign", "--key", str(private))
    assert signed.exit_code == 0, signed.output
    (signature,) = served.audit.signatures()
    assert (signature.seq, signature.hash) == head
    served.runs.create_run("0", run_name="later")
    checked = run(served, "verify", "--key", str(public), "--json")
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["signature_checked"] is True

    _tamper(tmp_path, f"UPDATE audit_events SET hash = '{'0' * 64}' WHERE seq = {head[0]}")
    rewritten = run(served, "verify", "--key", str(public))
    assert rewritten.exit_code == 1 and "rewritten" in rewritten.output


def test_server_keeps_only_signatures_that_verify(served: Store) -> None:
    seq, hash = served.audit.head()
    key = "11" * 32
    with pytest.raises(InvalidInput, match="does not verify"):
        served.audit.add_signature(seq, hash, key, "22" * 64, "me")
    with pytest.raises(InvalidInput, match=f"event {seq} does not have hash"):
        served.audit.add_signature(seq, "f" * 64, key, "22" * 64, "me")
    assert served.audit.signatures() == []
    assert served.audit.head() == (seq, hash)


def test_audit_routes_are_for_admins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cairn.server import ServerSettings
    from cairn.server.auth import passwords
    from cairn.server.live import LiveServer

    uri = f"sqlite:///{tmp_path}/auth.db"
    with SqlStore(uri) as store:
        for name in ("root", "alice"):
            hashed = passwords.hash_password(f"{name}-pw")
            store.auth.create_user(name, hashed, is_admin=name == "root")
    settings = ServerSettings(uri, str(tmp_path / "artifacts"), auth=True)
    with LiveServer(settings) as live:
        for path in ("/audit/verify", "/audit/export", "/audit/signatures"):
            alice = httpx.get(f"{live.url}{API}{path}", auth=("alice", "alice-pw"))
            assert alice.status_code == 403, (path, alice.text)
            root = httpx.get(f"{live.url}{API}{path}", auth=("root", "root-pw"))
            assert root.status_code == 200, (path, root.text)
        monkeypatch.setenv("CAIRN_TRACKING_USERNAME", "alice")
        monkeypatch.setenv("CAIRN_TRACKING_PASSWORD", "alice-pw")
        with open_store(live.url) as as_alice, pytest.raises(PermissionDenied):
            as_alice.audit.verify_chain()
        monkeypatch.setenv("CAIRN_TRACKING_USERNAME", "root")
        monkeypatch.setenv("CAIRN_TRACKING_PASSWORD", "root-pw")
        with open_store(live.url) as as_root:
            assert as_root.audit.verify_chain().ok
            actions = [e.action for e in as_root.audit.export_events()]
            assert actions.count("user.create") == 2
