"""Tracking benchmark: the same workloads on cairn and on MLflow, in one invocation.

Usage (from the repo, with cairn's virtualenv):

    .venv/bin/python benchmarks/bench_tracking.py [--quick] [--skip-mlflow] [--out FILE]
                                                  [--workdir DIR] [--keep] [--profile DIR]

cairn runs in this interpreter against a fresh SQLite store, through its public API
(``cairn.log_metric`` ..., ``cairn.CairnClient``). MLflow runs in a virtualenv of its own under
``$CAIRN_BENCH_DIR`` (default ``/tmp/cairn-bench``; created with ``pip install mlflow
scikit-learn`` on first use, reused after), against ``sqlite:///<workdir>/mlflow/mlflow.db``,
by ``_mlflow_tracking.py``, which runs the MLflow anchor's own workload functions
(``<repo>/../shared/anchors/mlflow/bench_tracking.py``) when that file is there. Both sides log
the same data (``_tracking_data.py``: fixed seeds, the anchor's order).

Workloads (see README.md): single ``log_metric`` calls, ``log_param`` calls, batched metrics,
run creation in 1,000-run blocks up to 10,000 runs, ``search_runs`` at 1,000 / 10,000 /
100,000 runs (the last 90,000 bulk-loaded with SQL inserts into each tool's own tables), metric
history of 2,000 and 100,000 points, import and first-use time.

The result is JSON on stdout (and in ``--out``): ``machine``, ``versions``, ``workloads``
(``{name: {cairn, mlflow, unit, ratio}}``, ratio > 1 means cairn is better: cairn/mlflow for
rates, mlflow/cairn for times), ``targets`` (the issue's), ``checks`` (search results compared
with what the data says they must be) and ``raw`` (every section's figures). Progress goes to
stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import _tracking_data as D  # noqa: E402

ANCHOR = REPO.parent / "shared" / "anchors" / "mlflow" / "bench_tracking.py"
IMPORT_REPS = 5
NO_SLOWDOWN_MIN = 0.85  # last 1,000-run block at >= 85% of the first one's rate (noise allowance)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def progress(msg: str) -> None:
    print(f"[{now_iso()}] {msg}", file=sys.stderr, flush=True)


# -- machine and the MLflow virtualenv --------------------------------------------------------


def machine_info() -> dict:
    cpu = "?"
    mem_gib = None
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?"
            )
        with open("/proc/meminfo") as f:
            mem_kib = next(int(ln.split()[1]) for ln in f if ln.startswith("MemTotal"))
        mem_gib = round(mem_kib / 2**20, 1)
    except (OSError, StopIteration):
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "mem_total_gib": mem_gib,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def ensure_mlflow_venv(bench_dir: Path) -> Path:
    """MLflow's virtualenv under ``bench_dir``, created and installed on first use."""
    venv = bench_dir / "mlflow-venv"
    py = venv / "bin" / "python"
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true")
    if py.exists():
        ok = (
            subprocess.run(
                [str(py), "-c", "import mlflow, sklearn"], env=env, capture_output=True
            ).returncode
            == 0
        )
        if ok:
            progress(f"reusing MLflow virtualenv {venv}")
            return py
        progress(f"MLflow virtualenv {venv} is incomplete; reinstalling")
    bench_dir.mkdir(parents=True, exist_ok=True)
    progress(f"creating MLflow virtualenv {venv} (pip install mlflow scikit-learn)")
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(venv)], check=True, stdout=sys.stderr)
    subprocess.run(
        [str(py), "-m", "pip", "install", "mlflow", "scikit-learn"],
        check=True,
        stdout=sys.stderr,
        env=env,
    )
    return py


# -- import and first-use time ----------------------------------------------------------------


def _wall(cmd: list[str], env: dict, cwd: str | None = None, n: int = IMPORT_REPS) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(
            cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd
        )
        out.append(time.perf_counter() - t0)
    return out


