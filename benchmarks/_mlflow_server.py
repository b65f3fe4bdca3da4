"""The MLflow side of ``bench_server.py``; runs in MLflow's own virtualenv, not cairn's.

``bench_server.py`` starts and stops ``mlflow server`` itself (the same code path as for
``cairn server``); this script only plays the client, in one of three roles:

    VENV/bin/python benchmarks/_mlflow_server.py populate sqlite:///DIR/mlflow.db \\
        --runs N --workdir DIR --out FILE [--anchor PATH]
    VENV/bin/python benchmarks/_mlflow_server.py client http://127.0.0.1:PORT \\
        --search-runs N --create-runs M --workdir DIR --out FILE [--anchor PATH]
    VENV/bin/python benchmarks/_mlflow_server.py batch-worker http://127.0.0.1:PORT \\
        --experiment-id ID --seed S --batches B

``populate`` fills the (not yet served) SQLite database through MLflow's own local SQL store
with the anchor's run-creation workload (experiment ``bench-runs``), so the search over the
server can run on 10,000 runs without creating them over HTTP. ``client`` runs the timed
workloads against the server: the anchor's own functions (single ``log_metric``, ``log_param``,
``log_batch``, ``search_runs``, run creation, the 100 MiB artifact) when ``--anchor`` names
``shared/anchors/mlflow/bench_tracking.py``, else the equivalents in ``_mlflow_tracking.py``
and below. ``batch-worker`` is one of the concurrent ``log_batch`` clients: it prepares its run,
prints ``READY``, waits for a line on stdin, logs, and prints one JSON line with its timings.
Data comes from ``_tracking_data`` (same seeds and order as the anchor, as on cairn's side).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _mlflow_tracking as T  # noqa: E402
import _tracking_data as D  # noqa: E402

ARTIFACT_MIB = 100
ARTIFACT_NAME = "random_100MiB.bin"
ARTIFACT_REPS = 3  # a transfer takes about a second: one is at the mercy of a busy moment


def artifact_summary(reps: list[dict]) -> dict:
    """Medians of repeated transfers (each a dict of the anchor's artifact section)."""
    import statistics

    def med(key):
        return round(statistics.median(r[key] for r in reps), 3)

    out = {
        "repetitions": len(reps),
        "bytes": reps[0]["bytes"],
        "upload_s": med("upload_s"),
        "download_s": med("download_s"),
        "download_sha256_matches": all(r["download_sha256_matches"] for r in reps),
        "upload_all_s": [r["upload_s"] for r in reps],
        "download_all_s": [r["download_s"] for r in reps],
    }
    out["upload_MB_per_s"] = round(out["bytes"] / 1e6 / out["upload_s"], 1)
    out["download_MB_per_s"] = round(out["bytes"] / 1e6 / out["download_s"], 1)
    return out


def repeated_artifact(fn, mlflow, state):
    """The artifact section ``ARTIFACT_REPS`` times (a new run each), medians."""
    return artifact_summary([fn(mlflow, state) for _ in range(ARTIFACT_REPS)])


mono = D.mono


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def own_artifact(mlflow, state):
    """The anchor's artifact section: log a 100 MiB random file, download it back."""
    import numpy as np

    scratch = state["scratch"]
    src_dir = os.path.join(scratch, "artifact-src")
    os.makedirs(src_dir, exist_ok=True)
    src = os.path.join(src_dir, ARTIFACT_NAME)
    nbytes = ARTIFACT_MIB * 1024 * 1024
    with open(src, "wb") as f:
        f.write(np.random.default_rng(1).bytes(nbytes))
    src_sha = _sha256(src)
    mlflow.set_experiment("bench-artifact")
    with mlflow.start_run(run_name="artifact") as run:
        t0 = time.perf_counter()
        mlflow.log_artifact(src)
        up = time.perf_counter() - t0
    dst_dir = os.path.join(scratch, "artifact-dst")
    shutil.rmtree(dst_dir, ignore_errors=True)
    os.makedirs(dst_dir)
    t0 = time.perf_counter()
    local = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path=ARTIFACT_NAME, dst_path=dst_dir
    )
    down = time.perf_counter() - t0
    same = _sha256(local) == src_sha
    os.remove(src)
    shutil.rmtree(dst_dir, ignore_errors=True)
    return {
        "bytes": nbytes,
        "upload_s": round(up, 3),
        "upload_MB_per_s": round(nbytes / 1e6 / up, 1),
        "download_s": round(down, 3),
        "download_MB_per_s": round(nbytes / 1e6 / down, 1),
        "download_sha256_matches": same,
    }


def workload_functions(anchor_path: str | None) -> dict:
    anchor = T.load_anchor(anchor_path) if anchor_path else None
    if anchor is not None:
        return {
            "single": anchor.bench_single_metrics,
            "params": anchor.bench_params,
            "batch": anchor.bench_batch_metrics,
            "create": anchor.bench_create_runs,
            "search": anchor.bench_search,
            "artifact": anchor.bench_artifact,
        }
    return {
        "single": T.own_single_metrics,
        "params": T.own_params,
        "batch": T.own_batch_metrics,
        "create": T.own_create_runs,
        "search": T.own_search,
        "artifact": own_artifact,
    }


