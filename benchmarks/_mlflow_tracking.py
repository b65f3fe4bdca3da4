"""The MLflow side of ``bench_tracking.py``; runs in MLflow's own virtualenv, not cairn's.

Usage (``bench_tracking.py`` calls it; by hand only to debug):

    MLFLOW_DISABLE_TELEMETRY=true VENV/bin/python benchmarks/_mlflow_tracking.py \\
        sqlite:///DIR/mlflow.db --workdir DIR --out DIR/mlflow.json [--quick] [--anchor PATH]

With ``--anchor PATH`` (MLflow's anchor workload, ``shared/anchors/mlflow/bench_tracking.py``)
the sections the anchor has (single metrics, params, batches, run creation, search, the
2,000-point history) run the anchor's own functions, so the MLflow figures are the anchor's
measurement; without it, the equivalent functions below run. The sections the anchor does not
have (the timed ``end_run``, growth by 1,000-run blocks, the 100,000-point history, the
bulk-loaded 100,000-run search) always run from here. Data comes from ``_tracking_data`` (same
seeds and order as the anchor). Progress goes to stderr, the JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
import traceback
import warnings
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _tracking_data as D  # noqa: E402


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def progress(msg: str) -> None:
    print(f"[{now_iso()}] mlflow: {msg}", file=sys.stderr, flush=True)


# -- equivalents of the anchor's sections (used when the anchor is not beside the repo) -----


def own_single_metrics(mlflow, state):
    mlflow.set_experiment("bench-single")
    vals = D.single_values(state["rng"])
    run = mlflow.start_run(run_name="single-metrics")
    state["single_run_id"] = run.info.run_id
    t0 = time.perf_counter()
    for i, v in enumerate(vals):
        mlflow.log_metric("loss", v, step=i)
    dt = time.perf_counter() - t0
    return {
        "calls": D.N_SINGLE_METRICS,
        "seconds": round(dt, 3),
        "calls_per_s": round(D.N_SINGLE_METRICS / dt, 1),
    }


def own_params(mlflow, state):
    t0 = time.perf_counter()
    for i in range(D.N_PARAMS):
        mlflow.log_param(f"param_{i}", f"value_{i}")
    dt = time.perf_counter() - t0
    mlflow.end_run()
    return {"calls": D.N_PARAMS, "seconds": round(dt, 3), "calls_per_s": round(D.N_PARAMS / dt, 1)}


def own_batch_metrics(mlflow, state):
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    exp_id = mlflow.set_experiment("bench-batch").experiment_id
    run_id = client.create_run(exp_id, run_name="batch-metrics").info.run_id
    batches = [[Metric(*p) for p in b] for b in D.batch_points(state["rng"])]
    t0 = time.perf_counter()
    for batch in batches:
        client.log_batch(run_id, metrics=batch)
    dt = time.perf_counter() - t0
    client.set_terminated(run_id)
    points = D.BATCH_SIZE * D.N_BATCHES
    return {
        "calls": D.N_BATCHES,
        "points": points,
        "seconds": round(dt, 3),
        "points_per_s": round(points / dt, 1),
    }


def own_create_runs(mlflow, state, n):
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    if "search_exp_id" not in state:
        state["search_exp_id"] = mlflow.set_experiment("bench-runs").experiment_id
    payloads = [
        ([Param(*p) for p in params], [Metric(*m) for m in metrics])
        for params, metrics in D.run_payloads(state["rng"], n)
    ]
    t0 = time.perf_counter()
    for params, metrics in payloads:
        run_id = client.create_run(state["search_exp_id"]).info.run_id
        client.log_batch(run_id, metrics=metrics, params=params)
        client.set_terminated(run_id)
    dt = time.perf_counter() - t0
    state["n_runs"] = state.get("n_runs", 0) + n
    return {
        "runs_created": n,
        "total_runs_in_experiment": state["n_runs"],
        "seconds": round(dt, 3),
        "runs_per_s": round(n / dt, 1),
    }


def own_search(mlflow, state, budget_s=None):
    """The anchor's search section; with ``budget_s``, no new repetition starts past it."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    exp_id = state["search_exp_id"]
    fluent, cl = [], []
    started = time.perf_counter()
    for _ in range(D.SEARCH_REPS):
        if budget_s is not None and cl and time.perf_counter() - started > budget_s:
            break
        t0 = time.perf_counter()
        df = mlflow.search_runs(
            experiment_ids=[exp_id],
            filter_string=D.SEARCH_FILTER,
            order_by=D.SEARCH_ORDER,
            max_results=D.SEARCH_MAX,
        )
        fluent.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        runs = client.search_runs(
            experiment_ids=[exp_id],
            filter_string=D.SEARCH_FILTER,
            order_by=D.SEARCH_ORDER,
            max_results=D.SEARCH_MAX,
        )
        cl.append(time.perf_counter() - t0)
    m0 = [r.data.metrics["m0"] for r in runs]
    p1 = [r.data.params.get("p1") for r in runs]
    state["last_search"] = {
        "returned": len(runs),
        "m0": m0,
        "p1": p1,
        "filter_and_order_ok": D.check_search(m0, p1),
        "from": "the last timed client search",
    }
    return {
        "runs_in_experiment": state["n_runs"],
        "repetitions": len(cl),
        "fluent_search_runs_median_ms": D.median_ms(fluent),
        "fluent_search_runs_all_ms": D.ms_list(fluent),
        "fluent_rows_returned": len(df),
        "client_search_runs_median_ms": D.median_ms(cl),
        "client_search_runs_all_ms": D.ms_list(cl),
        "client_runs_returned": len(runs),
    }