def _importtime_ms(py: str, module: str, env: dict, n: int = IMPORT_REPS) -> list[float]:
    vals = []
    for _ in range(n):
        p = subprocess.run(
            [py, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        cum = None
        for line in p.stderr.splitlines():
            parts = [x.strip() for x in line.split("|")]
            if len(parts) == 3 and parts[2] == module:
                cum = int(parts[1])
        vals.append(cum / 1000 if cum is not None else None)
    return vals


def _first_use(py: str, module: str, env: dict, scratch: Path, n: int = IMPORT_REPS) -> dict:
    """Fresh processes: import, point at a SQLite store, start and end one run."""
    fresh, existing = [], []
    for i in range(n):
        folder = scratch / f"{module}-first-use-{i}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        if module == "cairn":
            uri = f"sqlite:///{folder}/cairn.db"
        else:
            uri = f"sqlite:///{folder}/mlflow.db"
        code = (
            f"import {module}; {module}.set_tracking_uri({uri!r}); "
            f"{module}.start_run(); {module}.end_run()"
        )
        penv = dict(env, CAIRN_SPOOL_DIR=str(folder / "spool"))
        fresh += _wall([py, "-c", code], penv, cwd=str(folder), n=1)
        existing += _wall([py, "-c", code], penv, cwd=str(folder), n=1)
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "fresh_store_median_ms": D.median_ms(fresh),
        "fresh_store_all_ms": D.ms_list(fresh),
        "existing_store_median_ms": D.median_ms(existing),
        "existing_store_all_ms": D.ms_list(existing),
    }


def import_times(py: str, module: str, scratch: Path) -> dict:
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true")
    env.pop("CAIRN_TRACKING_URI", None)
    progress(f"import time of {module} ({py})")
    bare = _wall([py, "-c", "pass"], env)
    imp = _wall([py, "-c", f"import {module}"], env)
    it = _importtime_ms(py, module, env)
    progress(f"first use of {module} (import, set_tracking_uri, start_run, end_run)")
    first = _first_use(py, module, env, scratch)
    return {
        "method": f"wall time of fresh `python -c 'import {module}'` minus `python -c pass`, "
        f"median of {IMPORT_REPS} (page cache warm)",
        "python_c_pass_median_ms": D.median_ms(bare),
        "import_median_ms": D.median_ms(imp),
        "import_all_ms": D.ms_list(imp),
        "import_minus_bare_ms": round(D.median_ms(imp) - D.median_ms(bare), 2),
        "x_importtime_cumulative_median_ms": round(
            statistics.median([x for x in it if x is not None]), 2
        )
        if any(x is not None for x in it)
        else None,
        "x_importtime_cumulative_all_ms": it,
        "first_use": first,
    }


# -- the cairn side -----------------------------------------------------------------------------


class Sections:
    """Runs named sections, records their results or errors, optionally under cProfile."""

    def __init__(self, tool: str, profile_dir: Path | None = None) -> None:
        self.tool = tool
        self.results: dict = {}
        self.errors: dict = {}
        self.profile_dir = profile_dir

    def run(self, name, fn, *args):
        progress(f"{self.tool}: {name} ...")
        prof = None
        if self.profile_dir is not None:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        t0 = time.perf_counter()
        try:
            out = fn(*args)
        except Exception as e:  # noqa: BLE001 - record and go on
            traceback.print_exc()
            self.errors[name] = f"{type(e).__name__}: {e}"
            out = None
        wall = time.perf_counter() - t0
        if prof is not None:
            prof.disable()
            self._dump(prof, name)
        if out is not None:
            out["section_wall_s"] = round(wall, 3)
            self.results[name] = out
        progress(f"{self.tool}: {name} done in {wall:.2f}s")
        return out

    def _dump(self, prof, name: str) -> None:
        import io
        import pstats

        self.profile_dir.mkdir(parents=True, exist_ok=True)
        prof.dump_stats(str(self.profile_dir / f"{name}.prof"))
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf).strip_dirs()
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(30)
        (self.profile_dir / f"{name}.txt").write_text(buf.getvalue())


