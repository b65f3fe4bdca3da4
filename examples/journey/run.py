"""The cairn journey: one small project taken from raw data to a monitored, retrained model.

Copies ``project/`` into a working folder (default ``./journey``), makes it a git repository
and runs every step with the real ``cairn`` command line, printing each command before its
output: version the raw data, run the pipeline, sweep, register the best model, move the
protected ``champion`` alias through the quality gates, serve it, send it traffic that
drifts half way, let the monitor catch the drift and the decay and retrain, verify the audit
trail. It ends with the command that opens the UI on what it recorded.

    python examples/journey/run.py [--workdir DIR] [--fresh] [--port N]

Exit status: 0 done, 1 a step failed, 2 bad usage (e.g. the working folder exists).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import sys
import time
from pathlib import Path

import pandas as pd
from journey_steps import Journey, StepFailed, serving
from rich.console import Console

PROJECT = Path(__file__).resolve().parent / "project"
MARKER = ".cairn-journey"  # marks a folder this script made, so --fresh may delete it
MODEL = "churn"
MONITOR = "churn-monitor"
BATCH = 50  # rows per /invocations request
TRAFFIC_ROWS = 1000  # per half: normal, then drifted
SWEEP = ("--set", "train.max_depth=3,6,10", "--set", "train.n_estimators=60")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_workdir(workdir: Path, fresh: bool) -> None:
    """Copy the example project into ``workdir``; FileExistsError when it exists without
    ``fresh``, or was not made by this script."""
    if workdir.exists():
        if not fresh:
            raise FileExistsError(
                f"{workdir} already exists; pass --fresh to delete it and start over"
            )
        if not (workdir / MARKER).is_file() and any(workdir.iterdir()):
            raise FileExistsError(
                f"{workdir} was not made by this script (no {MARKER} file in it); "
                "--fresh only deletes journey folders: choose another --workdir"
            )
        shutil.rmtree(workdir)
    shutil.copytree(PROJECT, workdir, ignore=shutil.ignore_patterns("__pycache__"))
    (workdir / MARKER).write_text("made by examples/journey/run.py\n")


def version_data(j: Journey) -> None:
    j.step("Generate and version the raw data")
    j.run("python", "make_raw_data.py", "data/raw.csv", "--rows", "3000", "--seed", "1")
    added = j.cairn_json("data", "add", "data/raw.csv")
    j.run("git", "add", "-A")
    j.run("git", "commit", "-q", "-m", "raw data v1")
    version = added[0]["hash"][:19]
    j.say(f"data/raw.csv is version {version}; git holds its pointer data/raw.csv.cairn")


def run_pipeline(j: Journey) -> None:
    j.step("Run the pipeline prepare -> train -> evaluate (one tracked run per stage)")
    j.cairn("pipeline", "run")
    j.run("git", "add", "-A")
    j.run("git", "commit", "-q", "-m", "pipeline run")
    metrics = json.loads((j.workdir / "metrics.json").read_text())
    j.say(f"test accuracy {metrics['accuracy']:.3f}; cairn.lock records what ran")


def sweep(j: Journey) -> str:
    """Run the sweep; return the train-stage run of the best combination."""
    j.step("Sweep the tree depth (each combination is a tracked pipeline run)")
    result = j.cairn_json("sweep", *SWEEP, "--optimize", "metrics.accuracy")
    for trial in result["trials"]:
        params = ", ".join(f"{k}={v}" for k, v in trial["params"].items())
        j.say(f"{params}: accuracy {trial['metric']:.3f} ({trial['status']})")
    best = result["trials"][0]
    j.say(f"best: pipeline run {best['run_id']}; its train stage logged the model:")
    found = j.cairn_json(
        "runs", "search", "--filter",
        f'tags.cairn.parentRunId = "{best["run_id"]}" and tags.cairn.stage.name = "train"',
    )  # fmt: skip
    compared = ",".join(trial["run_id"] for trial in result["trials"])
    j.pages += [
        (f"/experiments/{found[0]['experiment_id']}", "every run: pipelines, stages, the sweep"),
        (f"/compare?runs={compared}", "the sweep's combinations side by side"),
    ]
    return str(found[0]["run_id"])


def register(j: Journey, train_run: str) -> None:
    j.step("Register the best model and make it champion through the quality gates")
    j.cairn("models", "register", f"runs:/{train_run}/model", MODEL)
    j.cairn("models", "gates", "set", MODEL, "gates.yaml")
    j.cairn("models", "protect", MODEL, "champion")
    j.cairn("gate", train_run, "-f", "gates.yaml")
    j.cairn("models", "alias", MODEL, "champion", "1")
    j.say(f"{MODEL}@champion is version 1: it passed every gate")
    j.pages.append((f"/models/{MODEL}", "the versions, the champion alias and its gates"))


def traffic(j: Journey) -> pd.DataFrame:
    """Make the traffic: normal customers, then drifted ones; returns them in order."""
    j.step("Prepare traffic: half like the training data, half drifted")
    j.run("python", "make_raw_data.py", "traffic/normal.csv", "--rows", str(TRAFFIC_ROWS),
          "--seed", "11")  # fmt: skip
    j.run("python", "make_raw_data.py", "traffic/drifted.csv", "--rows", str(TRAFFIC_ROWS),
          "--seed", "12", "--drift")  # fmt: skip
    normal = pd.read_csv(j.workdir / "traffic/normal.csv")
    drifted = pd.read_csv(j.workdir / "traffic/drifted.csv")
    j.say("the drifted half spends more, calls support more, and churns for other reasons")
    return pd.concat([normal, drifted], ignore_index=True)


def serve_and_send(j: Journey, port: int, rows: pd.DataFrame) -> Path:
    """Serve champion, send ``rows`` in batches, import the prediction log; returns the
    ground-truth file (request id -> label) to hand the monitor."""
    j.step("Create the monitor, serve the champion and send it traffic")
    j.cairn("monitor", "create", "-f", "monitor.yaml")
    command = ["models", "serve", f"models:/{MODEL}@champion", "--port", str(port),
               "--log-predictions", "1.0", "--log-level", "warning"]  # fmt: skip
    with serving(j, command, port) as send:
        truth = []
        features = [c for c in rows.columns if c != "churned"]
        for start in range(0, len(rows), BATCH):
            batch = rows.iloc[start : start + BATCH]
            request_id = f"req-{start // BATCH:04d}"
            send(batch[features].to_dict(orient="records"), request_id)
            truth += [
                (request_id if i == 0 else f"{request_id}:{i}", int(label))
                for i, label in enumerate(batch["churned"])
            ]
        j.say(f"sent {len(rows)} rows in {len(truth) // BATCH} requests to 127.0.0.1:{port}")
        j.wait_for_predictions(MONITOR, len(rows))
    path = j.workdir / "traffic/truth.csv"
    pd.DataFrame(truth, columns=["request_id", "churned"]).to_csv(path, index=False)
    return path


def monitor(j: Journey, truth: Path, rows: pd.DataFrame) -> None:
    j.step("Ground truth arrives: log it, and version the labelled traffic as data v2")
    j.cairn("monitor", "truth", MONITOR, str(truth.relative_to(j.workdir)))
    raw = pd.read_csv(j.workdir / "data/raw.csv")
    pd.concat([raw, rows], ignore_index=True).to_csv(j.workdir / "data/raw.csv", index=False)
    j.cairn("data", "add", "data/raw.csv")
    j.run("git", "add", "-A")
    j.run("git", "commit", "-q", "-m", "raw data v2: with the labelled traffic")

    j.step("Monitor: compute the windows, fire the rules (the decay rule retrains)")
    since = int(time.time() * 1000)
    j.cairn("monitor", "run", MONITOR)
    j.cairn("monitor", "status", MONITOR)
    j.cairn("monitor", "alerts", MONITOR)
    fired = {alert["rule"] for alert in j.cairn_json("monitor", "alerts", MONITOR, quiet=True)}
    missing = {"data-drift", "quality-decay"} - fired
    if missing:
        raise StepFailed(f"the monitor fired no {', '.join(sorted(missing))} alert")
    j.say("the monitor caught the drift and the quality decay; the decay started retraining")
    j.pages.append((f"/monitors/{MONITOR}", "windows: drift, accuracy decaying, the alerts"))

    j.step("Retraining: the pipeline the alert started, on data v2")
    retrain = j.wait_for_pipeline_run(since)
    j.cairn("runs", "show", retrain)
    j.pages += [
        (f"/pipelines/{retrain}", "the retraining run: its stages and what they read"),
        ("/datasets/raw", "the two versions of the raw data and the runs that read them"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("journey"),
                        help="where to build the project (default: ./journey)")  # fmt: skip
    parser.add_argument("--fresh", action="store_true",
                        help="delete an existing working folder first")  # fmt: skip
    parser.add_argument("--port", type=int, default=None,
                        help="port of the model server (default: a free one)")  # fmt: skip
    args = parser.parse_args(argv)
    workdir = args.workdir.resolve()
    try:
        prepare_workdir(workdir, args.fresh)
    except FileExistsError as exc:
        parser.error(str(exc))  # exits 2
    console = Console(highlight=False, soft_wrap=True)
    j = Journey(workdir, console)
    try:
        j.step("Create the project: git repository and cairn store")
        j.say(f"project copied to {workdir}; every run goes to experiment 'churn'")
        j.run("git", "init", "-q")
        j.cairn("init")
        version_data(j)
        run_pipeline(j)
        register(j, sweep(j))
        rows = traffic(j)
        truth = serve_and_send(j, args.port or free_port(), rows)
        monitor(j, truth, rows)
        j.step("Verify the audit trail (a hash chain over every change)")
        j.cairn("audit", "verify")
    except StepFailed as exc:
        console.print(f"\n[bold red]journey stopped:[/] {exc}")
        return 1
    j.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