def own_metric_history(mlflow, state):
    from mlflow.tracking import MlflowClient

    return _history(MlflowClient(), state["single_run_id"], "loss")


def _history(client, run_id, key):
    return D.time_history(lambda: client.get_metric_history(run_id, key))


# -- sections the anchor does not have -------------------------------------------------------


def single_metrics_with_end_run(mlflow, state):
    """The same 2,000 calls in a new run, timed together with end_run()."""
    mlflow.set_experiment("bench-single")
    vals = D.single_values(D.main_rng())
    mlflow.start_run(run_name="single-metrics-end-run")
    t0 = time.perf_counter()
    for i, v in enumerate(vals):
        mlflow.log_metric("loss", v, step=i)
    calls = time.perf_counter() - t0
    mlflow.end_run()
    total = time.perf_counter() - t0
    return {
        "calls": D.N_SINGLE_METRICS,
        "calls_seconds": round(calls, 3),
        "end_run_seconds": round(total - calls, 3),
        "seconds": round(total, 3),
        "calls_per_s": round(D.N_SINGLE_METRICS / total, 1),
    }


def verify_search(mlflow, state):
    """One untimed client search; the m0 and p1 of what it returns, for the cross-check."""
    from mlflow.tracking import MlflowClient

    runs = MlflowClient().search_runs(
        experiment_ids=[state["search_exp_id"]],
        filter_string=D.SEARCH_FILTER,
        order_by=D.SEARCH_ORDER,
        max_results=D.SEARCH_MAX,
    )
    m0 = [r.data.metrics["m0"] for r in runs]
    p1 = [r.data.params.get("p1") for r in runs]
    return {
        "returned": len(runs),
        "m0": m0,
        "p1": p1,
        "filter_and_order_ok": D.check_search(m0, p1),
    }


def history_100k(mlflow, state):
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    exp_id = mlflow.set_experiment("bench-history").experiment_id
    run_id = client.create_run(exp_id, run_name="history-100k").info.run_id
    batches = [[Metric(*p) for p in b] for b in D.history_batches()]
    t0 = time.perf_counter()
    for batch in batches:
        client.log_batch(run_id, metrics=batch)
    dt = time.perf_counter() - t0
    client.set_terminated(run_id)
    out = {
        "log_batch_calls": len(batches),
        "points": D.HISTORY_POINTS,
        "log_seconds": round(dt, 3),
        "log_points_per_s": round(D.HISTORY_POINTS / dt, 1),
    }
    out.update(_history(client, run_id, D.HISTORY_KEY))
    return out


def bulk_load(mlflow, state, db_path, n_total):
    """Insert runs straight into MLflow's SQLite tables until the experiment has ``n_total``."""
    n = n_total - state["n_runs"]
    exp = mlflow.get_experiment(state["search_exp_id"])
    ids, pvals, mvals = D.bulk_runs(n)
    exp_id = int(state["search_exp_id"])
    location = exp.artifact_location.rstrip("/")
    now = int(time.time() * 1000)
    statements = {
        "runs": "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
        "user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, "
        "experiment_id, deleted_time) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "tags": "INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)",
        "params": "INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)",
        "metrics": "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
        "VALUES (?,?,?,?,?,?)",
        "latest_metrics": "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
        "VALUES (?,?,?,?,?,?)",
    }

    def rows(lo, hi):
        out = {k: [] for k in statements}
        for i in range(lo, hi):
            rid, name = ids[i], f"bulk-{i}"
            out["runs"].append(
                (
                    rid,
                    name,
                    "UNKNOWN",
                    "",
                    "",
                    "bench",
                    "FINISHED",
                    now + i,
                    now + i + 1,
                    "",
                    "active",
                    f"{location}/{rid}/artifacts",
                    exp_id,
                    None,
                )
            )
            out["tags"].append(("mlflow.runName", name, rid))
            pv, mv = pvals[i].tolist(), mvals[i].tolist()
            for j in range(D.PARAMS_PER_RUN):
                out["params"].append((f"p{j}", f"v{pv[j]}", rid))
            for j in range(D.METRICS_PER_RUN):
                out["metrics"].append((f"m{j}", mv[j], D.BASE_TS, rid, 0, 0))
                out["latest_metrics"].append((f"m{j}", mv[j], D.BASE_TS, 0, 0, rid))
        return out

    result = D.bulk_insert(db_path, statements, n, rows)
    state["n_runs"] += n
    result.update(
        {"bulk_loaded": True, "runs_inserted": n, "total_runs_in_experiment": state["n_runs"]}
    )
    return result