class CairnSide:
    """The workloads through cairn's public API, in the order of MLflow's anchor."""

    def __init__(self, workdir: Path) -> None:
        import cairn
        from cairn.entities import Metric, Param

        self.cairn = cairn
        self.Metric = Metric
        self.Param = Param
        self.db_path = workdir / "store" / "cairn.db"
        self.uri = f"sqlite:///{self.db_path}"
        self.rng = D.main_rng()
        self.n_runs = 0
        self.client = None
        self.search_exp_id = None
        self.single_run_id = None

    def store_init(self):
        t0 = time.perf_counter()
        self.cairn.set_tracking_uri(self.uri)
        self.cairn.set_experiment("bench-init")
        self.client = self.cairn.CairnClient(self.uri)
        return {"seconds": round(time.perf_counter() - t0, 3)}

    def single_metrics(self):
        cairn = self.cairn
        cairn.set_experiment("bench-single")
        vals = D.single_values(self.rng)
        run = cairn.start_run(run_name="single-metrics")
        self.single_run_id = run.info.run_id
        t0 = time.perf_counter()
        for i, v in enumerate(vals):
            cairn.log_metric("loss", v, step=i)
        dt = time.perf_counter() - t0
        return {
            "calls": D.N_SINGLE_METRICS,
            "seconds": round(dt, 3),
            "calls_per_s": round(D.N_SINGLE_METRICS / dt, 1),
            "ms_per_call": round(dt / D.N_SINGLE_METRICS * 1000, 4),
        }

    def params(self):
        cairn = self.cairn
        t0 = time.perf_counter()
        for i in range(D.N_PARAMS):
            cairn.log_param(f"param_{i}", f"value_{i}")
        dt = time.perf_counter() - t0
        t1 = time.perf_counter()
        cairn.end_run()  # ships what is left of the 2,000 points, then marks the run finished
        end = time.perf_counter() - t1
        return {
            "calls": D.N_PARAMS,
            "seconds": round(dt, 3),
            "calls_per_s": round(D.N_PARAMS / dt, 1),
            "ms_per_call": round(dt / D.N_PARAMS * 1000, 3),
            "end_run_after_seconds": round(end, 3),
        }

    def single_metrics_with_end_run(self):
        cairn = self.cairn
        cairn.set_experiment("bench-single")
        vals = D.single_values(D.main_rng())
        cairn.start_run(run_name="single-metrics-end-run")
        t0 = time.perf_counter()
        for i, v in enumerate(vals):
            cairn.log_metric("loss", v, step=i)
        calls = time.perf_counter() - t0
        cairn.end_run()
        total = time.perf_counter() - t0
        return {
            "calls": D.N_SINGLE_METRICS,
            "calls_seconds": round(calls, 3),
            "end_run_seconds": round(total - calls, 3),
            "seconds": round(total, 3),
            "calls_per_s": round(D.N_SINGLE_METRICS / total, 1),
        }

    def batch_metrics(self):
        exp_id = self.cairn.set_experiment("bench-batch").experiment_id
        run_id = self.client.create_run(exp_id, run_name="batch-metrics").info.run_id
        Metric = self.Metric
        batches = [[Metric(*p) for p in b] for b in D.batch_points(self.rng)]
        per_call = []
        t0 = time.perf_counter()
        for batch in batches:
            t1 = time.perf_counter()
            self.client.log_batch(run_id, metrics=batch)
            per_call.append(time.perf_counter() - t1)
        dt = time.perf_counter() - t0
        self.client.set_terminated(run_id)
        points = D.BATCH_SIZE * D.N_BATCHES
        return {
            "calls": D.N_BATCHES,
            "metrics_per_call": D.BATCH_SIZE,
            "points": points,
            "seconds": round(dt, 3),
            "points_per_s": round(points / dt, 1),
            "median_ms_per_call": D.median_ms(per_call),
        }

    def create_runs(self, n):
        client = self.client
        if self.search_exp_id is None:
            self.search_exp_id = self.cairn.set_experiment("bench-runs").experiment_id
        Metric, Param = self.Metric, self.Param
        payloads = [
            ([Param(*p) for p in params], [Metric(*m) for m in metrics])
            for params, metrics in D.run_payloads(self.rng, n)
        ]
        exp_id = self.search_exp_id
        t0 = time.perf_counter()
        for params, metrics in payloads:
            run_id = client.create_run(exp_id).info.run_id
            client.log_batch(run_id, metrics=metrics, params=params)
            client.set_terminated(run_id)
        dt = time.perf_counter() - t0
        self.n_runs += n
        return {
            "runs_created": n,
            "total_runs_in_experiment": self.n_runs,
            "calls_per_run": 3,
            "seconds": round(dt, 3),
            "runs_per_s": round(n / dt, 1),
            "ms_per_run": round(dt / n * 1000, 3),
        }

    def search(self):
        cairn, client, exp_id = self.cairn, self.client, self.search_exp_id
        fluent, cl = [], []
        df = page = None
        for _ in range(D.SEARCH_REPS):
            t0 = time.perf_counter()
            df = cairn.search_runs(
                experiment_ids=[exp_id],
                filter_string=D.SEARCH_FILTER,
                order_by=D.SEARCH_ORDER,
                max_results=D.SEARCH_MAX,
            )
            fluent.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            page = client.search_runs(
                [exp_id], D.SEARCH_FILTER, max_results=D.SEARCH_MAX, order_by=D.SEARCH_ORDER
            )
            cl.append(time.perf_counter() - t0)
        return {
            "runs_in_experiment": self.n_runs,
            "filter": D.SEARCH_FILTER,
            "order_by": D.SEARCH_ORDER,
            "max_results": D.SEARCH_MAX,
            "fluent_search_runs_median_ms": D.median_ms(fluent),
            "fluent_search_runs_all_ms": D.ms_list(fluent),
            "fluent_rows_returned": len(df),
            "client_search_runs_median_ms": D.median_ms(cl),
            "client_search_runs_all_ms": D.ms_list(cl),
            "client_runs_returned": len(page.items),
        }

    def verify_search(self):
        page = self.client.search_runs(
            [self.search_exp_id], D.SEARCH_FILTER, max_results=D.SEARCH_MAX, order_by=D.SEARCH_ORDER
        )
        m0 = [r.data.metrics["m0"] for r in page.items]
        p1 = [r.data.params.get("p1") for r in page.items]
        return {
            "returned": len(m0),
            "m0": m0,
            "p1": p1,
            "filter_and_order_ok": D.check_search(m0, p1),
        }

    def _history(self, run_id, key):
        return D.time_history(lambda: self.client.get_metric_history(run_id, key))

    def history_2k(self):
        return self._history(self.single_run_id, "loss")

    def history_100k(self):
        exp_id = self.cairn.set_experiment("bench-history").experiment_id
        run_id = self.client.create_run(exp_id, run_name="history-100k").info.run_id
        Metric = self.Metric
        batches = [[Metric(*p) for p in b] for b in D.history_batches()]
        t0 = time.perf_counter()
        for batch in batches:
            self.client.log_batch(run_id, metrics=batch)
        dt = time.perf_counter() - t0
        self.client.set_terminated(run_id)
        out = {
            "log_batch_calls": len(batches),
            "points": D.HISTORY_POINTS,
            "log_seconds": round(dt, 3),
            "log_points_per_s": round(D.HISTORY_POINTS / dt, 1),
        }
        out.update(self._history(run_id, D.HISTORY_KEY))
        return out

    def bulk_load(self, n_total):
        """Insert runs straight into cairn's SQLite tables until the experiment has ``n_total``.

        Runs, params (``value_num`` NULL: 'v0'..'v2' are not numbers) and latest metrics follow
        the database's own columns (``PRAGMA table_info``), so the loader keeps up with schema
        changes. The metric history goes in whichever form the store has: per-point rows in
        ``metrics`` (``audit_seq`` 0, ``pos`` = index), or ``metric_chunks`` rows built by the
        store's own ``chunk_rows`` (audit seq 0); if neither fits, history is left out (search
        reads only ``latest_metrics``) and the result says so. No audit events are written:
        the audit chain of this benchmark store does not cover the bulk-loaded runs.
        """
        n = n_total - self.n_runs
        exp = self.client.get_experiment(self.search_exp_id)
        ids, pvals, mvals = D.bulk_runs(n)
        exp_id = int(self.search_exp_id)
        location = exp.artifact_location.rstrip("/")
        now = int(time.time() * 1000)
        tables = ["runs", "params", "latest_metrics"]
        columns = _table_columns(self.db_path, tables)
        existing = _tables(self.db_path)
        history, history_rows = "none: history rows left out", None
        if "metrics" in existing:
            cols = _table_columns(self.db_path, ["metrics"])["metrics"]
            if {"run_uuid", "key", "value", "step", "timestamp"} <= set(cols):
                columns["metrics"] = cols
                history = "metrics (one row per point)"

                def history_rows(rid, points):
                    return [
                        dict(
                            run_uuid=rid,
                            key=k,
                            value=v,
                            is_nan=0,
                            timestamp=ts,
                            step=st,
                            audit_seq=0,
                            pos=j,
                        )
                        for j, (k, v, ts, st) in enumerate(points)
                    ]
        elif "metric_chunks" in existing:
            try:
                from cairn.store.sql.chunks import CHUNK_COLUMNS, chunk_rows
            except ImportError:
                pass
            else:
                columns["metric_chunks"] = list(CHUNK_COLUMNS)
                history = "metric_chunks (cairn.store.sql.chunks.chunk_rows, audit seq 0)"
                Metric = self.Metric

                def history_rows(rid, points):
                    return [
                        dict(zip(CHUNK_COLUMNS, row, strict=True))
                        for row in chunk_rows(rid, [Metric(*p) for p in points], 0)
                    ]

        tables = list(columns)

        def rows(lo, hi):
            out = {k: [] for k in tables}
            for i in range(lo, hi):
                rid = ids[i]
                out["runs"].append(
                    {
                        "run_uuid": rid,
                        "name": f"bulk-{i}",
                        "experiment_id": exp_id,
                        "user_id": "bench",
                        "status": "FINISHED",
                        "start_time": now + i,
                        "end_time": now + i + 1,
                        "lifecycle_stage": "active",
                        "deleted_time": None,
                        "artifact_uri": f"{location}/{rid}/artifacts",
                        "parent_run_uuid": None,
                    }
                )
                pv, mv = pvals[i].tolist(), mvals[i].tolist()
                for j in range(D.PARAMS_PER_RUN):
                    out["params"].append(
                        {"run_uuid": rid, "key": f"p{j}", "value": f"v{pv[j]}", "value_num": None}
                    )
                points = [(f"m{j}", mv[j], D.BASE_TS, 0) for j in range(D.METRICS_PER_RUN)]
                for k, v, ts, st in points:
                    out["latest_metrics"].append(
                        {
                            "run_uuid": rid,
                            "key": k,
                            "value": v,
                            "is_nan": 0,
                            "timestamp": ts,
                            "step": st,
                        }
                    )
                if history_rows is not None:
                    out[tables[-1]].extend(history_rows(rid, points))
            return {k: [tuple(r[c] for c in columns[k]) for r in v] for k, v in out.items()}

        statements = {
            k: f"INSERT INTO {k} ({', '.join(chr(34) + c + chr(34) for c in columns[k])}) "
            f"VALUES ({', '.join('?' * len(columns[k]))})"
            for k in tables
        }
        result = D.bulk_insert(str(self.db_path), statements, n, rows)
        self.n_runs += n
        result.update(
            {
                "bulk_loaded": True,
                "runs_inserted": n,
                "total_runs_in_experiment": self.n_runs,
                "history_written_as": history,
                "columns": columns,
            }
        )
        return result


