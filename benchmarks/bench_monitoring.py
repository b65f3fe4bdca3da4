"""Monitoring benchmark: cairn's drift + data-quality window and Evidently's presets side by side.

Usage (from the repo, with cairn's virtualenv; Evidently's side needs
``bash scripts/evidently_venv.sh`` first):

    .venv/bin/python benchmarks/bench_monitoring.py [--workdir DIR] [--rows N]
        [--reference-rows N] [--skip-evidently] [--out FILE]

The workload is the issue's: 1,000,000 current rows x 50 columns (40 numeric, 10 categorical
of 12 text values) against 100,000 reference rows, drawn from fixed seeds (a quarter of the
columns shifted) and written as Parquet to ``--workdir`` (default
``/tmp/cairn-bench-monitoring``, reused when present). Each step runs in a fresh subprocess
that reports its own time and peak RSS (``ru_maxrss``):

- ``summary``: read the reference Parquet, build the reference summary, store its bytes;
- ``window``: read the current Parquet, load the stored summary, then time drift
  (``dataset_drift``), data quality (``data_quality``) and the whole window
  (``compute_window``: drift + data quality + segments) separately; peak RSS covers all;
- Evidently 0.7.23's ``DataDriftPreset`` and ``DataSummaryPreset`` on the same Parquet files
  (``tests/monitoring/evidently_peer.py preset``), each in its own process.

Targets (issue 8, item 8): drift + data quality < 10 s and < 1 GiB peak RSS; a new window
against a stored summary < 5 s. The JSON goes to stdout, ``benchmarks/results/`` and
``benchmarks/monitoring-latest.json``; progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
LATEST = HERE / "monitoring-latest.json"
EVIDENTLY_PYTHON = ROOT / ".venv-evidently" / "bin" / "python"
PEER = ROOT / "tests" / "monitoring" / "evidently_peer.py"
NUMERIC, CATEGORICAL = 40, 10


def log(message: str) -> None:
    """Progress, to stderr."""
    print(f"bench_monitoring: {message}", file=sys.stderr, flush=True)


def _spec() -> Any:
    from cairn.monitoring.spec import ColumnSpec, MonitorSpec

    features = [ColumnSpec(f"num_{i}", "numeric") for i in range(NUMERIC)]
    features += [ColumnSpec(f"cat_{i}", "categorical") for i in range(CATEGORICAL)]
    return MonitorSpec(name="bench", model="bench", task="regression", features=tuple(features))


def _frame(rows: int, seed: int, shifted: bool) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for i in range(NUMERIC):
        shift = 0.3 if shifted and i % 4 == 0 else 0.0
        values = rng.normal(shift, 1.0 + i / NUMERIC, rows)
        values[rng.random(rows) < 0.01] = np.nan
        columns[f"num_{i}"] = values
    labels = np.array([f"value_{k}" for k in range(12)])
    for i in range(CATEGORICAL):
        weights = np.linspace(1, 2, 12) if shifted and i % 4 == 0 else np.ones(12)
        columns[f"cat_{i}"] = labels[rng.choice(12, rows, p=weights / weights.sum())]
    return pd.DataFrame(columns)


def ensure_data(workdir: Path, rows: int, reference_rows: int) -> tuple[Path, Path]:
    """The reference and current Parquet files (made once per size)."""
    workdir.mkdir(parents=True, exist_ok=True)
    reference = workdir / f"reference-{reference_rows}.parquet"
    current = workdir / f"current-{rows}.parquet"
    if not reference.exists():
        log(f"writing {reference}")
        _frame(reference_rows, 1, shifted=False).to_parquet(reference)
    if not current.exists():
        log(f"writing {current}")
        _frame(rows, 2, shifted=True).to_parquet(current)
    return reference, current


def _rss_mib(field: str = "VmHWM") -> float:
    """This process's peak (``VmHWM``) or current (``VmRSS``) resident memory in MiB. Not
    ``ru_maxrss``: across fork + exec it keeps the parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_parquet(path: Path) -> Any:
    """The Parquet file as a DataFrame, one column at a time (``pd.read_parquet`` peaks at
    twice the frame's size, which would hide the peak of what is measured)."""
    import pandas as pd
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    columns = {
        name: parquet.read(columns=[name]).column(0).to_pandas()
        for name in parquet.schema_arrow.names
    }
    return pd.DataFrame(columns, copy=False)


