"""run_pipeline: incremental runs, targets, --force, parallel stages, failures and retries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pipeline_helpers import ran_log, statuses, write_project

from cairn.pipelines.lockfile import read_lock
from cairn.pipelines.outcome import RunReporter, StageOutcome
from cairn.pipelines.runner import run_pipeline

STAMP = (
    "import sys, time\nname = sys.argv[1]\n"
    "open(name + '.start', 'w').write(repr(time.time()))\ntime.sleep(float(sys.argv[2]))\n"
    "open(name + '.end', 'w').write(repr(time.time()))\n"
)
FLAKY = (
    "import pathlib, sys\ncounter = pathlib.Path('count.txt')\n"
    "n = int(counter.read_text()) + 1 if counter.exists() else 1\ncounter.write_text(str(n))\n"
    "if n < int(sys.argv[1]):\n    sys.exit(3)\npathlib.Path('done.txt').write_text('ok')\n"
)


def test_first_run_then_nothing(three_stages: Path) -> None:
    root = three_stages
    outcome = run_pipeline(root, track=False)
    assert outcome.ok and outcome.run_id is None
    assert statuses(outcome) == {"prepare": "ran", "train": "ran", "evaluate": "ran"}
    assert [s.reason for s in outcome.stages] == ["never ran"] * 3
    assert ran_log(root) == ["prepare", "train", "evaluate"]
    assert json.loads((root / "metrics.json").read_text())["score"]["acc"] == 0.9
    assert outcome.stages[2].metrics == {"score.acc": 0.9, "rows": 3.0}
    lock = read_lock(root)
    assert list(lock) == ["prepare", "train", "evaluate"]
    assert lock["train"].params == {"train.lr": 0.1}
    assert set(lock["train"].deps) == {"train.py", "data/prepared.txt"}
    assert lock["train"].outs["model.txt"].size == len((root / "model.txt").read_bytes())
    assert set(lock["evaluate"].metrics) == {"metrics.json"}
    # outs are in the data cache and ignored by git; metrics stay for git
    assert (root / ".cairn/cache").is_dir()
    assert "/model.txt" in (root / ".gitignore").read_text().split()
    assert "/metrics.json" not in (root / ".gitignore").read_text().split()
    assert "/prepared.txt" in (root / "data/.gitignore").read_text().split()

    again = run_pipeline(root, track=False)
    assert statuses(again) == {"prepare": "skipped", "train": "skipped", "evaluate": "skipped"}
    assert ran_log(root) == ["prepare", "train", "evaluate"]


def test_only_what_changed_runs_and_identical_outputs_stop_the_wave(three_stages: Path) -> None:
    root = three_stages
    run_pipeline(root, track=False)
    (root / "raw.txt").write_text("a\nb\nc\n")  # same bytes, new mtime: nothing runs
    assert statuses(run_pipeline(root, track=False))["prepare"] == "skipped"
    (root / "raw.txt").write_text("A\nB\nC\n")  # prepare's output stays the same
    outcome = run_pipeline(root, track=False)
    assert statuses(outcome) == {"prepare": "ran", "train": "skipped", "evaluate": "skipped"}


def test_targets_and_force(three_stages: Path) -> None:
    root = three_stages
    outcome = run_pipeline(root, ["train"], track=False)
    assert statuses(outcome) == {"prepare": "ran", "train": "ran"}
    assert not (root / "metrics.json").exists()
    outcome = run_pipeline(root, ["train"], force=True, track=False)
    assert statuses(outcome) == {"prepare": "skipped", "train": "ran"}
    assert outcome.stages[1].reason == "forced"
    outcome = run_pipeline(root, force=True, track=False)
    assert set(statuses(outcome).values()) == {"ran"}


def test_dry_run_changes_nothing(three_stages: Path) -> None:
    root = three_stages
    outcome = run_pipeline(root, dry_run=True, track=False)
    assert statuses(outcome) == {
        "prepare": "would-run",
        "train": "would-run",
        "evaluate": "would-run",
    }
    assert outcome.stages[1].reason == "never ran; upstream stage prepare will run"
    assert not (root / "cairn.lock").exists() and ran_log(root) == []


def test_params_override_is_not_written(three_stages: Path) -> None:
    root = three_stages
    run_pipeline(root, params_override={"train.lr": 0.25}, track=False)
    assert (root / "model.txt").read_text().startswith("0.1")  # the script reads params.yaml
    assert read_lock(root)["train"].params == {"train.lr": 0.25}
    assert "lr: 0.1" in (root / "params.yaml").read_text()


def test_independent_stages_overlap_with_jobs(pipeline_project: Path) -> None:
    root = pipeline_project
    write_project(root, {
        "a": {"cmd": "python stamp.py a 1.0", "deps": ["stamp.py"], "outs": ["a.end"]},
        "b": {"cmd": "python stamp.py b 1.0", "deps": ["stamp.py"], "outs": ["b.end"]},
    }, files={"stamp.py": STAMP})  # fmt: skip
    assert run_pipeline(root, jobs=2, track=False).ok
    a0, a1, b0, b1 = (
        float((root / f).read_text()) for f in ("a.start", "a.end", "b.start", "b.end")
    )
    assert a0 < b1 and b0 < a1  # the two ran at the same time


def test_one_job_runs_one_at_a_time(pipeline_project: Path) -> None:
    root = pipeline_project
    write_project(root, {
        "a": {"cmd": "python stamp.py a 0.2", "deps": ["stamp.py"], "outs": ["a.end"]},
        "b": {"cmd": "python stamp.py b 0.2", "deps": ["stamp.py"], "outs": ["b.end"]},
    }, files={"stamp.py": STAMP})  # fmt: skip
    assert run_pipeline(root, jobs=1, track=False).ok
    a0, a1, b0, b1 = (
        float((root / f).read_text()) for f in ("a.start", "a.end", "b.start", "b.end")
    )
    assert a1 <= b0 or b1 <= a0


DIAMOND = {
    "bad": {"cmd": "echo boom >&2; exit 2", "outs": ["bad.txt"]},
    "after_bad": {"cmd": "cp bad.txt after.txt", "deps": ["bad.txt"], "outs": ["after.txt"]},
    "slow": {"cmd": "sleep 0.3; echo ok > slow.txt", "outs": ["slow.txt"]},
    "other": {"cmd": "echo ok > other.txt", "outs": ["other.txt"]},
}


def test_a_failure_stops_new_stages(pipeline_project: Path) -> None:
    root = pipeline_project
    write_project(root, DIAMOND)
    outcome = run_pipeline(root, jobs=2, track=False)
    assert not outcome.ok
    found = {s.name: s for s in outcome.stages}
    assert found["bad"].status == "failed"
    assert found["bad"].reason == "command failed with exit code 2"
    assert "boom" in (found["bad"].log_dir / "stderr.txt").read_text()
    assert found["after_bad"].status == "blocked"
    assert found["after_bad"].reason == "upstream stage bad failed"
    assert found["slow"].status == "ran"  # it was running already: it finishes
    assert found["other"].status == "blocked"
    assert "--keep-going" in found["other"].reason
    assert set(read_lock(root)) == {"slow"}


def test_keep_going_runs_independent_branches(pipeline_project: Path) -> None:
    write_project(pipeline_project, DIAMOND)
    outcome = run_pipeline(pipeline_project, jobs=2, keep_going=True, track=False)
    assert statuses(outcome) == {
        "bad": "failed", "after_bad": "blocked", "slow": "ran", "other": "ran",
    }  # fmt: skip
    assert not outcome.ok


def test_retries_until_success(pipeline_project: Path) -> None:
    write_project(pipeline_project, {
        "flaky": {"cmd": "python flaky.py 3", "outs": ["done.txt"], "retries": 2},
    }, files={"flaky.py": FLAKY})  # fmt: skip
    events: list[str] = []

    class Recorder(RunReporter):
        def retrying(self, name: str, attempt: int, delay: float) -> None:
            events.append(f"{name} {attempt} {delay}")

    outcome = run_pipeline(pipeline_project, track=False, reporter=Recorder())
    assert statuses(outcome) == {"flaky": "ran"}
    assert outcome.stages[0].attempts == 3
    assert events == ["flaky 2 0.01", "flaky 3 0.02"]  # backoff doubles
    assert (pipeline_project / "count.txt").read_text() == "3"


def test_retries_run_out(pipeline_project: Path) -> None:
    write_project(pipeline_project, {
        "flaky": {"cmd": "python flaky.py 5", "outs": ["done.txt"], "retries": 1},
    }, files={"flaky.py": FLAKY})  # fmt: skip
    outcome = run_pipeline(pipeline_project, track=False)
    assert outcome.stages[0].status == "failed"
    assert outcome.stages[0].reason == "command failed with exit code 3 (after 2 attempts)"
    assert not (pipeline_project / "cairn.lock").exists()


def test_outs_are_removed_before_a_stage_runs(pipeline_project: Path) -> None:
    root = pipeline_project
    write_project(root, {"s": {"cmd": "test ! -e out/old && mkdir -p out && echo new > out/new",
                               "outs": ["out"]}})  # fmt: skip
    (root / "out").mkdir()
    (root / "out" / "old").write_text("stale")
    assert run_pipeline(root, track=False).ok
    assert sorted(p.name for p in (root / "out").iterdir()) == ["new"]
    assert read_lock(root)["s"].outs["out"].kind == "dir"


def test_a_stage_that_does_not_write_its_out_fails(pipeline_project: Path) -> None:
    write_project(pipeline_project, {"s": {"cmd": "true", "outs": ["never.txt"]}})
    outcome = run_pipeline(pipeline_project, track=False)
    assert outcome.stages[0].status == "failed"
    assert outcome.stages[0].reason == "stage s succeeded but did not write its out never.txt"
    assert not (pipeline_project / "cairn.lock").exists()


def test_reporter_hears_every_stage(three_stages: Path) -> None:
    heard: list[str] = []

    class Listener(RunReporter):
        def started(self, name: str, reason: str, attempt: int) -> None:
            heard.append(f"start {name}")

        def finished(self, outcome: StageOutcome) -> None:
            heard.append(f"{outcome.status} {outcome.name}")

    run_pipeline(three_stages, track=False, reporter=Listener())
    assert heard == [
        "start prepare", "ran prepare", "start train", "ran train", "start evaluate",
        "ran evaluate",
    ]  # fmt: skip


def test_bad_jobs_and_executor(three_stages: Path) -> None:
    from cairn.errors import InvalidInput

    with pytest.raises(InvalidInput, match="--jobs must be at least 1"):
        run_pipeline(three_stages, jobs=0, track=False)
    with pytest.raises(InvalidInput, match="unknown executor 'ssh://x'"):
        run_pipeline(three_stages, executor="ssh://x", track=False)
    assert ran_log(three_stages) == []