_BULK_FILLED = {
    "runs": {
        "run_uuid",
        "name",
        "experiment_id",
        "user_id",
        "status",
        "start_time",
        "end_time",
        "lifecycle_stage",
        "deleted_time",
        "artifact_uri",
        "parent_run_uuid",
    },
    "params": {"run_uuid", "key", "value", "value_num"},
    "metrics": {"run_uuid", "key", "value", "is_nan", "timestamp", "step", "audit_seq", "pos"},
    "latest_metrics": {"run_uuid", "key", "value", "is_nan", "timestamp", "step"},
}


def _tables(db_path: Path) -> set[str]:
    conn = sqlite3.connect(str(db_path))
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def _table_columns(db_path: Path, tables) -> dict[str, list[str]]:
    """The columns the bulk loader fills in each table, from the database's own schema."""
    conn = sqlite3.connect(str(db_path))
    try:
        out = {}
        for table in tables:
            info = conn.execute(f"PRAGMA table_info({table})").fetchall()
            cols = []
            for _cid, name, _type, notnull, default, pk in info:
                if name in _BULK_FILLED[table]:
                    cols.append(name)
                elif notnull and default is None and not (pk == 1 and _type.upper() == "INTEGER"):
                    raise RuntimeError(
                        f"cairn's {table} table has a NOT NULL column {name!r} that the benchmark's "
                        "bulk loader does not know; teach CairnSide.bulk_load about it"
                    )
            out[table] = cols
        return out
    finally:
        conn.close()


