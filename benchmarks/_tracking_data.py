"""The data of the tracking benchmark, shared by the cairn and the MLflow side.

Pure Python + numpy, no tracking library: ``bench_tracking.py`` imports it in cairn's
interpreter and ``_mlflow_tracking.py`` in MLflow's virtualenv, so both tools log exactly the
same values. The main generator (seed 0) is consumed in the order of MLflow's anchor
workload (``shared/anchors/mlflow/bench_tracking.py``): 2,000 single-metric values, then 20
batches of 1,000 values, then per run 10 param choices and 10 metric values. Data that the
anchor does not have (the 100,000-point history, the bulk-loaded runs) comes from
generators of its own, so it does not shift the anchor's sequence.
"""

from __future__ import annotations

import os
import sqlite3
import time

import numpy as np

N_SINGLE_METRICS = 2000
N_PARAMS = 100
BATCH_SIZE = 1000
N_BATCHES = 20
RUN_BLOCK = 1000
N_RUNS_SMALL = 1000
N_RUNS_LARGE = 10_000
N_RUNS_QUICK = 2000
N_RUNS_BULK_TOTAL = 100_000
PARAMS_PER_RUN = 10
METRICS_PER_RUN = 10
SEARCH_REPS = 5
SEARCH_FILTER = "metrics.m0 > 0.5 and params.p1 = 'v1'"
SEARCH_ORDER = ["metrics.m0 DESC"]
SEARCH_MAX = 100
BASE_TS = 1_700_000_000_000  # fixed epoch-ms timestamp for batch-logged metrics
HISTORY_POINTS = 100_000
HISTORY_KEY = "hist"
HISTORY_BATCH = 1000  # MLflow's log_batch takes at most 1,000 metrics per call
HISTORY_SEED = 100
BULK_SEED = 2
BULK_CHUNK = 10_000


def main_rng() -> np.random.Generator:
    """The generator whose sequence both tools (and the anchor) consume in the same order."""
    return np.random.default_rng(0)


def single_values(rng: np.random.Generator) -> list[float]:
    """Values of the 2,000 single ``log_metric`` calls."""
    return rng.random(N_SINGLE_METRICS).tolist()


