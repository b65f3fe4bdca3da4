"""Pipeline benchmark: ``cairn pipeline run`` and ``dvc repro`` side by side on the same graphs.

Usage (from the repo, with cairn's virtualenv, which has dvc as a dev dependency):

    .venv/bin/python benchmarks/bench_pipeline.py [--stages 100] [--reps 3] [--skip-dvc]
        [--workdir DIR] [--out FILE]

Two generated pipelines of trivial ``cp`` commands, written once as ``dvc.yaml`` and once as
``cairn.yaml`` with the same stages, deps and outs:

- ``chain``: stage *i* copies the output of stage *i-1* (``s0`` copies ``seed.txt``);
- ``fanout``: every stage copies ``seed.txt`` to its own output.

For each tool and pipeline, in a fresh git repository (``dvc init`` for dvc), the first run
(every stage executes) and the no-op re-run (nothing changed) are timed as real command lines
in a subprocess, ``--reps`` times; the medians are reported. The same ``cp`` commands run from
one shell script give the floor, so the *overhead per stage* of a first run is
``(first run - script) / stages``. cairn runs with tracking on (its default: a pipeline run
with one nested run per executed stage in ``.cairn/cairn.db``); dvc has nothing like it.
The JSON goes to stdout, ``benchmarks/results/`` and ``benchmarks/pipeline-latest.json``;
progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LATEST = HERE / "pipeline-latest.json"
BIN = Path(sys.executable).parent
ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "DVC_NO_ANALYTICS": "1", "LC_ALL": "C",
}  # fmt: skip
SHAPES = ("chain", "fanout")


def log(message: str) -> None:
    """Progress, to stderr."""
    print(f"bench_pipeline: {message}", file=sys.stderr, flush=True)


def sh(args: list[str], cwd: Path) -> str:
    """Run a command that must succeed; its stdout."""
    done = subprocess.run(
        args, cwd=cwd, env={**os.environ, **ENV}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def timed(args: list[str], cwd: Path) -> float:
    """Wall seconds of a command."""
    start = time.perf_counter()
    sh(args, cwd)
    return time.perf_counter() - start


def stages_of(shape: str, n: int) -> list[tuple[str, str, str]]:
    """``(name, dep, out)`` of each stage."""
    if shape == "chain":
        return [
            (f"s{i}", "seed.txt" if i == 0 else f"out/s{i - 1}.txt", f"out/s{i}.txt")
            for i in range(n)
        ]
    return [(f"s{i}", "seed.txt", f"out/s{i}.txt") for i in range(n)]


def write_project(root: Path, shape: str, n: int, tool: str) -> None:
    """A fresh git repository holding the pipeline in ``tool``'s file format."""
    if root.exists():
        shutil.rmtree(root)
    (root / "out").mkdir(parents=True)
    sh(["git", "init", "-q"], root)
    (root / "seed.txt").write_text("seed\n" * 100)
    lines = ["stages:"]
    for name, dep, out in stages_of(shape, n):
        lines += [
            f"  {name}:",
            f"    cmd: cp {dep} {out}",
            f"    deps: [{dep}]",
            f"    outs: [{out}]",
        ]
    (root / ("dvc.yaml" if tool == "dvc" else "cairn.yaml")).write_text("\n".join(lines) + "\n")
    if tool == "dvc":
        sh([dvc_exe(), "init", "-q"], root)
    sh(["git", "add", "-A"], root)
    sh(["git", "commit", "-q", "-m", "pipeline"], root)


def dvc_exe() -> str:
    """The dvc of this virtualenv (a dev dependency), else the one on PATH."""
    return str(BIN / "dvc") if (BIN / "dvc").exists() else shutil.which("dvc") or "dvc"


def run_command(tool: str) -> list[str]:
    """The command line that runs the whole pipeline."""
    if tool == "dvc":
        return [dvc_exe(), "repro", "-q"]
    return [str(BIN / "cairn"), "pipeline", "run"]


