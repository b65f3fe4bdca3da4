"""Helpers of the pipeline tests: writing cairn.yaml, params.yaml and the small scripts the
stages run; watching processes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

# prepare -> train -> evaluate, as in the issue: train reads train.lr, evaluate writes
# nested metrics.
THREE_STAGES = {
    "prepare": {
        "cmd": "python prepare.py",
        "deps": ["prepare.py", "raw.txt"],
        "outs": ["data/prepared.txt"],
    },
    "train": {
        "cmd": "python train.py",
        "deps": ["train.py", "data/prepared.txt"],
        "params": ["train.lr"],
        "outs": ["model.txt"],
    },
    "evaluate": {
        "cmd": "python evaluate.py",
        "deps": ["evaluate.py", "model.txt"],
        "metrics": ["metrics.json"],
    },
}
THREE_SCRIPTS = {
    "raw.txt": "a\nb\nc\n",
    "prepare.py": (
        "import os\nos.makedirs('data', exist_ok=True)\n"
        "open('data/prepared.txt', 'w').write(open('raw.txt').read().upper())\n"
        "open('ran.log', 'a').write('prepare\\n')\n"
    ),
    "train.py": (
        "import yaml\nlr = yaml.safe_load(open('params.yaml'))['train']['lr']\n"
        "rows = open('data/prepared.txt').read().split()\n"
        "open('model.txt', 'w').write(f'{lr} {len(rows)}')\n"
        "open('ran.log', 'a').write('train\\n')\n"
    ),
    "evaluate.py": (
        "import json\nlr, n = open('model.txt').read().split()\n"
        "json.dump({'score': {'acc': 1 - float(lr)}, 'rows': int(n)}, open('metrics.json', 'w'))\n"
        "open('ran.log', 'a').write('evaluate\\n')\n"
    ),
}


def write_project(
    root: Path,
    stages: Mapping[str, Any],
    *,
    params: Mapping[str, Any] | None = None,
    files: Mapping[str, str] | None = None,
) -> None:
    """Write ``cairn.yaml`` with ``stages``, ``params.yaml`` and other ``files``."""
    (root / "cairn.yaml").write_text(yaml.safe_dump({"stages": dict(stages)}, sort_keys=False))
    if params is not None:
        (root / "params.yaml").write_text(yaml.safe_dump(dict(params), sort_keys=False))
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def ran_log(root: Path) -> list[str]:
    """The stages that appended their name to ``ran.log``, in order."""
    try:
        return (root / "ran.log").read_text().split()
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def statuses(outcome: Any) -> dict[str, str]:
    """Stage name -> status of a :class:`PipelineOutcome`."""
    return {stage.name: stage.status for stage in outcome.stages}


def wait_for(path: Path, timeout: float = 20.0) -> None:
    """Wait until ``path`` exists (a stage got that far)."""
    import time

    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {timeout} s")
        time.sleep(0.02)


def kill_group_of(pid_file: Path) -> None:
    """Kill the process group whose leader's pid is in ``pid_file`` (a stage left running)."""
    import signal

    with contextlib.suppress(ProcessLookupError, FileNotFoundError):
        os.killpg(os.getpgid(int(pid_file.read_text().split()[0])), signal.SIGKILL)