def run_cairn(workdir: Path, quick: bool, profile_dir: Path | None) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["CAIRN_SPOOL_DIR"] = str(workdir / "spool")
    os.environ.pop("CAIRN_TRACKING_URI", None)
    cwd = os.getcwd()
    os.chdir(workdir)  # nothing of the run lands in the repo
    t_start = time.perf_counter()
    try:
        side = CairnSide(workdir)
        sec = Sections("cairn", profile_dir)

        def search_at(n):
            sec.run(f"search_runs_{n}", side.search)
            sec.run(f"search_runs_{n}_verify", side.verify_search)

        sec.run("store_init", side.store_init)
        sec.run("single_metric_calls", side.single_metrics)
        sec.run("param_calls", side.params)
        sec.run("single_metric_calls_with_end_run", side.single_metrics_with_end_run)
        sec.run("batch_metrics", side.batch_metrics)
        n_target = D.N_RUNS_QUICK if quick else D.N_RUNS_LARGE
        block = 0
        while side.n_runs < n_target:
            block += 1
            if sec.run(f"create_runs_block_{block:02d}", side.create_runs, D.RUN_BLOCK) is None:
                break
            if side.n_runs in (D.N_RUNS_SMALL, D.N_RUNS_LARGE):
                search_at(side.n_runs)
        sec.run("get_metric_history_2k", side.history_2k)
        sec.run("history_100k", side.history_100k)
        if (
            not quick
            and side.n_runs == D.N_RUNS_LARGE
            and sec.run("bulk_load_100k", side.bulk_load, D.N_RUNS_BULK_TOTAL)
        ):
            search_at(side.n_runs)
    finally:
        os.chdir(cwd)
    return {
        "tool": "cairn",
        "tracking_uri": side.uri,
        "quick": quick,
        "results": sec.results,
        "errors": sec.errors,
        "total_wall_s": round(time.perf_counter() - t_start, 3),
    }


def run_mlflow(py: Path, workdir: Path, quick: bool, use_anchor: bool) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "mlflow-result.json"
    cmd = [
        str(py),
        str(HERE / "_mlflow_tracking.py"),
        f"sqlite:///{workdir}/mlflow.db",
        "--workdir",
        str(workdir),
        "--out",
        str(out),
    ]
    if quick:
        cmd.append("--quick")
    if use_anchor and ANCHOR.is_file():
        cmd += ["--anchor", str(ANCHOR)]
        progress(f"mlflow: running the anchor's workload functions from {ANCHOR}")
    else:
        progress("mlflow: running benchmarks/_mlflow_tracking.py's own workload functions")
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true")
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, env=env, stdout=sys.stderr).returncode
    progress(f"mlflow: subprocess finished rc={rc} in {time.perf_counter() - t0:.1f}s")
    if not out.exists():
        return {
            "tool": "mlflow",
            "results": {},
            "errors": {"subprocess": f"exit code {rc}, no JSON"},
        }
    return json.loads(out.read_text())


# -- the report ---------------------------------------------------------------------------------


