"""`cairn models gates set|show|clear`, `cairn models protect|unprotect` and `cairn models
alias --force --reason` end to end on a project store, with the forced move in `cairn audit
log`; and the MLflow-compatible route refusing a failing version on a live server."""

from __future__ import annotations

import json

import httpx
import pytest

import cairn
from cairn.entities import Metric
from cairn.errors import GateFailed
from cairn.tracking.client import CairnClient
from cli_support import cairn as run_cli

GATES = 'rules:\n  - "metrics.f1 >= 0.8"\n'


def ok(*args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def churn(client: CairnClient, tmp_path) -> str:
    """churn v1 from a run with f1 0.9, v2 from one with f1 0.7; returns the gates file."""
    client.store.registry.create_registered_model("churn")
    for f1 in (0.9, 0.7):
        with cairn.start_run() as run:
            cairn.log_metric("f1", f1)
        client.store.registry.create_model_version("churn", "/m", run_id=run.info.run_id)
    path = tmp_path / "gates.yaml"
    path.write_text(GATES)
    return str(path)


def test_protected_alias_cli_round_trip(client: CairnClient, churn: str, tmp_path) -> None:
    assert "1 gate rule(s) set" in ok("models", "gates", "set", "churn", churn)
    assert "churn@champion is protected" in ok("models", "protect", "churn", "champion")
    shown = json.loads(ok("models", "gates", "show", "churn", "--json"))
    assert shown == {"name": "churn", "gates": GATES, "protected": ["champion"]}
    ok("models", "alias", "churn", "champion", "1")

    refused = run_cli("models", "alias", "churn", "champion", "2")
    assert refused.exit_code == 1
    assert "refused to move protected alias 'champion'" in refused.stderr
    assert "f1 = 0.7 fails >= 0.8" in refused.stderr
    assert client.store.registry.get_registered_model("churn").aliases == {"champion": 1}

    usage = run_cli("models", "alias", "churn", "champion", "2", "--reason", "why")
    assert usage.exit_code == 2 and "--reason goes with --force" in usage.stderr
    no_reason = run_cli("models", "alias", "churn", "champion", "2", "--force")
    assert no_reason.exit_code == 1 and "needs a reason" in no_reason.stderr

    forced = ok("models", "alias", "churn", "champion", "2", "--force", "--reason", "INC-7")
    assert "churn@champion -> version 2" in forced
    log = json.loads(ok("audit", "log", "--entity", "model_version:churn/2", "--json"))
    assert [e["action"] for e in log if "alias" in e["action"]] == ["registered_model.force_alias"]
    assert "force_alias" in ok("audit", "log", "--entity", "model_version:churn/2")
    exported = [json.loads(line) for line in ok("audit", "export").splitlines()]
    forced_event = next(e for e in exported if e["action"] == "registered_model.force_alias")
    payload = forced_event["payload"]
    assert payload["forced"] is True and payload["reason"] == "INC-7"
    assert payload["previous_version"] == 1 and "f1 = 0.7 fails" in payload["failed_rules"][0]

    assert "no longer protected" in ok("models", "unprotect", "churn", "champion")
    assert "Removed the gates" in ok("models", "gates", "clear", "churn")
    assert "has no gates" in ok("models", "gates", "show", "churn")


def test_bad_gates_file_is_refused_and_changes_nothing(client: CairnClient, churn, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('rules:\n  - "metrics.f1 >>= 1"\n')
    before = client.store.audit.head()
    for args, message in [
        (("models", "gates", "set", "churn", str(bad)), "rules[0]"),
        (("models", "gates", "set", "churn", str(tmp_path / "none.yaml")), "no such gates file"),
        (("models", "gates", "set", "nope", churn), "nope"),
        (("models", "gates", "clear", "churn"), "has no gates"),
        (("models", "protect", "churn", "v2"), "is not allowed"),
        (("models", "unprotect", "churn", "champion"), "is not protected"),
    ]:
        result = run_cli(*args)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
    assert client.store.audit.head() == before


def test_server_is_authoritative_for_every_client(cairn_server: str) -> None:
    from cairn.registry.protection import protect_alias, set_gates
    from cairn.store import open_store

    store = open_store(cairn_server)
    try:
        exp = store.experiments.create_experiment("train")
        for f1 in (0.9, 0.7):
            run_id = store.runs.create_run(exp).info.run_id
            store.runs.log_batch(run_id, metrics=[Metric("f1", f1, 1, 0)])
            if f1 == 0.9:
                store.registry.create_registered_model("churn")
            store.registry.create_model_version("churn", "/m", run_id=run_id)
        set_gates(store, "churn", GATES)
        protect_alias(store, "churn", "champion")
        with pytest.raises(GateFailed, match="f1 = 0.7 fails"):
            store.registry.set_alias("churn", "champion", 2)  # the store verb, no client check
        native = httpx.put(
            f"{cairn_server}/api/v1/registered-models/churn/aliases/champion", json={"version": 2}
        )
        assert native.status_code == 409 and native.json()["error_type"] == "GateFailed"
        answer = httpx.post(
            f"{cairn_server}/api/2.0/mlflow/registered-models/alias",
            json={"name": "churn", "alias": "champion", "version": "2"},
        )
        assert answer.status_code == 400, answer.text  # MLflow's code for a refused state
        assert "refused to move protected alias 'champion'" in answer.json()["message"]
        assert store.registry.get_registered_model("churn").aliases == {}
        assert store.registry.set_alias("churn", "champion", 1).version == 1
    finally:
        store.close()
