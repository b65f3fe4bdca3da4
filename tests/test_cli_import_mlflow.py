"""End-to-end tests of `cairn import-mlflow SOURCE` on an mlruns folder written by MLflow."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

mlflow = pytest.importorskip("mlflow")

from mlflow import MlflowClient  # noqa: E402

from cairn.testing import free_port  # noqa: E402
from cairn.tracking.client import CairnClient  # noqa: E402
from cli_support import cairn  # noqa: E402

T0 = 1_700_000_000_000


@pytest.fixture(autouse=True)
def mlflow_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No MLflow settings from outside; the global tracking URI reset after each test."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_ALLOW_FILE_STORE"):
        monkeypatch.delenv(name, raising=False)
    yield
    mlflow.set_tracking_uri(None)


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An mlruns folder: 'churn' (two runs, one with a 50-step history and an artifact) and 'ops'."""
    folder = tmp_path / "mlflow" / "mlruns"
    uri = folder.as_uri()
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient(uri, registry_uri=uri)
    churn = client.create_experiment("churn")
    ops = client.create_experiment("ops")
    run = client.create_run(churn, start_time=T0, run_name="rf", tags={"team": "growth"})
    rid = run.info.run_id
    client.log_param(rid, "depth", "8")
    for step in range(50):
        client.log_metric(rid, "loss", 1 / (step + 1), T0 + step, step)
    client.log_text(rid, "hello", "notes/readme.txt")
    client.set_terminated(rid, "FINISHED", end_time=T0 + 65_000)
    other = client.create_run(churn, start_time=T0 + 1, run_name="svm")
    client.set_terminated(other.info.run_id, "FAILED", end_time=T0 + 2)
    client.create_run(ops, start_time=T0 + 2, run_name="probe")
    client.create_registered_model("churn-model")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    return folder


def table(out: str) -> dict[str, list[str]]:
    """The report table's rows: label -> [copied, already there]."""
    labels = ("experiments", "runs", "metric points", "params", "tags", "artifact files",
              "artifact bytes")  # fmt: skip
    cells = [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()]
    return {row[0]: row[1:] for row in cells if row[0] in labels}


def cairn_store(project: Path) -> Path:
    return project / ".cairn" / "cairn.db"


def test_imports_and_reports_a_table_then_copies_nothing_twice(project: Path, source: Path) -> None:
    result = cairn("import-mlflow", str(source))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Imported from {source.as_uri()} into sqlite:///{cairn_store(project)}" in out
    rows = table(out)
    assert rows["experiments"] == ["2", "1"]  # churn and ops are new, Default is there already
    assert rows["runs"] == ["3", "0"] and rows["metric points"] == ["50", "0"]
    assert rows["artifact files"] == ["1", "0"] and rows["artifact bytes"] == ["5 B", "0 B"]
    assert "Not copied: registered models (1): the registry is not available yet." in out

    client = CairnClient()
    runs = client.search_runs(client.get_experiment_by_name("churn").experiment_id).items
    assert {r.info.run_name: r.info.status for r in runs} == {"rf": "FINISHED", "svm": "FAILED"}
    rf = next(r for r in runs if r.info.run_name == "rf")
    assert client.read_artifact(rf.info.run_id, "notes/readme.txt") == b"hello"

    again = cairn("import-mlflow", str(source), "--json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert set(report["copied"].values()) == {0}
    assert report["skipped"]["runs"] == 3 and report["skipped"]["metric_points"] == 50
    assert len(client.get_metric_history(rf.info.run_id, "loss")) == 50


def test_json_report(project: Path, source: Path) -> None:
    result = cairn("import-mlflow", source.as_uri(), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["source"] == source.as_uri() and report["dry_run"] is False
    assert report["copied"] == {
        "experiments": 2, "runs": 3, "metric_points": 50, "params": 1, "tags": 4,
        "artifact_files": 1, "artifact_bytes": 5,
    }  # fmt: skip
    assert report["not_copied"]["registered_models"]["count"] == 1
    assert len(report["run_ids"]) == 3


def test_dry_run_writes_nothing(project: Path, source: Path) -> None:
    result = cairn("import-mlflow", str(source), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Would import from" in result.stdout and "would copy" in result.stdout
    assert table(result.stdout)["runs"] == ["3", "0"]
    client = CairnClient()
    assert client.search_runs("0", None, "all").items == []
    assert [e.name for e in client.search_experiments("all").items] == ["Default"]


def test_only_named_experiments_and_an_unknown_name(project: Path, source: Path) -> None:
    bad = cairn("import-mlflow", str(source), "-e", "churn", "-e", "opps")
    assert bad.exit_code == 1
    assert "no experiment named 'opps'" in bad.stderr and "Did you mean 'ops'" in bad.stderr
    good = cairn("import-mlflow", str(source), "--experiment", "ops", "--json")
    assert good.exit_code == 0, good.output
    assert json.loads(good.stdout)["copied"]["runs"] == 1
    assert CairnClient().find_experiment_by_name("churn") is None


def test_tracking_uri_option_picks_the_target(project: Path, source: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "cairn.db"
    result = cairn("import-mlflow", str(source), "--tracking-uri", f"sqlite:///{target}", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["target"] == f"sqlite:///{target}"
    assert target.exists() and not cairn_store(project).exists()


@pytest.mark.parametrize(
    ("make_source", "message"),
    [
        (lambda tmp: str(tmp / "missing"), "does not exist"),
        (lambda tmp: f"sqlite:///{tmp}/missing.db", "does not exist"),
        (lambda tmp: "s3://bucket/mlruns", "give an MLflow tracking URI"),
        (lambda tmp: f"http://127.0.0.1:{free_port()}", "cannot reach the MLflow server"),
    ],
    ids=["missing-folder", "missing-database", "unsupported-scheme", "unreachable-server"],
)
def test_bad_sources_exit_1_and_create_nothing(
    project: Path, tmp_path: Path, make_source: Callable[[Path], str], message: str
) -> None:
    result = cairn("import-mlflow", make_source(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "Traceback" not in result.stderr
    assert not cairn_store(project).exists()
    assert not (tmp_path / "missing").exists() and not (tmp_path / "missing.db").exists()


def test_progress_bar_on_a_terminal(
    project: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = cairn("import-mlflow", str(source))
    assert result.exit_code == 0, result.output
    assert "importing" in result.stderr and "3/3" in result.stderr
    assert os.environ.get("MLFLOW_ALLOW_FILE_STORE") is None
