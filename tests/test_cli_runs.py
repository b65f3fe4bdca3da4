"""End-to-end tests of `cairn runs ...`."""

from __future__ import annotations

import json

import pytest

from cairn.tracking.client import CairnClient
from cli_support import cairn


@pytest.fixture
def runs(client: CairnClient) -> dict[str, str]:
    """Three runs in 'cnn' (two finished, one failed) and one running in Default: name -> id."""
    exp = client.create_experiment("cnn")
    ids = {}
    for i, (name, status) in enumerate([("alpha", "FINISHED"), ("beta", "FINISHED"),
                                        ("gamma", "FAILED")]):  # fmt: skip
        run = client.create_run(exp, run_name=name, start_time=1_700_000_000_000 + i * 1000)
        rid = run.info.run_id
        client.log_metric(rid, "acc", 0.8 + i / 20, step=0)
        client.log_metric(rid, "loss", 0.5 - i / 10)
        client.log_param(rid, "lr", "0.01" if i < 2 else "0.1")
        client.log_param(rid, "model", "cnn")
        client.set_tag(rid, "owner", "ana")
        client.set_tag(rid, "cairn.source.type", "script")
        client.log_text(rid, "weights", "model/weights.bin")
        client.set_terminated(rid, status, end_time=1_700_000_000_000 + i * 1000 + 65_000)
        ids[name] = rid
    solo = client.create_run("0", run_name="solo")
    client.log_metric(solo.info.run_id, "f1", 0.3)
    ids["solo"] = solo.info.run_id
    return ids


def snapshot(client: CairnClient) -> tuple[object, ...]:
    """Every run, experiment and the audit chain head: what a failed command must not change."""
    exps = client.search_experiments("all", 1000).items
    found = client.search_runs([e.experiment_id for e in exps], None, "all", 1000).items
    return tuple(exps), tuple(found), client.store.audit.head()


def test_list_table(runs: dict[str, str]) -> None:
    result = cairn("runs", "list")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for name, rid in runs.items():
        assert name in out and rid[:8] in out and rid not in out
    assert "FINISHED" in out and "FAILED" in out and "RUNNING" in out
    assert "cnn" in out and "Default" in out
    assert "metrics.acc" in out and "params.lr" in out
    assert "1m 05s" in out  # the duration of the finished runs
    assert "\x1b[" not in out