def batch_points(rng: np.random.Generator) -> list[list[tuple[str, float, int, int]]]:
    """20 batches of 1,000 (key, value, timestamp, step): keys bm0..bm9, steps increasing."""
    batches = []
    for c in range(N_BATCHES):
        vals = rng.random(BATCH_SIZE).tolist()
        batch = []
        for k in range(BATCH_SIZE):
            step = c * (BATCH_SIZE // 10) + k // 10
            batch.append((f"bm{k % 10}", vals[k], BASE_TS + step, step))
        batches.append(batch)
    return batches


def run_payloads(rng: np.random.Generator, n: int):
    """Per run: params p0..p9 = 'v0'..'v2', metrics m0..m9 uniform in [0, 1) at step 0."""
    payloads = []
    for _ in range(n):
        pvals = rng.integers(0, 3, PARAMS_PER_RUN).tolist()
        mvals = rng.random(METRICS_PER_RUN).tolist()
        params = [(f"p{j}", f"v{pvals[j]}") for j in range(PARAMS_PER_RUN)]
        metrics = [(f"m{j}", mvals[j], BASE_TS, 0) for j in range(METRICS_PER_RUN)]
        payloads.append((params, metrics))
    return payloads


def history_batches() -> list[list[tuple[str, float, int, int]]]:
    """100,000 points of one metric, steps 0..99,999, in batches of 1,000."""
    vals = np.random.default_rng(HISTORY_SEED).random(HISTORY_POINTS).tolist()
    return [
        [
            (HISTORY_KEY, vals[s], BASE_TS + s, s)
            for s in range(i, min(i + HISTORY_BATCH, HISTORY_POINTS))
        ]
        for i in range(0, HISTORY_POINTS, HISTORY_BATCH)
    ]


def bulk_runs(n: int):
    """``n`` extra runs for the 100,000-run search: (run ids, param choices, metric values)."""
    rng = np.random.default_rng(BULK_SEED)
    pvals = rng.integers(0, 3, (n, PARAMS_PER_RUN))
    mvals = rng.random((n, METRICS_PER_RUN))
    # Deterministic 32-hex ids that cannot collide with uuid4 hex (version nibble is not 4).
    ids = [f"b{i:031x}" for i in range(n)]
    return ids, pvals, mvals


def bulk_insert(db_path: str, statements: dict[str, str], n: int, rows_for_chunk) -> dict:
    """Insert ``n`` runs' rows with sqlite3 in one transaction, straight into the tool's tables.

    ``statements`` maps a table name to its INSERT statement; ``rows_for_chunk(lo, hi)`` returns
    a dict from table name to the row tuples of runs lo..hi-1. Returns row counts and seconds.
    """
    t0 = time.perf_counter()
    counts = dict.fromkeys(statements, 0)
    conn = sqlite3.connect(db_path, timeout=60, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        lo = 0
        while lo < n:
            hi = min(lo + BULK_CHUNK, n)
            rows = rows_for_chunk(lo, hi)
            for table, sql in statements.items():
                conn.executemany(sql, rows[table])
                counts[table] += len(rows[table])
            lo = hi
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return {
        "rows": counts,
        "seconds": round(time.perf_counter() - t0, 3),
        "db_bytes": os.path.getsize(db_path),
    }


def check_search(m0: list[float], p1: list[str]) -> bool:
    """The search results satisfy the filter and are ordered by m0 descending."""
    return (
        all(v > 0.5 for v in m0) and all(p == "v1" for p in p1) and m0 == sorted(m0, reverse=True)
    )


def expected_search(n_api_runs: int, n_bulk_runs: int = 0, k: int = SEARCH_MAX) -> dict:
    """What the search must return over the benchmark's runs, computed from the data alone.

    Replays the main generator as the workload consumes it (single values, batches, then the
    runs' payloads) and adds the bulk-loaded runs. Returns the number of matching runs and the
    m0 values of the first ``k`` in order.
    """
    rng = main_rng()
    single_values(rng)
    batch_points(rng)
    m0 = []
    for params, metrics in run_payloads(rng, n_api_runs):
        if params[1][1] == "v1" and metrics[0][1] > 0.5:
            m0.append(metrics[0][1])
    if n_bulk_runs:
        _, pvals, mvals = bulk_runs(n_bulk_runs)
        mask = (pvals[:, 1] == 1) & (mvals[:, 0] > 0.5)
        m0.extend(mvals[mask, 0].tolist())
    m0.sort(reverse=True)
    return {"matching_runs": len(m0), "top_m0": m0[:k]}


def time_history(fetch) -> dict:
    """Median of 5 calls of ``fetch()``, then of 5 calls that also read every point's value."""
    calls, iterated, n = [], [], None
    for _ in range(SEARCH_REPS):
        t0 = time.perf_counter()
        hist = fetch()
        calls.append(time.perf_counter() - t0)
        n = len(hist)
    total = 0.0
    for _ in range(SEARCH_REPS):
        t0 = time.perf_counter()
        hist = fetch()
        for m in hist:
            total += m.value
        iterated.append(time.perf_counter() - t0)
    return {
        "points_returned": n,
        "median_ms": median_ms(calls),
        "all_ms": ms_list(calls),
        "iterated_median_ms": median_ms(iterated),
        "iterated_all_ms": ms_list(iterated),
    }


def median_ms(samples_s: list[float]) -> float:
    import statistics

    return round(statistics.median(samples_s) * 1000, 2)


def ms_list(samples_s: list[float]) -> list[float]:
    return [round(s * 1000, 2) for s in samples_s]


def mono() -> float:
    """A clock that every process on the machine shares (for the concurrent clients)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def concurrent_batch_client(
    client, metric_cls, experiment_id: str, seed: int, n_batches: int
) -> int:
    """One of the concurrent clients, on either tool: make a run, say READY, wait for the
    start signal on stdin, log ``n_batches`` batches of 1,000 points, print a JSON record."""
    import json
    import sys

    run_id = client.create_run(experiment_id, run_name=f"concurrent-{seed}").info.run_id
    batches = [[metric_cls(*p) for p in b] for b in batch_points(np.random.default_rng(seed))]
    batches = batches[:n_batches]
    print("READY", flush=True)
    sys.stdin.readline()
    per_call = []
    start = mono()
    for batch in batches:
        t1 = mono()
        client.log_batch(run_id, metrics=batch)
        per_call.append(mono() - t1)
    end = mono()
    client.set_terminated(run_id)
    points = sum(len(b) for b in batches)
    record = {"run_id": run_id, "points": points, "start": start, "end": end}
    print(json.dumps(record | {"per_call_s": per_call}), flush=True)
    return 0
