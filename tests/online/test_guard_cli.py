"""``cairn online quarantine list|show|release|delete`` through the root group."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from guard_support import clean_batches, guard_for, task, with_labels

from cairn.cli import cli
from cairn.online.quarantine import reject
from cairn.tracking.client import CairnClient


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["online", "quarantine", *args])


@pytest.fixture
def entries(project: Path, client: CairnClient) -> list[str]:
    """Two batches of model 'churn' quarantined in the project's default folder."""
    data = task(seed=11, rows=4000)
    guard = guard_for(data)
    made = []
    for batch in clean_batches(data, source="mallory")[:2]:
        poisoned = with_labels(batch, np.full(len(batch.y), 2))
        verdict = guard.screen(poisoned, data["model"])
        root = project / ".cairn" / "quarantine"
        made.append(reject(client.store, root, poisoned, verdict, model_name="churn", run_id=None))
    return made


def test_list_and_show(entries: list[str]) -> None:
    listed = _invoke("list", "--json")
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)["items"]
    assert [i["id"] for i in items] == entries
    assert items[0]["source"] == "mallory" and items[0]["stage"] == "screen"
    assert items[0]["reasons"][0].startswith("label_shift:")
    table = _invoke("list", "churn")
    assert table.exit_code == 0 and entries[0] in table.stdout and "label_shift" in table.stdout
    shown = _invoke("show", "churn", entries[0], "--json", "--head", "2")
    assert shown.exit_code == 0, shown.output
    found = json.loads(shown.stdout)
    assert found["rows"] == 200 and len(found["head"]) == 2 and found["head"][0]["label"] == 2
    text = _invoke("show", "churn", entries[0])
    assert text.exit_code == 0 and "rejected at the screen stage" in text.stdout
    assert "label_shift_p=" in text.stdout


def test_release_and_delete_are_audited(
    entries: list[str], project: Path, client: CairnClient
) -> None:
    released = _invoke("release", "churn", entries[0], "--to", str(project / "inbox"), "--json")
    assert released.exit_code == 0, released.output
    assert Path(json.loads(released.stdout)["path"]).is_file()
    again = _invoke("release", "churn", entries[0])
    assert again.exit_code == 1 and "released already" in again.output
    deleted = _invoke("delete", "churn", entries[1])
    assert deleted.exit_code == 0 and f"deleted {entries[1]}" in deleted.stdout
    items = json.loads(_invoke("list", "--json").stdout)["items"]
    assert [(i["id"], i["status"]) for i in items] == [(entries[0], "released")]
    actions = [e.action for e in client.store.audit.list_events(entity="registered_model:churn")]
    assert actions[-2:] == ["online.quarantine.release", "online.quarantine.delete"]


def test_bad_input_exits_2_and_changes_nothing(entries: list[str], tmp_path: Path) -> None:
    missing = _invoke("show", "churn", entries[0][:-1] + "x")
    assert missing.exit_code == 2 and "no quarantined batch" in missing.output
    assert "Did you mean" in missing.output
    unsafe = _invoke("delete", "../churn", entries[0])
    assert unsafe.exit_code == 2 and "cannot name a quarantine folder" in unsafe.output
    empty = _invoke("list", "--dir", str(tmp_path / "none"), "--json")
    assert empty.exit_code == 0 and json.loads(empty.stdout) == {"items": []}
    assert len(json.loads(_invoke("list", "--json").stdout)["items"]) == 2
