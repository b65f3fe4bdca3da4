"""`cairn pipeline run` and `status` driven as a user would, with tracking on, and the
pipeline's outs living as versioned data (`cairn data status/push/pull/gc`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from pipeline_helpers import ran_log

from cairn.tracking.client import CairnClient
from cli_support import cairn


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def set_lr(root: Path, old: str, new: str) -> None:
    params = root / "params.yaml"
    params.write_text(params.read_text().replace(f"lr: {old}", f"lr: {new}"))


def test_run_change_a_param_rerun_revert(three_stages: Path) -> None:
    root = three_stages
    result = cairn("pipeline", "run")
    assert result.exit_code == 0, result.output
    assert "ran      prepare" in result.output and "ran      evaluate" in result.output
    assert "3 stages: 3 ran (run " in result.stderr
    assert ran_log(root) == ["prepare", "train", "evaluate"]

    result = cairn("pipeline", "status")
    assert result.exit_code == 0 and result.stdout == "Pipeline is up to date.\n"

    set_lr(root, "0.1", "0.01")
    result = cairn("pipeline", "status")
    assert result.stdout == (
        "train:\n    param train.lr changed 0.1 -> 0.01\n"
        "evaluate:\n    upstream stage train will run\n"
    )
    listed = json.loads(cairn("pipeline", "status", "--json").output)
    assert [(s["name"], s["stale"]) for s in listed] == [
        ("prepare", False), ("train", True), ("evaluate", True),
    ]  # fmt: skip

    dry = cairn("pipeline", "run", "--dry-run")
    assert "would-run train  param train.lr changed 0.1 -> 0.01" in dry.output
    assert ran_log(root) == ["prepare", "train", "evaluate"]

    result = cairn("pipeline", "run", "--json")
    outcome = json.loads(result.output)
    assert [(s["name"], s["status"]) for s in outcome["stages"]] == [
        ("prepare", "skipped"), ("train", "ran"), ("evaluate", "ran"),
    ]  # fmt: skip
    assert outcome["stages"][2]["metrics"] == {"score.acc": 0.99, "rows": 3.0}
    assert ran_log(root)[3:] == ["train", "evaluate"]

    set_lr(root, "0.01", "0.1")
    result = cairn("pipeline", "run", "--json")
    outcome = json.loads(result.output)
    assert [s["status"] for s in outcome["stages"]] == ["skipped", "cached", "cached"]
    assert len(ran_log(root)) == 5  # nothing ran
    assert json.loads((root / "metrics.json").read_text())["score"]["acc"] == 0.9

    # Every run that did something is a pipeline run with a nested run per stage.
    client = CairnClient()
    pipelines = client.search_runs("0", "tags.`cairn.run.kind` = 'pipeline'").items
    assert len(pipelines) == 3
    latest = next(r for r in pipelines if r.info.run_id == outcome["run_id"])
    stages = client.search_runs("0", "tags.`cairn.run.kind` = 'stage'").items
    mine = [r for r in stages if r.data.tags.get("cairn.parentRunId") == latest.info.run_id]
    assert sorted(r.data.tags["cairn.stage.status"] for r in mine) == [
        "cached",
        "cached",
        "skipped",
    ]

    # A no-op re-run records nothing and says so.
    result = cairn("pipeline", "run")
    assert "3 stages: 3 skipped\n" in result.stderr
    assert len(client.search_runs("0", "tags.`cairn.run.kind` = 'pipeline'").items) == 3


def test_failing_stage_exit_code_and_log_tail(pipeline_project: Path) -> None:
    (pipeline_project / "cairn.yaml").write_text(
        "stages:\n  bad:\n    cmd: echo first; echo 'it broke' >&2; exit 5\n"
        "  good:\n    cmd: echo ok > good.txt\n    outs: [good.txt]\n"
    )
    result = cairn("pipeline", "run", "--keep-going", "--no-track")
    assert result.exit_code == 1
    assert "failed   bad" in result.output and "command failed with exit code 5" in result.output
    assert "it broke" in result.stderr
    assert "ran      good" in result.output
    assert "2 stages: 1 failed, 1 ran" in result.stderr


def test_pipeline_outs_are_versioned_data(three_stages: Path, tmp_path_factory) -> None:
    root = three_stages
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.invalid")
    git(root, "config", "user.name", "t")
    assert cairn("pipeline", "run", "--no-track").exit_code == 0
    status = json.loads(cairn("data", "status", "--json").output)
    assert status["clean"] is True
    paths = sorted(entry["path"] for entry in status["datasets"])
    assert paths == ["data/prepared.txt", "model.txt"]
    assert {entry["pointer"] for entry in status["datasets"]} == {"cairn.lock"}

    # `cairn data commit` leaves pipeline outs to the pipeline: no pointer files appear
    assert "no data is tracked here yet" in cairn("data", "commit").stderr
    assert not list(root.rglob("*.txt.cairn"))

    # the outs are ignored by git; cairn.lock is what gets committed
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "pipeline")
    tracked = subprocess.run(
        ["git", "-C", str(root), "ls-files"], capture_output=True, text=True
    ).stdout
    assert "cairn.lock" in tracked and "model.txt" not in tracked.split()

    (root / "model.txt").write_text("changed")
    status = json.loads(cairn("data", "status", "--json").output)
    assert status["clean"] is False
    assert cairn("data", "checkout", "model.txt", "--force").exit_code == 0
    assert (root / "model.txt").read_text().startswith("0.1 ")

    remote = tmp_path_factory.mktemp("remote")
    assert cairn("data", "remote", "add", "store", str(remote), "--default").exit_code == 0
    assert cairn("data", "push").exit_code == 0
    model = (root / "model.txt").read_text()
    (root / "model.txt").unlink()
    shutil.rmtree(root / "data")
    shutil.rmtree(root / ".cairn" / "cache")
    result = cairn("data", "pull")
    assert result.exit_code == 0, result.output
    assert (root / "model.txt").read_text() == model
    assert (root / "data" / "prepared.txt").read_text() == "A\nB\nC\n"
    assert cairn("pipeline", "status").stdout == "Pipeline is up to date.\n"

    # gc keeps what cairn.lock records, now and in the git history
    set_lr(root, "0.1", "0.3")
    assert cairn("pipeline", "run", "--no-track").exit_code == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "lr 0.3")
    assert cairn("data", "gc", "--all-commits").exit_code == 0
    set_lr(root, "0.3", "0.1")
    result = cairn("pipeline", "run", "--no-track", "--json")
    assert [s["status"] for s in json.loads(result.output)["stages"]] == [
        "skipped",
        "cached",
        "cached",
    ]
    assert (root / "model.txt").read_text() == model


STEPS = """
import json
from pathlib import Path