def stage_summary(reference: Path, out: Path) -> dict[str, Any]:
    """Child process: build and store the reference summary."""
    from cairn.monitoring.reference import summarize

    start = time.perf_counter()
    frame = read_parquet(reference)
    read = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    data = summarize(frame, _spec()).to_bytes()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    out.write_bytes(data)
    return {
        "read_s": read,
        "summarize_s": seconds,
        "summarize_cpu_s": cpu,
        "bytes": len(data),
        "peak_rss_mib": _rss_mib(),
    }


def stage_window(current: Path, summary_path: Path) -> dict[str, Any]:
    """Child process: one window of the current rows against the stored summary."""
    from cairn.monitoring.compute import compute_window
    from cairn.monitoring.data_quality import data_quality
    from cairn.monitoring.drift import dataset_drift
    from cairn.monitoring.reference import ReferenceSummary

    spec = _spec()
    start = time.perf_counter()
    frame = read_parquet(current)
    read = time.perf_counter() - start
    after_read = _rss_mib("VmRSS")
    start = time.perf_counter()
    summary = ReferenceSummary.from_bytes(summary_path.read_bytes())
    load = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    drift = dataset_drift(summary, frame, spec)
    drift_s, drift_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    data_quality(summary, frame, spec)
    quality_s, quality_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    results = compute_window(summary, spec, frame)
    window_s, window_cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "read_parquet_s": read,
        "rss_after_read_mib": after_read,
        "load_summary_s": load,
        "drift_s": drift_s,
        "data_quality_s": quality_s,
        "drift_plus_data_quality_s": drift_s + quality_s,
        "compute_window_s": window_s,
        "cpu_s": {"drift": drift_cpu, "data_quality": quality_cpu, "compute_window": window_cpu},
        "load_average_1m": os.getloadavg()[0],
        "drifted_columns": drift["drifted_columns"],
        "problems": results["problems"],
        "peak_rss_mib": _rss_mib(),
    }


def _child(stage: str, *paths: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--stage", stage, *map(str, paths)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"stage {stage} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def evidently(preset: str, reference: Path, current: Path, workdir: Path) -> dict[str, Any]:
    """Evidently's preset in its own venv and process."""
    out = workdir / f"evidently-{preset}.json"
    numeric = ",".join(f"num_{i}" for i in range(NUMERIC))
    categorical = ",".join(f"cat_{i}" for i in range(CATEGORICAL))
    command = [str(EVIDENTLY_PYTHON), str(PEER), "preset", str(out), f"{reference},{current}"]
    command += ["--numeric", numeric, "--categorical", categorical, "--preset", preset]
    subprocess.run(command, check=True, capture_output=True)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cairn-bench-monitoring"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reference-rows", type=int, default=100_000)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--stage", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        stage, *paths = args.stage
        function = stage_summary if stage == "summary" else stage_window
        print(json.dumps(function(*map(Path, paths))))
        return
    reference, current = ensure_data(args.workdir, args.rows, args.reference_rows)
    summary_path = args.workdir / "summary.npz"
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "kernel": platform.release(),
        },
        "workload": {
            "current_rows": args.rows,
            "reference_rows": args.reference_rows,
            "numeric": NUMERIC,
            "categorical": CATEGORICAL,
        },
    }
    log("cairn: reference summary")
    result["cairn_summary"] = _child("summary", reference, summary_path)
    log("cairn: window")
    result["cairn_window"] = _child("window", current, summary_path)
    if not args.skip_evidently:
        if not EVIDENTLY_PYTHON.exists():
            raise SystemExit("Evidently venv missing: run bash scripts/evidently_venv.sh")
        for preset in ("drift", "summary"):
            log(f"evidently: {preset} preset")
            result[f"evidently_{preset}_preset"] = evidently(
                preset, reference, current, args.workdir
            )
    window = result["cairn_window"]
    result["targets"] = {
        "drift + data quality < 10 s": window["drift_plus_data_quality_s"] < 10,
        "peak RSS < 1 GiB": window["peak_rss_mib"] < 1024,
        "new window against stored summary < 5 s": window["compute_window_s"] < 5,
    }
    if not args.skip_evidently:
        evidently_s = (
            result["evidently_drift_preset"]["seconds"]
            + result["evidently_summary_preset"]["seconds"]
        )
        result["ratio_evidently_over_cairn"] = evidently_s / window["drift_plus_data_quality_s"]
    text = json.dumps(result, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"monitoring-{stamp}.json").write_text(text)
    (args.out or LATEST).write_text(text)


if __name__ == "__main__":
    main()
