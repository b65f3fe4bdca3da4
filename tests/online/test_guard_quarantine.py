"""Quarantine: a rejected batch is kept (Parquet + JSON), audited in the hash chain (which still
verifies, and catches an edit of the event), and announced through a real webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from guard_support import clean_batches, guard_for, task, with_labels
from sklearn.linear_model import SGDClassifier

from cairn.errors import InvalidInput, InvalidState, NotFound
from cairn.monitoring.spec import ActionSpec
from cairn.online import OnlineTrainer
from cairn.online.guard_api import Verdict
from cairn.online.quarantine import Quarantine, reject
from cairn.store.sql import SqlStore
from webhook_support import webhook_server


@pytest.fixture
def hook() -> Iterator[ThreadingHTTPServer]:
    with webhook_server() as server:
        yield server


@pytest.fixture(scope="module")
def data() -> dict:
    return task(seed=7)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    with SqlStore(f"sqlite:///{tmp_path}/cairn.db") as opened:
        yield opened


def _poisoned(data: dict):
    batch = clean_batches(data, source="mallory")[0]
    return with_labels(batch, np.full(len(batch.y), 2))


def test_reject_keeps_the_batch_audits_it_and_fires_the_webhook(
    data: dict, store: SqlStore, tmp_path: Path, hook: ThreadingHTTPServer
) -> None:
    guard = guard_for(
        data, alert_actions=[ActionSpec("webhook", f"http://127.0.0.1:{hook.server_port}/guard")]
    )
    batch = _poisoned(data)
    verdict = guard.screen(batch, data["model"])
    assert not verdict.accepted
    root = tmp_path / "quarantine"
    entry = reject(
        store, root, batch, verdict, model_name="churn", run_id="r1",
        alert_actions=guard.alert_actions,
    )  # fmt: skip
    folder = root / "churn" / entry
    assert sorted(p.name for p in folder.iterdir()) == [
        "batch.parquet", "labels.parquet", "record.json",
    ]  # fmt: skip
    assert not [p for p in (root / "churn").iterdir() if p.name.startswith(".")]
    record = json.loads((folder / "record.json").read_text())
    assert record["status"] == "quarantined" and record["stage"] == "screen"
    assert record["reasons"] == verdict.reasons and record["source"] == "mallory"
    assert record["rows"] == 200 and record["run_id"] == "r1"
    assert record["alerts"][0]["status"] == "ok" and record["alerts"][0]["http_status"] == 200
    # the webhook got a description of the rejection
    [posted] = hook.received  # type: ignore[attr-defined]
    assert posted["event"] == "online.quarantine" and posted["monitor"] == "online:churn"
    assert "label_shift" in posted["message"] and posted["results"]["id"] == entry
    # the batch comes back as it arrived
    kept = Quarantine(root).show("churn", entry).load()
    assert kept.X.equals(batch.X) and (kept.y == batch.y).all() and kept.index == batch.index
    # one audit event on the model's entity; the chain still verifies
    [event] = store.audit.list_events(entity="registered_model:churn")
    assert event.action == "online.quarantine" and event.seq == record["audit_seq"]
    assert store.audit.verify_chain().ok


def test_an_edited_online_event_breaks_the_chain(
    data: dict, store: SqlStore, tmp_path: Path
) -> None:
    batch = _poisoned(data)
    verdict = guard_for(data).screen(batch, data["model"])
    reject(store, tmp_path / "q", batch, verdict, model_name="churn", run_id=None)
    seq = store.audit.head()[0]
    with store._engine.begin() as conn:  # behind the store's back
        payload = conn.execute(
            sa.text("SELECT payload FROM audit_events WHERE seq = :s"), {"s": seq}
        ).scalar_one()
        edited = payload.replace('"mallory"', '"alice"')
        assert edited != payload
        conn.execute(
            sa.text("UPDATE audit_events SET payload = :p WHERE seq = :s"), {"p": edited, "s": seq}
        )
    report = store.audit.verify_chain()
    assert not report.ok
    assert report.findings[0].kind == "payload"
    assert "online.quarantine registered_model:churn" in report.findings[0].message


def test_quarantine_list_show_release_delete(data: dict, store: SqlStore, tmp_path: Path) -> None:
    root = tmp_path / "q"
    guard = guard_for(data)
    ids = []
    for batch in clean_batches(data, source="mallory")[:3]:
        poisoned = with_labels(batch, np.full(len(batch.y), 1))
        ids.append(
            reject(
                store,
                root,
                poisoned,
                guard.screen(poisoned, data["model"]),
                model_name="churn",
                run_id=None,
            )
        )
    quarantine = Quarantine(root, store)
    assert [q.id for q in quarantine.list("churn")] == ids
    assert [q.id for q in quarantine.list()] == ids
    released = quarantine.release("churn", ids[0], to=tmp_path / "inbox")
    assert released == tmp_path / "inbox" / f"released-{ids[0]}.parquet"
    import pandas as pd

    back = pd.read_parquet(released)
    assert list(back.columns) == [*batch.X.columns, "label"] and (back["label"] == 1).all()
    assert quarantine.show("churn", ids[0]).record["status"] == "released"
    with pytest.raises(InvalidState, match="released already"):
        quarantine.release("churn", ids[0])
    quarantine.delete("churn", ids[1])
    assert [q.id for q in quarantine.list("churn")] == [ids[0], ids[2]]
    with pytest.raises(NotFound, match="no quarantined batch"):
        quarantine.show("churn", ids[1])
    with pytest.raises(InvalidInput, match="cannot name a quarantine folder"):
        quarantine.show("../etc", ids[0])
    actions = [e.action for e in store.audit.list_events(entity="registered_model:churn")]
    assert actions == ["online.quarantine"] * 3 + [
        "online.quarantine.release",
        "online.quarantine.delete",
    ]
    assert store.audit.verify_chain().ok


def test_reject_refuses_an_accepted_verdict_and_leaves_nothing(
    data: dict, store: SqlStore, tmp_path: Path
) -> None:
    batch = clean_batches(data)[0]
    before = store.audit.head()
    with pytest.raises(InvalidInput, match="was accepted"):
        reject(
            store,
            tmp_path / "q",
            batch,
            Verdict(True, "screen", [], {}),
            model_name="m",
            run_id=None,
        )
    with pytest.raises(InvalidInput, match="cannot name a quarantine folder"):
        reject(
            store,
            tmp_path / "q",
            batch,
            Verdict(False, "screen", ["x"], {}),
            model_name="a/b",
            run_id=None,
        )
    assert store.audit.head() == before
    assert not (tmp_path / "q").exists() or not any((tmp_path / "q").rglob("record.json"))


def test_online_trainer_quarantines_what_the_guard_rejects(data: dict, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/cairn.db"
    model = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.002, random_state=0)
    model.partial_fit(*data["reference"], classes=[0, 1, 2])
    guard = guard_for(data, trusted_model=None)
    trainer = OnlineTrainer(
        model, model_name="churn", classes=[0, 1, 2], guard=guard, tracking_uri=uri,
        quarantine_dir=tmp_path / "q", checkpoint_every=100,
    )  # fmt: skip
    batches = clean_batches(data)
    kept = trainer.update(batches[0].X, batches[0].y, source="user-0")
    assert kept.accepted
    before = trainer.model.coef_.copy()
    bad = trainer.update(batches[1].X, np.full(200, 2), source="mallory")
    assert not bad.accepted and bad.quarantine_id
    assert (trainer.model.coef_ == before).all()
    run_id = trainer.run_id
    trainer.close()
    entry = Quarantine(tmp_path / "q").show("churn", bad.quarantine_id)
    assert entry.record["source"] == "mallory" and entry.record["run_id"] == run_id
    with SqlStore(uri) as store:
        actions = [e.action for e in store.audit.list_events(entity="registered_model:churn")]
        assert actions.count("online.quarantine") == 1
        assert store.audit.verify_chain().ok