def script_floor(root: Path, shape: str, n: int) -> float:
    """The same ``cp`` commands run from one shell script."""
    if root.exists():
        shutil.rmtree(root)
    (root / "out").mkdir(parents=True)
    (root / "seed.txt").write_text("seed\n" * 100)
    body = "\n".join(f"cp {dep} {out}" for _, dep, out in stages_of(shape, n))
    (root / "run.sh").write_text("set -e\n" + body + "\n")
    return timed(["bash", "run.sh"], root)


def measure(tool: str, shape: str, n: int, work: Path, reps: int) -> dict[str, Any]:
    """Median first-run and no-op re-run seconds of ``tool`` on ``shape``."""
    first, noop = [], []
    for rep in range(reps):
        root = work / f"{tool}-{shape}"
        write_project(root, shape, n, tool)
        first.append(timed(run_command(tool), root))
        noop.append(timed(run_command(tool), root))
        produced = sorted((root / "out").glob("*.txt"))
        if len(produced) != n:
            raise RuntimeError(f"{tool} {shape}: {len(produced)} outputs, expected {n}")
        log(f"{tool} {shape} rep {rep + 1}: first {first[-1]:.2f} s, no-op {noop[-1]:.2f} s")
    return {
        "first_run_s": round(statistics.median(first), 3),
        "noop_rerun_s": round(statistics.median(noop), 3),
        "first_runs": [round(x, 3) for x in first],
        "noop_reruns": [round(x, 3) for x in noop],
    }


def summarise(result: dict[str, Any], n: int) -> dict[str, Any]:
    """Per-stage overheads, ratios to dvc, and the issue's targets."""
    out: dict[str, Any] = {}
    for shape in SHAPES:
        floor = result["script"][shape]
        row: dict[str, Any] = {}
        for tool in ("cairn", "dvc"):
            if tool not in result:
                continue
            got = result[tool][shape]
            row[f"{tool}_overhead_per_stage_ms"] = round((got["first_run_s"] - floor) / n * 1000, 1)
            row[f"{tool}_noop_rerun_s"] = got["noop_rerun_s"]
        if "dvc" in result:
            row["noop_speedup_vs_dvc"] = round(
                row["dvc_noop_rerun_s"] / row["cairn_noop_rerun_s"], 1
            )
            row["overhead_ratio_vs_dvc"] = round(
                row["dvc_overhead_per_stage_ms"] / max(row["cairn_overhead_per_stage_ms"], 0.1), 1
            )
            row["targets"] = {
                "noop_rerun_under_0.5s": row["cairn_noop_rerun_s"] < 0.5,
                "noop_5x_faster_than_dvc": row["noop_speedup_vs_dvc"] >= 5,
                "overhead_5x_lower_than_dvc": row["overhead_ratio_vs_dvc"] >= 5,
            }
        out[shape] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stages", type=int, default=100)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cairn-bench-pipeline"))
    parser.add_argument("--skip-dvc", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    n = args.stages
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "kernel": platform.release()},
        "stages": n,
        "reps": args.reps,
        "script": {shape: round(script_floor(args.workdir / f"script-{shape}", shape, n), 3)
                   for shape in SHAPES},
    }  # fmt: skip
    log(f"script floor: {result['script']}")
    result["cairn"] = {
        shape: measure("cairn", shape, n, args.workdir, args.reps) for shape in SHAPES
    }
    if not args.skip_dvc:
        result["dvc_version"] = sh([dvc_exe(), "--version"], args.workdir).strip()
        result["dvc"] = {
            shape: measure("dvc", shape, n, args.workdir, args.reps) for shape in SHAPES
        }
    result["summary"] = summarise(result, n)
    text = json.dumps(result, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"pipeline-{stamp}.json").write_text(text)
    (args.out or LATEST).write_text(text)


if __name__ == "__main__":
    main()