def _get(d: dict | None, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def _ratio(c, m, higher_better: bool):
    if c is None or m is None or c == 0 or m == 0:
        return None
    r = c / m if higher_better else m / c
    return round(r, 3 if r < 10 else 1)


def build_workloads(cairn: dict, mlflow: dict | None, imports: dict) -> dict:
    cr, mr = cairn.get("results", {}), (mlflow or {}).get("results", {})
    rows: dict = {}

    def add(name, unit, higher_better, path_c, path_m=None, note=None, src_c=None, src_m=None):
        c = _get(src_c if src_c is not None else cr, *path_c)
        m = (
            _get(src_m if src_m is not None else mr, *(path_m or path_c))
            if mlflow is not None
            else None
        )
        row = {
            "cairn": c,
            "mlflow": m,
            "unit": unit,
            "ratio": _ratio(c, m, higher_better),
            "better": "higher" if higher_better else "lower",
        }
        if note:
            row["note"] = note
        rows[name] = row

    add(
        "single_log_metric",
        "calls/s",
        True,
        ("single_metric_calls", "calls_per_s"),
        note="2,000 fluent log_metric calls in one run; cairn's call returns once the point is in "
        "its local spool file, the store gets it asynchronously",
    )
    add(
        "single_log_metric_incl_end_run",
        "calls/s",
        True,
        ("single_metric_calls_with_end_run", "calls_per_s"),
        note="the same 2,000 calls in a new run, timed together with end_run() (cairn: everything "
        "shipped to the store)",
    )
    add(
        "log_param",
        "calls/s",
        True,
        ("param_calls", "calls_per_s"),
        note="100 fluent log_param calls",
    )
    add(
        "log_batch_metrics",
        "points/s",
        True,
        ("batch_metrics", "points_per_s"),
        note="20 client log_batch calls x 1,000 metrics (bm0..bm9)",
    )
    blocks = sorted(k for k in cr if k.startswith("create_runs_block_"))
    for k in blocks:
        n = int(k.rsplit("_", 1)[1])
        add(
            f"create_runs_{(n - 1) * D.RUN_BLOCK}_to_{n * D.RUN_BLOCK}",
            "runs/s",
            True,
            (k, "runs_per_s"),
            note="per run: create_run + log_batch(10 params, 10 metrics) + set_terminated"
            if n == 1
            else None,
        )
    if len(blocks) >= 2:
        first, last = blocks[0], blocks[-1]
        c_sl = (
            _get(cr, last, "runs_per_s") / _get(cr, first, "runs_per_s")
            if _get(cr, first, "runs_per_s") and _get(cr, last, "runs_per_s")
            else None
        )
        m_sl = (
            _get(mr, last, "runs_per_s") / _get(mr, first, "runs_per_s")
            if mlflow is not None and _get(mr, first, "runs_per_s") and _get(mr, last, "runs_per_s")
            else None
        )
        rows["create_runs_last_block_vs_first"] = {
            "cairn": round(c_sl, 3) if c_sl else None,
            "mlflow": round(m_sl, 3) if m_sl else None,
            "unit": "fraction of the first block's runs/s",
            "ratio": _ratio(c_sl, m_sl, True),
            "better": "higher",
            "note": f"{last} / {first}",
        }
    for k in sorted(
        (k for k in cr if k.startswith("search_runs_") and not k.endswith("_verify")),
        key=lambda s: int(s.rsplit("_", 1)[1]),
    ):
        n = int(k.rsplit("_", 1)[1])
        bulk = n > D.N_RUNS_LARGE
        note = (
            f"filter {D.SEARCH_FILTER!r}, order by {D.SEARCH_ORDER[0]}, 100 results, median of "
            f"{D.SEARCH_REPS}" + ("; runs past 10,000 bulk-loaded by SQL inserts" if bulk else "")
        )
        add(
            f"search_runs_{n}",
            "ms",
            False,
            (k, "client_search_runs_median_ms"),
            note="client search_runs (list of runs); " + note,
        )
        add(
            f"search_runs_{n}_dataframe",
            "ms",
            False,
            (k, "fluent_search_runs_median_ms"),
            note="fluent search_runs (pandas DataFrame)",
        )
        if bulk:
            rows[f"search_runs_{n}"]["bulk_loaded"] = True
            rows[f"search_runs_{n}_dataframe"]["bulk_loaded"] = True
        reps = _get(mr, k, "repetitions")
        if mlflow is not None and reps is not None and reps < D.SEARCH_REPS:
            for name in (f"search_runs_{n}", f"search_runs_{n}_dataframe"):
                rows[name]["mlflow_repetitions"] = reps
                rows[name]["note"] = (
                    rows[name].get("note", "") + f"; MLflow: median of {reps} "
                    "(its repetitions stop after 300 s)"
                )
    add(
        "metric_history_2k",
        "ms",
        False,
        ("get_metric_history_2k", "median_ms"),
        note="client get_metric_history of the 2,000-point metric, median of 5",
    )
    add(
        "metric_history_100k",
        "ms",
        False,
        ("history_100k", "iterated_median_ms"),
        note="client get_metric_history of a 100,000-point metric and one pass reading every "
        "point's value, median of 5",
    )
    add(
        "metric_history_100k_call_only",
        "ms",
        False,
        ("history_100k", "median_ms"),
        note="the get_metric_history call alone (cairn returns a lazy sequence over packed arrays, "
        "MLflow a list of Metric objects)",
    )
    add(
        "log_batch_100k_history",
        "points/s",
        True,
        ("history_100k", "log_points_per_s"),
        note="logging that metric: 100 log_batch calls x 1,000 points of one key",
    )
    ic, im = imports.get("cairn"), imports.get("mlflow")
    add(
        "import",
        "ms",
        False,
        ("import_minus_bare_ms",),
        src_c=ic,
        src_m=im,
        note="fresh `python -c 'import X'` minus bare interpreter, median of 5",
    )
    add(
        "import_x_importtime",
        "ms",
        False,
        ("x_importtime_cumulative_median_ms",),
        src_c=ic,
        src_m=im,
        note="cumulative of the top-level module in `python -X importtime`",
    )
    add(
        "first_use_fresh_store",
        "ms",
        False,
        ("first_use", "fresh_store_median_ms"),
        src_c=ic,
        src_m=im,
        note="fresh process: import, set_tracking_uri(new SQLite), start_run(), end_run()",
    )
    add(
        "first_use_existing_store",
        "ms",
        False,
        ("first_use", "existing_store_median_ms"),
        src_c=ic,
        src_m=im,
        note="the same, on a store that exists already",
    )
    if mlflow is None:
        for row in rows.values():
            row["mlflow"] = None
            row["ratio"] = None
    return rows


def build_checks(cairn: dict, mlflow: dict | None) -> dict:
    checks = {}
    cr, mr = cairn.get("results", {}), (mlflow or {}).get("results", {})
    for k in cr:
        if not k.endswith("_verify"):
            continue
        n = int(k.split("_")[2])
        n_api = min(n, D.N_RUNS_LARGE)
        expected = D.expected_search(n_api, n - n_api)
        c = cr[k]
        m = mr.get(k) if mlflow is not None else None
        entry = {
            "runs_in_experiment": n,
            "bulk_loaded": n > D.N_RUNS_LARGE,
            "runs_matching_filter_in_data": expected["matching_runs"],
            "expected_returned": len(expected["top_m0"]),
            "cairn_returned": c["returned"],
            "cairn_matches_expected": c["m0"] == expected["top_m0"] and c["filter_and_order_ok"],
        }
        if m is not None:
            entry.update(
                {
                    "mlflow_returned": m["returned"],
                    "mlflow_matches_expected": m["m0"] == expected["top_m0"]
                    and m["filter_and_order_ok"],
                    "same_results_as_mlflow": c["m0"] == m["m0"],
                }
            )
        checks[f"search_runs_{n}"] = entry
    return checks


def build_targets(rows: dict, have_mlflow: bool) -> dict:
    t: dict = {}

    def ratio_target(name, row_name, need, what):
        row = rows.get(row_name) or {}
        r = row.get("ratio")
        t[name] = {
            "target": f"{what} >= {need}x MLflow's",
            "value": r,
            "met": (r >= need) if (have_mlflow and r is not None) else None,
        }

    def abs_target(name, row_name, limit, what):
        row = rows.get(row_name)
        if row is None:
            t[name] = {
                "target": f"{what} < {limit} ms",
                "value": None,
                "met": None,
                "note": "not measured (--quick?)",
            }
            return
        v = row.get("cairn")
        t[name] = {
            "target": f"{what} < {limit} ms",
            "value": v,
            "met": (v < limit) if v is not None else None,
        }

    ratio_target("single_log_metric_50x", "single_log_metric", 50, "single log_metric calls/s")
    incl = rows.get("single_log_metric_incl_end_run", {}).get("ratio")
    t["single_log_metric_50x"]["incl_end_run"] = {
        "value": incl,
        "met": (incl >= 50) if (have_mlflow and incl is not None) else None,
    }
    ratio_target("log_batch_10x", "log_batch_metrics", 10, "batched metric points/s")
    ratio_target("create_runs_10x", "create_runs_0_to_1000", 10, "runs/s (first 1,000 runs)")
    slow = rows.get("create_runs_last_block_vs_first")
    if slow is not None and "create_runs_9000_to_10000" in rows:
        v = slow["cairn"]
        t["create_runs_no_slowdown"] = {
            "target": f"runs/s of the 9,000..10,000 block >= {NO_SLOWDOWN_MIN:.0%} of the first block's "
            "(no slowdown as the experiment grows; allowance for a noisy machine)",
            "value": v,
            "met": (v >= NO_SLOWDOWN_MIN) if v is not None else None,
        }
    else:
        t["create_runs_no_slowdown"] = {
            "target": "last 1,000-run block as fast as the first (10,000 runs)",
            "value": slow["cairn"] if slow else None,
            "met": None,
            "note": "not measured up to 10,000 runs (--quick?)",
        }
    abs_target("search_10k_under_50ms", "search_runs_10000", 50, "search_runs over 10,000 runs")
    abs_target(
        "search_100k_under_200ms", "search_runs_100000", 200, "search_runs over 100,000 runs"
    )
    abs_target(
        "history_100k_under_100ms",
        "metric_history_100k",
        100,
        "get_metric_history of 100,000 points",
    )
    abs_target("import_under_150ms", "import", 150, "import cairn (minus bare interpreter)")
    return t


def git_state() -> dict:
    """The repo's HEAD and whether src/ has uncommitted changes (cairn is installed editable)."""
    out: dict = {"commit": None, "src_uncommitted_changes": None}
    try:
        out["commit"] = (
            subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
            ).stdout.strip()
            or None
        )
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        out["src_uncommitted_changes"] = bool(dirty)
    except OSError:
        pass
    return out