def test_status_is_coloured_on_a_terminal(
    runs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in cairn("runs", "list").stdout


def test_columns_option(runs: dict[str, str]) -> None:
    out = cairn("runs", "list", "--columns", "metrics.loss,tags.owner").stdout
    assert "metrics.loss" in out and "tags.owner" in out and "ana" in out
    assert "params.lr" not in out
    bad = cairn("runs", "list", "--columns", "acc")
    assert bad.exit_code == 2 and "'acc' is not metrics.KEY" in bad.stderr


def test_list_json_and_experiment_option(runs: dict[str, str]) -> None:
    result = cairn("runs", "list", "-e", "cnn", "--json", "--order-by", "metrics.acc DESC")
    rows = json.loads(result.stdout)
    assert [r["run_name"] for r in rows] == ["gamma", "beta", "alpha"]
    row = rows[-1]
    assert row["run_id"] == runs["alpha"] and row["experiment_name"] == "cnn"
    assert row["start_time"] == 1_700_000_000_000
    assert row["start_time_iso"] == "2023-11-14T22:13:20.000+00:00"
    assert row["duration_ms"] == 65_000 and row["status"] == "FINISHED"
    assert row["metrics"] == {"acc": 0.8, "loss": 0.5}
    assert row["params"] == {"lr": "0.01", "model": "cnn"}
    assert row["tags"] == {"owner": "ana"}
    assert row["system_tags"] == {"cairn.source.type": "script"}


def test_max_results_notes_that_more_exist(runs: dict[str, str]) -> None:
    result = cairn("runs", "list", "--max-results", "2", "--json")
    assert len(json.loads(result.stdout)) == 2
    assert "raise --max-results" in result.stderr


def test_unknown_experiment(runs: dict[str, str], client: CairnClient) -> None:
    before = snapshot(client)
    result = cairn("runs", "list", "-e", "cnm")
    assert result.exit_code == 1
    assert "no experiment is named 'cnm'" in result.stderr and "'cnn'" in result.stderr
    assert snapshot(client) == before


def test_search(runs: dict[str, str]) -> None:
    result = cairn(
        "runs", "search", "--filter", "metrics.acc > 0.82 and params.lr = '0.01'", "--json"
    )
    assert result.exit_code == 0, result.output
    assert [r["run_name"] for r in json.loads(result.stdout)] == ["beta"]
    assert cairn("runs", "search").exit_code == 2  # --filter is required


def test_invalid_filter_has_a_caret(runs: dict[str, str], client: CairnClient) -> None:
    before = snapshot(client)
    result = cairn("runs", "search", "--filter", "metrics.acc > 0.5 and metrix.loss < 1")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: ") and "metrix" in lines[0]
    assert lines[-2][lines[-1].index("^") :].startswith("metrix")
    assert snapshot(client) == before


def test_show(runs: dict[str, str]) -> None:
    result = cairn("runs", "show", runs["gamma"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert runs["gamma"] in out and "gamma" in out and "FAILED" in out and "cnn" in out
    params, metrics = out.index("Params"), out.index("Metrics")
    tags, system = out.index("Tags"), out.index("System tags")
    assert params < metrics < tags < system < out.index("Artifacts")
    assert "owner" in out[tags:system] and "cairn.source.type" not in out[tags:system]
    assert "cairn.source.type" in out[system:]
    assert "model/weights.bin" in out


def test_show_json_and_prefix(runs: dict[str, str]) -> None:
    data = json.loads(cairn("runs", "show", runs["beta"][:8], "--json").stdout)
    assert data["run_id"] == runs["beta"] and data["experiment_name"] == "cnn"
    assert data["artifacts"] == [{"path": "model/weights.bin", "file_size": 7}]
    assert data["end_time_iso"] == "2023-11-14T22:14:26.000+00:00"


def test_show_unknown_run(runs: dict[str, str], client: CairnClient) -> None:
    missing = cairn("runs", "show", "0" * 32)
    assert missing.exit_code == 1 and f"no run has id '{'0' * 32}'" in missing.stderr
    malformed = cairn("runs", "show", "not-a-run")
    assert malformed.exit_code == 1 and "not 32 hexadecimal characters" in malformed.stderr
    prefix = cairn("runs", "show", "ffffffff")
    assert prefix.exit_code == 1 and "no run id starts with 'ffffffff'" in prefix.stderr


def test_compare(runs: dict[str, str]) -> None:
    result = cairn("runs", "compare", runs["alpha"], runs["gamma"], runs["solo"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line for line in result.stdout.splitlines()
             if line.split()[:1] in (["params"], ["metrics"])}  # fmt: skip
    assert lines["lr"].rstrip().endswith("differs, only in 2 of 3")
    assert lines["acc"].rstrip().endswith("differs, only in 2 of 3")
    assert lines["f1"].rstrip().endswith("only in 1 of 3")
    assert "only in 2 of 3" in lines["model"]


def test_compare_json(runs: dict[str, str]) -> None:
    data = json.loads(cairn("runs", "compare", runs["alpha"], runs["beta"], "--json").stdout)
    assert [r["run_name"] for r in data["runs"]] == ["alpha", "beta"]
    rows = {(r["kind"], r["key"]): r for r in data["rows"]}
    assert rows["params", "lr"]["differs"] is False
    assert rows["metrics", "acc"]["differs"] is True
    assert rows["metrics", "acc"]["values"] == {
        runs["alpha"]: 0.8,
        runs["beta"]: pytest.approx(0.85),
    }
    assert rows["params", "model"]["missing_in"] == []


def test_compare_needs_two_runs(runs: dict[str, str]) -> None:
    assert cairn("runs", "compare", runs["alpha"]).exit_code == 2


def test_delete_and_restore(runs: dict[str, str], client: CairnClient) -> None:
    assert cairn("runs", "delete", runs["alpha"], runs["beta"][:10]).exit_code == 0
    assert client.get_run(runs["alpha"]).info.lifecycle_stage == "deleted"
    assert client.get_run(runs["beta"]).info.lifecycle_stage == "deleted"
    listed = json.loads(cairn("runs", "list", "--view", "deleted", "--json").stdout)
    assert {r["run_name"] for r in listed} == {"alpha", "beta"}
    assert cairn("runs", "restore", runs["alpha"]).exit_code == 0
    assert client.get_run(runs["alpha"]).info.lifecycle_stage == "active"


def test_delete_stops_before_changing_anything(runs: dict[str, str], client: CairnClient) -> None:
    client.delete_run(runs["beta"])
    before = snapshot(client)
    unknown = cairn("runs", "delete", runs["alpha"], "f" * 32)
    assert unknown.exit_code == 1 and "no run has id" in unknown.stderr
    again = cairn("runs", "delete", runs["alpha"], runs["beta"])
    assert again.exit_code == 1 and "is already deleted" in again.stderr
    assert snapshot(client) == before
