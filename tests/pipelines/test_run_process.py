"""The local executor's processes: the environment a command sees, timeouts that kill the
whole process tree, and closing while stages run."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from pipeline_helpers import alive, wait_for, write_project

from cairn.pipelines.executor import StageTask
from cairn.pipelines.local import LocalExecutor
from cairn.pipelines.lockfile import read_lock
from cairn.pipelines.model import Stage
from cairn.pipelines.runner import run_pipeline

# The shell starts a grandchild `sleep 60` in the background and waits on its own sleep.
TREE = "echo $$ > shell.pid; sleep 60 & echo $! > grandchild.pid; sleep 60"


def test_timeout_kills_the_whole_tree(pipeline_project: Path) -> None:
    root = pipeline_project
    write_project(root, {"hang": {"cmd": TREE, "outs": ["never.txt"], "timeout": 1}})
    started = time.monotonic()
    outcome = run_pipeline(root, track=False)
    assert time.monotonic() - started < 10
    stage = outcome.stages[0]
    assert stage.status == "failed"
    assert stage.reason == "timed out after 1 s (its processes were killed)"
    shell, grandchild = (int((root / f).read_text()) for f in ("shell.pid", "grandchild.pid"))
    deadline = time.monotonic() + 5
    while (alive(shell) or alive(grandchild)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(shell) and not alive(grandchild)
    assert "hang" not in read_lock(root)


def test_close_kills_running_stages(tmp_path: Path) -> None:
    executor = LocalExecutor(tmp_path, jobs=1)
    future = executor.submit(StageTask(Stage("hang", TREE), tmp_path, tmp_path / "logs"))
    wait_for(tmp_path / "grandchild.pid")
    grandchild = int((tmp_path / "grandchild.pid").read_text())
    executor.close()
    result = future.result(timeout=10)
    assert not result.ok and result.returncode is not None and result.returncode < 0
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild)


def test_command_environment(pipeline_project: Path, monkeypatch: object) -> None:
    root = pipeline_project
    script = (
        "import os, sys\nopen('env.txt', 'w').write('\\n'.join([sys.executable, "
        "os.environ['PYTHONPATH'].split(os.pathsep)[0], os.environ['GREETING'], os.getcwd()]))\n"
    )
    write_project(root, {"show": {
        "cmd": "python ../show.py", "wdir": "sub", "env": {"GREETING": "hi"},
        "deps": ["../show.py"], "outs": ["env.txt"],
    }}, files={"show.py": script, "sub/keep": ""})  # fmt: skip
    assert run_pipeline(root, track=False).ok
    exe, pythonpath, greeting, cwd = (root / "sub" / "env.txt").read_text().splitlines()
    assert Path(exe).parent == Path(sys.executable).parent  # `python` is cairn's interpreter
    assert Path(pythonpath) == root
    assert greeting == "hi"
    assert Path(cwd) == root / "sub"


def test_output_goes_to_the_log_folder(tmp_path: Path) -> None:
    executor = LocalExecutor(tmp_path, jobs=1)
    try:
        task = StageTask(Stage("talk", "echo out; echo err >&2; exit 4"), tmp_path, tmp_path / "l")
        result = executor.submit(task).result(timeout=10)
    finally:
        executor.close()
    assert result.returncode == 4 and not result.ok
    assert result.stdout is not None and result.stdout.read_text() == "out\n"
    assert result.stderr is not None and result.stderr.read_text() == "err\n"
    assert result.host and os.path.isdir(tmp_path / "l")


def test_missing_wdir_is_an_error_not_a_crash(tmp_path: Path) -> None:
    executor = LocalExecutor(tmp_path, jobs=1)
    try:
        task = StageTask(Stage("s", "true", wdir="nowhere"), tmp_path, tmp_path / "l")
        result = executor.submit(task).result(timeout=10)
    finally:
        executor.close()
    assert result.returncode is None and result.error == "wdir nowhere does not exist"