import cairn


@cairn.stage(deps=["raw.txt"], outs=["clean.txt"], params=["prepare.upper"])
def prepare(params):
    text = Path("raw.txt").read_text()
    Path("clean.txt").write_text(text.upper() if params["prepare.upper"] else text)


@cairn.stage(deps=["clean.txt"], metrics=["metrics.json"])
def evaluate():
    Path("metrics.json").write_text(json.dumps({"chars": len(Path("clean.txt").read_text())}))
"""


def test_python_form_runs_and_code_changes_make_stages_stale(pipeline_project: Path) -> None:
    root = pipeline_project
    (root / "steps.py").write_text(STEPS)
    (root / "raw.txt").write_text("abc\n")
    (root / "params.yaml").write_text("prepare:\n  upper: true\n")
    result = cairn("pipeline", "run", "-m", "steps", "--no-track", "--json")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert [(s["name"], s["status"]) for s in outcome["stages"]] == [
        ("prepare", "ran"), ("evaluate", "ran"),
    ]  # fmt: skip
    assert (root / "clean.txt").read_text() == "ABC\n"
    assert outcome["stages"][1]["metrics"] == {"chars": 4.0}
    assert cairn("pipeline", "status", "-m", "steps").stdout == "Pipeline is up to date.\n"

    (root / "steps.py").write_text(STEPS.replace("len(Path", "2 * len(Path"))
    assert cairn("pipeline", "status", "-m", "steps").stdout == (
        "prepare:\n    code changed (steps.py)\n"
        "evaluate:\n    upstream stage prepare will run\n    code changed (steps.py)\n"
    )
    cairn("pipeline", "run", "-m", "steps", "--no-track")
    assert json.loads((root / "metrics.json").read_text()) == {"chars": 8}


def test_live_view_draws_each_stage(tmp_path: Path, monkeypatch, capsys) -> None:
    from cairn.cli.pipeline_view import LiveReporter
    from cairn.pipelines.outcome import StageOutcome

    (tmp_path / "stderr.txt").write_text("line 1\nTraceback: boom\n")
    view = LiveReporter()
    view.planned(["prepare", "train"])
    view.started("prepare", "never ran", 1)
    view.finished(StageOutcome("prepare", "ran", "never ran", duration=1.5))
    view.started("train", "never ran", 1)
    view.retrying("train", 2, 0.5)
    view.finished(StageOutcome("train", "failed", "exit code 1", duration=0.2, log_dir=tmp_path))
    view.close()
    captured = capsys.readouterr()
    assert "prepare" in captured.out and "ran" in captured.out and "1.5 s" in captured.out
    assert "failed" in captured.out
    assert "Traceback: boom" in captured.err
