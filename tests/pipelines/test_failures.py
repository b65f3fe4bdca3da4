"""Failures users meet: an invalid pipeline is refused before anything runs, and a run that
is killed or interrupted never leaves outputs recorded as current."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from pipeline_helpers import alive, kill_group_of, wait_for, write_project

from cairn.pipelines.lockfile import read_lock
from cairn.pipelines.status import pipeline_status
from cli_support import CAIRN, cairn

TOUCH = {"cmd": "touch ran.txt", "outs": ["ran.txt"]}


@pytest.mark.parametrize(
    ("stages", "params", "message"),
    [
        (
            {"a": {"cmd": "cp b.txt a.txt", "deps": ["b.txt"], "outs": ["a.txt"]},
             "b": {"cmd": "cp a.txt b.txt", "deps": ["a.txt"], "outs": ["b.txt"]}},
            None, "cycle",
        ),
        (
            {"first": {"cmd": "echo 1 > x.txt", "outs": ["x.txt"]},
             "second": {"cmd": "echo 2 > x.txt", "outs": ["x.txt"]}},
            None, "x.txt",
        ),
        ({"use": {"cmd": "cat nowhere.csv", "deps": ["nowhere.csv"]}}, None, "nowhere.csv"),
        ({"fit": {"cmd": "true", "params": ["train.lr"]}}, {"train": {"depth": 2}}, "train.lr"),
    ],
    ids=["cycle", "duplicate-outs", "missing-dep", "undefined-param"],
)  # fmt: skip
def test_invalid_pipelines_are_refused_before_anything_runs(
    pipeline_project: Path, stages: dict, params: dict | None, message: str
) -> None:
    write_project(pipeline_project, {"touch": TOUCH, **stages}, params=params)
    for args in (["pipeline", "run"], ["pipeline", "status"], ["pipeline", "run", "--dry-run"]):
        result = cairn(*args)
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert not (pipeline_project / "ran.txt").exists()
    assert not (pipeline_project / "cairn.lock").exists()


def test_unknown_stage_and_bad_options(pipeline_project: Path) -> None:
    write_project(pipeline_project, {"touch": TOUCH})
    result = cairn("pipeline", "run", "tuoch")
    assert result.exit_code == 1 and "no stage 'tuoch'" in result.stderr
    assert "touch" in result.stderr  # names the known stages
    result = cairn("pipeline", "run", "--jobs", "0")
    assert result.exit_code == 1 and "--jobs must be at least 1" in result.stderr
    result = cairn("pipeline", "run", "--executor", "yarn")
    assert result.exit_code == 1 and "unknown executor 'yarn'" in result.stderr
    assert not (pipeline_project / "ran.txt").exists()


def test_no_pipeline_file(pipeline_project: Path) -> None:
    result = cairn("pipeline", "status")
    assert result.exit_code == 1 and "cairn.yaml" in result.stderr


# A stage that writes half its output, says where it is, then hangs.
HALF = (
    "import os, sys, time, yaml\nv = yaml.safe_load(open('params.yaml'))['v']\n"
    "out = open('out.txt', 'w')\nout.write(f'{v} part one')\nout.flush()\n"
    "if v == 2:\n    open('stage.pid', 'w').write(str(os.getpid()))\n    time.sleep(60)\n"
    "out.write(' part two')\n"
)


def test_killed_run_does_not_record_the_half_written_out(pipeline_project: Path) -> None:
    root = pipeline_project
    write_project(root, {"write": {"cmd": "python half.py", "deps": ["half.py"], "params": ["v"],
                                   "outs": ["out.txt"]}},
                  params={"v": 1}, files={"half.py": HALF})  # fmt: skip
    subprocess.run(
        [CAIRN, "pipeline", "run", "--no-track"], cwd=root, check=True, capture_output=True
    )
    complete = read_lock(root)["write"].outs["out.txt"]
    (root / "params.yaml").write_text("v: 2\n")
    proc = subprocess.Popen([CAIRN, "pipeline", "run", "--no-track"], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for(root / "stage.pid")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        kill_group_of(root / "stage.pid")  # the stage's own session outlives a SIGKILLed cairn
    assert (root / "out.txt").read_text() == "2 part one"
    assert read_lock(root)["write"].outs["out.txt"] == complete
    (status,) = pipeline_status(root)
    assert status.reasons == ["param v changed 1 -> 2", "out out.txt was modified"]


def test_sigterm_kills_running_stages_and_leaves_the_lock(pipeline_project: Path) -> None:
    root = pipeline_project
    tree = "echo $$ > shell.pid; sleep 60 & echo $! > grandchild.pid; sleep 60"
    write_project(root, {
        "quick": {"cmd": "echo ok > quick.txt", "outs": ["quick.txt"]},
        "hang": {"cmd": tree, "deps": ["quick.txt"], "outs": ["never.txt"]},
    })  # fmt: skip
    proc = subprocess.Popen([CAIRN, "pipeline", "run", "--no-track"], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_for(root / "grandchild.pid")
        time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        kill_group_of(root / "shell.pid")
    assert proc.returncode == 1, err
    assert "failed   hang" in out and "interrupted" in out
    grandchild = int((root / "grandchild.pid").read_text())
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild)
    assert set(read_lock(root)) == {"quick"}