def versions(mlflow: dict | None, git_start: dict, git_after_cairn: dict) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    def v(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    out = {
        "cairn": v("cairn"),
        "cairn_git_commit": git_start["commit"],
        "cairn_src_uncommitted_changes": git_start["src_uncommitted_changes"],
        "cairn_git_commit_after_cairn_phase": git_after_cairn["commit"],
        "cairn_python": platform.python_version(),
        "cairn_sqlalchemy": v("sqlalchemy"),
        "cairn_numpy": v("numpy"),
        "cairn_pandas": v("pandas"),
        "sqlite": sqlite3.sqlite_version,
    }
    if mlflow is not None:
        out.update(
            {
                f"mlflow_side_{k}" if k != "mlflow" else k: val
                for k, val in (mlflow.get("versions") or {}).items()
            }
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--quick",
        action="store_true",
        help="up to 2,000 runs: no growth to 10,000 and no 100,000-run search",
    )
    ap.add_argument("--skip-mlflow", action="store_true", help="cairn figures only (ratios null)")
    ap.add_argument(
        "--workdir",
        help="scratch folder for the stores (default: a new temp folder "
        "under $CAIRN_BENCH_DIR); its cairn/ and mlflow/ subfolders are replaced",
    )
    ap.add_argument("--keep", action="store_true", help="keep the scratch stores afterwards")
    ap.add_argument("--out", help="also write the JSON to this file")
    ap.add_argument(
        "--no-anchor",
        action="store_true",
        help="use _mlflow_tracking.py's own MLflow workload even if the anchor is there",
    )
    ap.add_argument(
        "--profile",
        metavar="DIR",
        help="profile each cairn section with cProfile into DIR (slows cairn down)",
    )
    args = ap.parse_args()

    bench_dir = Path(os.environ.get("CAIRN_BENCH_DIR", "/tmp/cairn-bench"))
    bench_dir.mkdir(parents=True, exist_ok=True)
    created = args.workdir is None
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="run-", dir=bench_dir)).resolve()
    for sub in ("cairn", "mlflow", "imports"):
        shutil.rmtree(workdir / sub, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    started = now_iso()
    t_start = time.perf_counter()
    progress(f"workdir {workdir}")
    machine = machine_info()
    git_start = git_state()

    mlflow_py = None if args.skip_mlflow else ensure_mlflow_venv(bench_dir)
    imports = {"cairn": import_times(sys.executable, "cairn", workdir / "imports")}
    if mlflow_py is not None:
        imports["mlflow"] = import_times(str(mlflow_py), "mlflow", workdir / "imports")

    t0 = time.perf_counter()
    cairn_res = run_cairn(
        workdir / "cairn", args.quick, Path(args.profile).resolve() if args.profile else None
    )
    cairn_res["phase_wall_s"] = round(time.perf_counter() - t0, 1)
    machine["loadavg_after_cairn"] = [round(x, 2) for x in os.getloadavg()]
    git_after_cairn = git_state()
    mlflow_res = None
    if mlflow_py is not None:
        t0 = time.perf_counter()
        mlflow_res = run_mlflow(mlflow_py, workdir / "mlflow", args.quick, not args.no_anchor)
        mlflow_res["phase_wall_s"] = round(time.perf_counter() - t0, 1)
        machine["loadavg_after_mlflow"] = [round(x, 2) for x in os.getloadavg()]

    rows = build_workloads(cairn_res, mlflow_res, imports)
    checks = build_checks(cairn_res, mlflow_res)
    # the m0/p1 lists served the checks; keep the raw sections small
    for res in (cairn_res, mlflow_res):
        for k, v in ((res or {}).get("results") or {}).items():
            if k.endswith("_verify"):
                v.pop("m0", None)
                v.pop("p1", None)
    result = {
        "benchmark": "tracking",
        "started_utc": started,
        "finished_utc": now_iso(),
        "total_wall_s": round(time.perf_counter() - t_start, 1),
        "quick": args.quick,
        "mlflow_skipped": args.skip_mlflow,
        "mlflow_workload": None
        if mlflow_res is None
        else (
            "anchor functions: " + mlflow_res["anchor"]
            if mlflow_res.get("anchor")
            else "benchmarks/_mlflow_tracking.py"
        ),
        "ratio_definition": "ratio > 1 means cairn is better: cairn/mlflow for rates, mlflow/cairn for times",
        "machine": machine,
        "versions": versions(mlflow_res, git_start, git_after_cairn),
        "workloads": rows,
        "targets": build_targets(rows, mlflow_res is not None),
        "checks": checks,
        "errors": {"cairn": cairn_res.get("errors"), "mlflow": (mlflow_res or {}).get("errors")},
        "raw": {"cairn": cairn_res, "mlflow": mlflow_res, "imports": imports},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    if created and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    errors = cairn_res.get("errors") or (mlflow_res or {}).get("errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
