"""`cairn sweep` end to end: isolated copies, nested runs, ranking, bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from pipeline_helpers import ran_log

from cairn.tracking.client import CairnClient
from cli_support import cairn


def _sweep(*args: str) -> dict:
    result = cairn("sweep", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _untouched(root: Path) -> None:
    assert yaml.safe_load((root / "params.yaml").read_text()) == {"train": {"lr": 0.1, "depth": 3}}
    assert not (root / "model.txt").exists() and ran_log(root) == []
    assert list((root / ".cairn" / "sweeps").glob("*/*")) == []  # copies removed


def test_grid_sweep_ranks_combinations_under_a_sweep_run(three_stages: Path) -> None:
    sweep = _sweep("--set", "train.lr=0.3,0.1,0.2", "--optimize", "score.acc", "-j", "2")
    assert [t["params"]["train.lr"] for t in sweep["trials"]] == [0.1, 0.2, 0.3]
    assert [t["metric"] for t in sweep["trials"]] == pytest.approx([0.9, 0.8, 0.7])
    assert sweep["ok"] and all(t["status"] == "ok" for t in sweep["trials"])
    _untouched(three_stages)
    client = CairnClient()
    parent = client.get_run(sweep["run_id"])
    assert parent.data.tags["cairn.run.kind"] == "sweep"
    assert parent.info.status == "FINISHED"
    assert parent.data.params["sweep.train.lr"] == "0.3,0.1,0.2"
    assert parent.data.metrics["best.score.acc"] == pytest.approx(0.9)
    assert parent.data.tags["cairn.sweep.best_run_id"] == sweep["trials"][0]["run_id"]
    for trial in sweep["trials"]:
        child = client.get_run(trial["run_id"])
        assert child.data.tags["cairn.run.kind"] == "pipeline"
        assert child.data.tags["cairn.parentRunId"] == sweep["run_id"]


def test_table_output_sorted_ascending_with_min(three_stages: Path) -> None:
    result = cairn(
        "sweep", "--set", "train.lr=0.1,0.3", "--set", "train.depth=range(1,2)",
        "--optimize", "metrics.score.acc", "--direction", "min", "--experiment", "tuning",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line[:1].isdigit()]
    assert [row[1] for row in rows] == ["0.3", "0.1"]  # worst accuracy first
    assert {row[2] for row in rows} == {"1"} and all(len(row[-1]) == 32 for row in rows)
    experiment = CairnClient().get_experiment_by_name("tuning")
    runs = CairnClient().search_runs(experiment.experiment_id).items
    assert len([r for r in runs if r.data.tags.get("cairn.run.kind") == "sweep"]) == 1
    assert "sweep " in result.output and "train.depth" in result.output


def test_a_sweep_reuses_the_projects_data_and_keeps_copies(three_stages: Path) -> None:
    assert cairn("pipeline", "run").exit_code == 0
    before = ran_log(three_stages)
    sweep = _sweep("--set", "train.lr=0.1,0.5", "--optimize", "score.acc", "--keep")
    kept = Path(sweep["kept"])
    by_lr = {t["params"]["train.lr"]: t for t in sweep["trials"]}
    # 0.1 is what the workspace ran: nothing to run in its copy, metrics as they are.
    assert by_lr[0.1]["run_id"] is None and by_lr[0.1]["metric"] == pytest.approx(0.9)
    copy = kept / str(by_lr[0.5]["index"])
    assert ran_log(copy) == [*before, "train", "evaluate"]  # prepare's out came from the cache
    assert (copy / "data" / "prepared.txt").read_text() == "A\nB\nC\n"
    assert yaml.safe_load((copy / "params.yaml").read_text())["train"]["lr"] == 0.5
    assert ran_log(three_stages) == before
    assert (three_stages / "model.txt").read_text() == "0.1 3"


def test_random_and_optuna_sweeps(three_stages: Path) -> None:
    random = _sweep("--set", "train.lr=uniform(0.05,0.5)", "--random", "2", "--seed", "3",
                    "--optimize", "score.acc")  # fmt: skip
    assert len(random["trials"]) == 2
    assert all(0.05 <= t["params"]["train.lr"] <= 0.5 for t in random["trials"])
    pytest.importorskip("optuna")
    tuned = _sweep("--set", "train.lr=loguniform(0.01,0.5)", "--optuna", "--trials", "3",
                   "--seed", "0", "--optimize", "score.acc", "-j", "2")  # fmt: skip
    parent = CairnClient().get_run(tuned["run_id"])
    assert len(tuned["trials"]) == 3 and parent.data.tags["cairn.sweep.search"] == "optuna"
    metrics = [t["metric"] for t in tuned["trials"]]
    assert metrics == sorted(metrics, reverse=True)


def test_a_git_project_copies_only_what_git_sees(three_stages: Path) -> None:
    (three_stages / ".gitignore").write_text("junk/\n")
    (three_stages / "junk").mkdir()
    (three_stages / "junk" / "big.bin").write_bytes(b"x" * 1000)
    subprocess.run(["git", "init", "-q"], cwd=three_stages, check=True)
    sweep = _sweep("--set", "train.lr=0.2", "--keep")
    copy = Path(sweep["kept"]) / "0"
    assert (copy / "train.py").is_file() and not (copy / "junk").exists()
    assert sweep["trials"][0]["metrics"]["score.acc"] == pytest.approx(0.8)


def test_a_failing_combination_fails_the_sweep(three_stages: Path) -> None:
    (three_stages / "train.py").write_text(
        "import sys, yaml\nlr = yaml.safe_load(open('params.yaml'))['train']['lr']\n"
        "if lr > 0.2:\n    sys.exit(3)\nopen('model.txt', 'w').write(f'{lr} 3')\n"
    )
    result = cairn("sweep", "--set", "train.lr=0.1,0.3", "--optimize", "score.acc", "--json")
    assert result.exit_code == 1
    sweep = json.loads(result.output)
    assert [t["status"] for t in sweep["trials"]] == ["ok", "failed"]
    assert "train" in sweep["trials"][1]["error"]
    assert CairnClient().get_run(sweep["run_id"]).info.status == "FAILED"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "train.lrr=0.1"], "has no param 'train.lrr'"),
        (["--set", "train.depth=range(5,1)"], "is empty"),
        (["--set", "train.lr=uniform(0,1)"], "--random N or --optuna"),
        (["--set", "train.lr=0.1", "--optuna"], "needs a metric to optimize"),
        (["--set", "train.lr=0.1", "--random", "2", "--optuna", "--optimize", "x"], "pass one"),
        (["--set", "train.lr=0.1", "-j", "0"], "--jobs must be at least 1"),
        (["nosuch", "--set", "train.lr=0.1"], "nosuch"),
    ],
)
def test_bad_input_is_rejected_before_anything_runs(
    three_stages: Path, args: list[str], message: str
) -> None:
    result = cairn("sweep", *args)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert not (three_stages / ".cairn" / "sweeps").exists()
    assert CairnClient().search_runs("0").items == []


def test_an_optimize_metric_never_produced_is_an_error(three_stages: Path) -> None:
    result = cairn("sweep", "--set", "train.lr=0.1", "--optimize", "score.f1")
    assert result.exit_code == 1
    assert "no combination produced this metric" in result.output
    assert "score.acc" in result.output  # what was produced
    # Once the workspace holds the metrics, the same mistake is caught before running.
    assert cairn("pipeline", "run").exit_code == 0
    result = cairn("sweep", "--set", "train.lr=0.2", "--optimize", "score.f1")
    assert result.exit_code == 1 and "have no such metric" in result.output
