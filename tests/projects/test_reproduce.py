"""``cairn reproduce``: real git repositories, real data versioning, real training scripts run as
subprocesses into a real SQLite store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cairn.cli import cli
from cairn.data.workspace import Workspace
from cairn.tracking.client import CairnClient

TRAIN = """\
import sys

import numpy as np

import cairn
import cairn.data

seed = int(sys.argv[1])
data_path = sys.argv[2] if len(sys.argv) > 2 else "data/train.csv"
with cairn.start_run():
    cairn.log_param("seed", seed)
    SEEDING
    data = np.loadtxt(data_path, delimiter=",")
    cairn.log_input(cairn.data.dataset(data_path), context="training")
    noise = np.random.normal(size=data.shape)
    cairn.log_metric("loss", float(((data + noise) ** 2).mean()))
    cairn.log_metric("rows", float(data.shape[0]))
"""


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _cairn(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _commit(root: Path, message: str) -> str:
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", message)
    return _git(root, "rev-parse", "HEAD").strip()


def _train(root: Path, *args: str, script: str = "train.py") -> str:
    """Run the training script as a plain tracked script; the id of the run it made."""
    before = {r.info.run_id for r in _client(root).search_runs(["0"])}
    env = {**os.environ, "CAIRN_TRACKING_URI": _uri(root)}
    done = subprocess.run([sys.executable, script, *args], cwd=root, env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run_id,) = {r.info.run_id for r in _client(root).search_runs(["0"])} - before
    return run_id


def _uri(root: Path) -> str:
    return f"sqlite:///{root / '.cairn' / 'cairn.db'}"


def _client(root: Path) -> CairnClient:
    return CairnClient(_uri(root))


def _reproduce(*args: str) -> tuple[Result, dict]:
    result = _cairn("reproduce", *args, "--json")
    report = json.loads(result.stdout) if result.exit_code != 2 else {}
    return result, report


@pytest.fixture
def train_repo(cairn_project: Path) -> Path:
    """A git repository with a seeded train.py and a pointer-tracked data/train.csv."""
    root = cairn_project
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "test@example.invalid")
    _git(root, "config", "user.name", "test")
    _git(root, "config", "commit.gpgsign", "false")
    (root / "train.py").write_text(TRAIN.replace("SEEDING", "cairn.seed_everything(seed)"))
    (root / "train_noseed.py").write_text(TRAIN.replace("SEEDING", "pass"))
    (root / "data").mkdir()
    (root / "data" / "train.csv").write_text("\n".join(f"{i},{i % 3}" for i in range(40)))
    assert _cairn("data", "add", "data/train.csv").exit_code == 0
    _commit(root, "train")
    return root


def _metrics(report: dict) -> dict[str, dict]:
    return {m["key"]: m for m in report["metrics"]}


def test_seeded_script_run_reproduces(train_repo: Path) -> None:
    run_id = _train(train_repo, "7")
    result, report = _reproduce(run_id)
    assert result.exit_code == 0, result.output
    assert report["passed"] and report["kind"] == "script" and report["exit_code"] == 0
    loss = _metrics(report)["loss"]
    assert loss["original"] == loss["reproduced"] and loss["within_tolerance"]
    assert report["seeds"] == [
        {"name": "numpy", "original": "7", "reproduced": "7", "same": True},
        {"name": "python", "original": "7", "reproduced": "7", "same": True},
    ]
    (dataset,) = report["datasets"]
    assert dataset["path"] == "data/train.csv" and dataset["same"]
    assert report["data_restored"] == {"data/train.csv": report["data_restored"]["data/train.csv"]}
    new = _client(train_repo).get_run(report["reproduction_run_id"])
    assert new.data.tags["cairn.reproduction.of"] == run_id
    assert new.data.tags["cairn.source.git.commit"] == report["commit"]
    assert new.data.params == {"seed": "7"}
    assert "cairn-reproduce" not in _git(train_repo, "worktree", "list")  # removed again


def test_table_form_shows_every_metric(train_repo: Path) -> None:
    run_id = _train(train_repo, "3")
    result = _cairn("reproduce", run_id)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "loss" in out and "rows" in out and "within tolerance" in out
    assert "same data" in out and out.rstrip().endswith("reproduced")


def test_dirty_run_is_reproduced_with_its_diff(train_repo: Path) -> None:
    script = train_repo / "train.py"
    extra = '    cairn.log_metric("extra", 41.5)\n    cairn.log_metric("rows"'
    script.write_text(script.read_text().replace('    cairn.log_metric("rows"', extra))
    run_id = _train(train_repo, "5")
    _git(train_repo, "checkout", "--", "train.py")  # the change now lives only in the run's diff
    result, report = _reproduce(run_id)
    assert result.exit_code == 0, result.output
    assert report["dirty"] is True
    assert _metrics(report)["extra"]["reproduced"] == 41.5


def test_changed_outside_data_is_named(
    train_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "extra.csv"
    outside.write_text("\n".join(f"{i},1" for i in range(10)))
    run_id = _train(train_repo, "7", str(outside))
    outside.write_text("\n".join(f"{i},2" for i in range(10)))
    result, report = _reproduce(run_id)
    assert result.exit_code == 1
    (dataset,) = report["datasets"]
    assert dataset["path"] == str(outside) and not dataset["same"]
    assert dataset["message"].startswith("data differ: original ")
    assert any("data differ" in p for p in report["problems"])
    table = _cairn("reproduce", run_id)
    assert table.exit_code == 1 and "data differ: original" in table.stdout


def test_unseeded_randomness_differs(train_repo: Path) -> None:
    run_id = _train(train_repo, "7", script="train_noseed.py")
    result, report = _reproduce(run_id)
    assert result.exit_code == 1
    loss = _metrics(report)["loss"]
    assert not loss["within_tolerance"] and loss["difference"] != 0
    assert _metrics(report)["rows"]["within_tolerance"]  # deterministic ones still agree
    assert report["seeds"] == []
    # a tolerance wide enough accepts it
    assert _cairn("reproduce", run_id, "--tolerance", "1000").exit_code == 0


def test_unknown_run_is_bad_input(train_repo: Path) -> None:
    result = _cairn("reproduce", "0" * 32)
    assert result.exit_code == 2
    assert "0" * 32 in result.stderr


def test_missing_commit_is_bad_input(train_repo: Path) -> None:
    client = _client(train_repo)
    fake = "1234567890" * 4
    run = client.create_run(
        "0", tags={"cairn.source.git.commit": fake, "cairn.source.command": "python train.py 1"}
    )
    result = _cairn("reproduce", run.info.run_id)
    assert result.exit_code == 2
    assert fake in result.stderr and "garbage-collected" in result.stderr
    assert "git fetch" in result.stderr


def test_run_without_commit_is_bad_input(train_repo: Path) -> None:
    run = _client(train_repo).create_run("0", tags={"cairn.source.command": "python x.py"})
    result = _cairn("reproduce", run.info.run_id)
    assert result.exit_code == 2 and "no git commit" in result.stderr


def test_data_in_no_cache_or_remote_is_bad_input(train_repo: Path) -> None:
    run_id = _train(train_repo, "7")
    runs_before = len(_client(train_repo).search_runs(["0"]))
    ws = Workspace(train_repo)
    oid = ws.read_pointer(train_repo / "data" / "train.csv.cairn").oid
    os.remove(ws.cache.path_of(oid))
    ws.close()
    result = _cairn("reproduce", run_id)
    assert result.exit_code == 2
    assert "data/train.csv" in result.stderr and oid in result.stderr
    assert "no data remote" in result.stderr
    assert len(_client(train_repo).search_runs(["0"])) == runs_before  # nothing was run
    assert "cairn-reproduce" not in _git(train_repo, "worktree", "list")


def test_data_missing_from_cache_is_fetched_from_the_remote(
    train_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    remote = tmp_path_factory.mktemp("remote")
    assert _cairn("data", "remote", "add", "store", str(remote), "--default").exit_code == 0
    assert _cairn("data", "push").exit_code == 0
    _commit(train_repo, "remote")
    run_id = _train(train_repo, "11")
    ws = Workspace(train_repo)
    oid = ws.read_pointer(train_repo / "data" / "train.csv.cairn").oid
    os.remove(ws.cache.path_of(oid))
    ws.close()
    result, report = _reproduce(run_id)
    assert result.exit_code == 0, result.output
    assert report["passed"]
    assert Workspace(train_repo).cache.has(oid)  # back in the project's cache


def test_bad_tolerance_is_bad_input(train_repo: Path) -> None:
    run_id = _train(train_repo, "1")
    result = _cairn("reproduce", run_id, "--tolerance", "-1")
    assert result.exit_code == 2 and "tolerance" in result.stderr


def test_keep_worktree(train_repo: Path) -> None:
    run_id = _train(train_repo, "2")
    result, report = _reproduce(run_id, "--keep-worktree")
    assert result.exit_code == 0, result.output
    kept = Path(report["worktree"])
    try:
        assert (kept / "train.py").is_file() and (kept / "data" / "train.csv").is_file()
    finally:
        _git(train_repo, "worktree", "remove", "--force", str(kept))
        kept.parent.rmdir()  # the temporary folder cairn made for it


def test_project_run_reproduces(train_repo: Path) -> None:
    (train_repo / "cairn-project.yaml").write_text(
        "name: demo\n"
        "entry_points:\n"
        "  main:\n"
        "    parameters:\n"
        "      seed: {type: int, default: 1}\n"
        f"    command: {sys.executable} train.py {{seed}}\n"
    )
    _commit(train_repo, "project")
    from cairn.projects import run

    done = run(train_repo, "main", {"seed": 9}, tracking_uri=_uri(train_repo), stream_output=False)
    assert done.exit_code == 0
    result, report = _reproduce(done.run_id)
    assert result.exit_code == 0, result.output
    assert report["kind"] == "project" and report["passed"]
    new = _client(train_repo).get_run(report["reproduction_run_id"])
    assert new.data.tags["cairn.project.entry_point"] == "main"
    assert new.data.tags["cairn.reproduction.of"] == done.run_id
    assert new.data.params["seed"] == "9"
    assert _metrics(report)["loss"]["within_tolerance"]
    assert [s["reproduced"] for s in report["seeds"]] == ["9", "9"]


def test_pipeline_stage_run_reproduces(train_repo: Path) -> None:
    (train_repo / "cairn.yaml").write_text(
        "stages:\n"
        "  train:\n"
        f"    cmd: {sys.executable} train.py 4\n"
        "    deps: [train.py, data/train.csv]\n"
    )
    _commit(train_repo, "pipeline")
    assert _cairn("pipeline", "run").exit_code == 0
    query = "tags.`cairn.run.kind` = 'stage'"
    (stage,) = _client(train_repo).search_runs("0", query).items
    result, report = _reproduce(stage.info.run_id)
    assert result.exit_code == 0, result.output
    assert report["kind"] == "stage" and report["passed"]
    assert _metrics(report)["loss"]["within_tolerance"]
    assert {d["path"] for d in report["datasets"] if d["same"]} >= {"data/train.csv", "train.py"}


def test_tampered_diff_is_refused_and_the_worktree_removed(train_repo: Path) -> None:
    script = train_repo / "train.py"
    script.write_text(script.read_text() + "# changed\n")
    run_id = _train(train_repo, "5")
    (diff,) = (train_repo / ".cairn").rglob("source/uncommitted.diff")
    assert run_id in str(diff)
    diff.write_bytes(diff.read_bytes().replace(b"# changed", b"# edited!"))
    result = _cairn("reproduce", run_id)
    assert result.exit_code == 2
    assert "does not match its hash" in result.stderr
    assert "cairn-reproduce" not in _git(train_repo, "worktree", "list")


def test_the_quickstart_sweep_reproduces_run_by_run(train_repo: Path) -> None:
    """A script that makes many runs (a sweep with nested folds): each reproduces to its own
    counterpart of the re-run, not to whichever run the re-run made first."""
    quickstart = Path(__file__).parents[2] / "examples" / "quickstart.py"
    (train_repo / "quickstart.py").write_text(quickstart.read_text())
    _commit(train_repo, "quickstart")
    env = {**os.environ, "CAIRN_TRACKING_URI": _uri(train_repo)}
    done = subprocess.run([sys.executable, "quickstart.py"], cwd=train_repo, env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    client = _client(train_repo)
    (experiment,) = [e for e in client.search_experiments() if e.name == "quickstart"]
    runs = {r.info.run_name: r for r in client.search_runs(experiment.experiment_id)}
    assert len(runs) == 12  # three learning rates, each with three folds

    for name in ("lr-0.1", "lr-0.5-fold-1"):
        original = runs[name]
        result, report = _reproduce(original.info.run_id)
        assert result.exit_code == 0, result.output
        assert report["passed"], report
        assert any("made 12 runs" in note for note in report["notes"])
        new = client.get_run(report["reproduction_run_id"])
        assert new.info.run_name == name
        assert new.data.tags["cairn.reproduction.of"] == original.info.run_id
        assert new.data.params == original.data.params
        assert new.data.metrics == original.data.metrics
    tagged = client.search_runs(experiment.experiment_id, "tags.`cairn.reproduction.of` != ''")
    assert len(tagged) == 2  # only the counterparts, not every run of the re-runs


def test_a_rerun_that_makes_no_run_is_bad_input(train_repo: Path) -> None:
    (train_repo / "maybe.py").write_text(
        "import os\nimport cairn\n"
        "if os.environ.get('MAKE_RUN'):\n"
        "    with cairn.start_run():\n"
        "        cairn.log_metric('m', 1.0)\n"
    )
    _commit(train_repo, "maybe")
    os.environ["MAKE_RUN"] = "1"
    try:
        run_id = _train(train_repo, script="maybe.py")
    finally:
        del os.environ["MAKE_RUN"]
    result = _cairn("reproduce", run_id)
    assert result.exit_code == 2
    assert "made no run" in result.stderr and run_id in result.stderr
    assert "cairn-reproduce" not in _git(train_repo, "worktree", "list")