SEARCH_BUDGET_S = 300.0  # for the 100,000-run search: no new repetition after this


# -- driver ----------------------------------------------------------------------------------


class Sections:
    def __init__(self):
        self.results = {}
        self.errors = {}

    def run(self, name, fn, *args):
        progress(f"{name} ...")
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out = fn(*args)
            except Exception as e:  # noqa: BLE001 - record and go on
                traceback.print_exc()
                self.errors[name] = f"{type(e).__name__}: {e}"
                out = None
        wall = time.perf_counter() - t0
        if out is not None:
            out["section_wall_s"] = round(wall, 3)
            self.results[name] = out
        progress(f"{name} done in {wall:.2f}s")
        return out


def load_anchor(path):
    spec = importlib.util.spec_from_file_location("mlflow_anchor_bench_tracking", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("tracking_uri")
    ap.add_argument("--out", required=True)
    ap.add_argument("--workdir")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--anchor", help="path of the anchor's bench_tracking.py to run its sections")
    args = ap.parse_args()
    out_path = os.path.abspath(args.out)
    workdir = args.workdir or tempfile.mkdtemp(prefix="mlflow-bench-")
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)

    t_start = time.perf_counter()
    t0 = time.perf_counter()
    import mlflow

    import_s = time.perf_counter() - t0
    mlflow.set_tracking_uri(args.tracking_uri)
    db_path = args.tracking_uri[len("sqlite:///") :]

    anchor = load_anchor(args.anchor) if args.anchor else None
    if anchor is not None:
        fns = {
            "single": anchor.bench_single_metrics,
            "params": anchor.bench_params,
            "batch": anchor.bench_batch_metrics,
            "create": anchor.bench_create_runs,
            "search": anchor.bench_search,
            "history": anchor.bench_metric_history,
        }
    else:
        fns = {
            "single": own_single_metrics,
            "params": own_params,
            "batch": own_batch_metrics,
            "create": own_create_runs,
            "search": own_search,
            "history": own_metric_history,
        }
    state = {"rng": D.main_rng()}
    sec = Sections()

    def init_store():
        t0 = time.perf_counter()
        mlflow.set_experiment("bench-init")
        return {"seconds": round(time.perf_counter() - t0, 3)}

    def search_at(n):
        if n <= D.N_RUNS_LARGE:
            sec.run(f"search_runs_{n}", fns["search"], mlflow, state)
            sec.run(f"search_runs_{n}_verify", verify_search, mlflow, state)
        else:
            # Not an anchor section. MLflow's query plan is quadratic here (SQLite scans the
            # materialized m0 subquery once per matching run: ~2-3 min per search at 100,000
            # runs), so repetitions stop once SEARCH_BUDGET_S is spent, and the last timed
            # client search serves as the check.
            if sec.run(f"search_runs_{n}", own_search, mlflow, state, SEARCH_BUDGET_S):
                sec.results[f"search_runs_{n}_verify"] = state.pop("last_search")

    sec.run("store_init", init_store)
    sec.run("single_metric_calls", fns["single"], mlflow, state)
    sec.run("param_calls", fns["params"], mlflow, state)
    sec.run("single_metric_calls_with_end_run", single_metrics_with_end_run, mlflow, state)
    sec.run("batch_metrics", fns["batch"], mlflow, state)
    n_target = D.N_RUNS_QUICK if args.quick else D.N_RUNS_LARGE
    block = 0
    while state.get("n_runs", 0) < n_target:
        block += 1
        if (
            sec.run(f"create_runs_block_{block:02d}", fns["create"], mlflow, state, D.RUN_BLOCK)
            is None
        ):
            break
        if state["n_runs"] in (D.N_RUNS_SMALL, D.N_RUNS_LARGE):
            search_at(state["n_runs"])
    sec.run("get_metric_history_2k", fns["history"], mlflow, state)
    sec.run("history_100k", history_100k, mlflow, state)
    if (
        not args.quick
        and state.get("n_runs") == D.N_RUNS_LARGE
        and sec.run("bulk_load_100k", bulk_load, mlflow, state, db_path, D.N_RUNS_BULK_TOTAL)
    ):
        search_at(state["n_runs"])

    import numpy
    import sqlalchemy

    def version(name):
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(name)
        except PackageNotFoundError:
            return None

    result = {
        "tool": "mlflow",
        "tracking_uri": args.tracking_uri,
        "anchor": os.path.abspath(args.anchor) if args.anchor else None,
        "quick": args.quick,
        "versions": {
            "mlflow": mlflow.__version__,
            "sqlalchemy": sqlalchemy.__version__,
            "numpy": numpy.__version__,
            "pandas": version("pandas"),
            "scikit-learn": version("scikit-learn"),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        "in_process_import_s": round(import_s, 3),
        "results": sec.results,
        "errors": sec.errors,
        "total_wall_s": round(time.perf_counter() - t_start, 3),
    }
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)
    return 1 if sec.errors else 0


if __name__ == "__main__":
    sys.exit(main())
