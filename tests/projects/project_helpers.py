"""Helpers of the project-run tests: write a tiny project, commit it, read back its run."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

PROJECT_YAML = """\
name: churn
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      data: {type: path, default: data/train.csv}
      epochs: int
    command: "python train.py --alpha {alpha} --data {data} --epochs {epochs}"
  fail:
    parameters:
      code: {type: int, default: 3}
    command: "python -c 'import sys; sys.exit({code})'"
"""

TRAIN_PY = """\
import argparse
import cairn

parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float)
parser.add_argument("--data")
parser.add_argument("--epochs", type=int)
parser.add_argument("--seed", default="none")
args = parser.parse_args()
with cairn.start_run():
    cairn.log_metric("score", args.alpha * args.epochs)
    cairn.set_tag("seen_seed", args.seed)
print("trained", args.epochs)
"""


def write(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text, dedented) under ``root``; return ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` and return its stdout."""
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def committed_project(root: Path, files: dict[str, str] | None = None) -> str:
    """A git repository at ``root`` holding the churn project (or ``files``); its commit."""
    write(
        root,
        files if files is not None else {"cairn-project.yaml": PROJECT_YAML, "train.py": TRAIN_PY},
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "project")
    return git(root, "rev-parse", "HEAD")