def versions(mlflow) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    import numpy
    import sqlalchemy

    def v(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {
        "mlflow": mlflow.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "numpy": numpy.__version__,
        "uvicorn": v("uvicorn"),
        "fastapi": v("fastapi"),
        "flask": v("flask"),
        "python": platform.python_version(),
    }


def populate(args) -> int:
    """Create the search runs through MLflow's local SQL store (no server)."""
    os.chdir(args.workdir)
    import mlflow

    mlflow.set_tracking_uri(args.uri)
    fns = workload_functions(args.anchor)
    # the runs take the main generator's values after the single metrics and the batches,
    # as in the anchor (and as D.expected_search replays them)
    rng = D.main_rng()
    D.single_values(rng)
    D.batch_points(rng)
    state = {"rng": rng}
    sec = T.Sections()
    blocks = []
    t0 = time.perf_counter()
    while state.get("n_runs", 0) < args.runs:
        n = min(D.RUN_BLOCK, args.runs - state.get("n_runs", 0))
        out = sec.run(f"populate_block_{len(blocks) + 1:02d}", fns["create"], mlflow, state, n)
        if out is None:
            break
        blocks.append(out["runs_per_s"])
    dt = time.perf_counter() - t0
    result = {
        "tool": "mlflow",
        "store": args.uri,
        "how": "MlflowClient on the local SQLite store (SqlAlchemyStore): per run create_run, "
        "log_batch(10 params, 10 metrics), set_terminated; experiment 'bench-runs'",
        "experiment_id": state.get("search_exp_id"),
        "runs": state.get("n_runs", 0),
        "seconds": round(dt, 3),
        "runs_per_s": round(state.get("n_runs", 0) / dt, 1) if dt else None,
        "block_runs_per_s": blocks,
        "errors": sec.errors,
        "versions": versions(mlflow),
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    return 1 if sec.errors else 0


def client(args) -> int:
    """The timed workloads against ``mlflow server``."""
    os.chdir(args.workdir)
    t_start = time.perf_counter()
    t0 = time.perf_counter()
    import mlflow

    import_s = time.perf_counter() - t0
    mlflow.set_tracking_uri(args.uri)
    fns = workload_functions(args.anchor)
    scratch = os.path.join(args.workdir, "scratch")
    os.makedirs(scratch, exist_ok=True)
    state = {"rng": D.main_rng(), "scratch": scratch}
    sec = T.Sections()

    def init_store():
        t0 = time.perf_counter()
        mlflow.set_experiment("bench-init")
        return {"seconds": round(time.perf_counter() - t0, 3)}

    sec.run("store_init", init_store)
    sec.run("single_metric_calls", fns["single"], mlflow, state)
    sec.run("param_calls", fns["params"], mlflow, state)
    sec.run("single_metric_calls_with_end_run", T.single_metrics_with_end_run, mlflow, state)
    sec.run("batch_metrics", fns["batch"], mlflow, state)

    exp = mlflow.get_experiment_by_name("bench-runs")
    if exp is None:
        sec.errors["search"] = "no 'bench-runs' experiment: the database was not populated"
    else:
        state["search_exp_id"] = exp.experiment_id
        state["n_runs"] = args.search_runs
        n = args.search_runs
        sec.run(f"search_runs_{n}", fns["search"], mlflow, state)
        sec.run(f"search_runs_{n}_verify", T.verify_search, mlflow, state)

    # run creation over HTTP, into an experiment of its own (the search data stays as loaded)
    state["search_exp_id"] = mlflow.set_experiment("bench-runs-http").experiment_id
    state["n_runs"] = 0
    sec.run("create_runs_http", fns["create"], mlflow, state, args.create_runs)
    sec.run("artifact", repeated_artifact, fns["artifact"], mlflow, state)
    shutil.rmtree(scratch, ignore_errors=True)

    result = {
        "tool": "mlflow",
        "tracking_uri": args.uri,
        "anchor": os.path.abspath(args.anchor) if args.anchor else None,
        "versions": versions(mlflow),
        "in_process_import_s": round(import_s, 3),
        "results": sec.results,
        "errors": sec.errors,
        "total_wall_s": round(time.perf_counter() - t_start, 3),
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    return 1 if sec.errors else 0


def batch_worker(args) -> int:
    """One concurrent client: its own run, ``--batches`` log_batch calls of 1,000 points."""
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=args.uri)
    return D.concurrent_batch_client(client, Metric, args.experiment_id, args.seed, args.batches)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("role", choices=["populate", "client", "batch-worker"])
    ap.add_argument("uri", help="sqlite:///... (populate) or the server's http:// URL")
    ap.add_argument("--workdir")
    ap.add_argument("--out")
    ap.add_argument("--anchor", help="the anchor's bench_tracking.py, to run its functions")
    ap.add_argument("--runs", type=int, default=D.N_RUNS_LARGE, help="populate: runs to create")
    ap.add_argument("--search-runs", type=int, default=D.N_RUNS_LARGE)
    ap.add_argument("--create-runs", type=int, default=D.RUN_BLOCK)
    ap.add_argument("--experiment-id")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batches", type=int, default=10)
    args = ap.parse_args()
    if args.role == "batch-worker":
        return batch_worker(args)
    args.workdir = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="mlflow-server-bench-"))
    os.makedirs(args.workdir, exist_ok=True)
    args.out = os.path.abspath(args.out)
    return populate(args) if args.role == "populate" else client(args)


if __name__ == "__main__":
    sys.exit(main())
