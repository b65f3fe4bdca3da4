"""Serving benchmark: ``cairn models serve|predict`` beside ``mlflow models serve|predict`` on the
anchor's model (issue 7, item 7).

Usage (from the repo, with cairn's virtualenv, which has mlflow as a dev dependency):

    .venv/bin/python benchmarks/bench_serving.py [--anchor DIR] [--workdir DIR]
        [--seq-n 1000] [--warmup 50] [--threads 32] [--duration 20] [--k1000-n 50]
        [--rows 1000000] [--model-reps 3] [--skip-mlflow] [--quiet-max-wait S] [--out FILE]

The workload is the anchor's (``../shared/anchors/serving``): a RandomForestClassifier
(``n_estimators=100, random_state=0``) on ``make_classification(20000, 20, random_state=0)``,
features ``f0..f19``. The anchor's ``train_save.py`` writes the MLflow model folder, the
payloads and the 1,000,000-row CSV into ``WORKDIR/work`` (once; reused when present). cairn's
model is the same forest fitted again with the same seeds (the anchor's expected predictions
are checked on both servers), saved with ``cairn.sklearn.save_model`` (skops).

Phases, cairn then MLflow:

- ``serve``: the anchor's own ``phase_serve`` (start, wait for ``/ping``, the first request,
  ``--warmup`` + ``--seq-n`` sequential single-row ``/invocations`` on one keep-alive
  connection, 1,000-row requests, ``--threads`` client threads for ``--duration`` s, stop by
  PID). For MLflow it runs as the anchor's script (``bench_serving.py --phase serve``); for
  cairn the same function is called in this interpreter with only the server's command line
  swapped for ``cairn models serve MODEL --host 127.0.0.1 --port P --log-level warning
  --compile C`` (``--compile``, default ``onnx``: the forest scored through its checked ONNX
  conversion; the cache of conversions starts empty, so the start-up time includes it).
- ``predict``: batch scoring of ``--rows`` rows under ``/usr/bin/time -v`` (wall, peak RSS):
  ``cairn models predict -m MODEL -i input_N.csv -o out.parquet`` and the anchor's
  ``mlflow models predict ... -t csv --env-manager local`` (its output is JSON).
- ``model``: ``log_model`` + ``load_model`` of the fitted forest into a fresh local store, a
  new subprocess per tool, median of ``--model-reps``: ``cairn.sklearn.log_model`` /
  ``cairn.sklearn.load_model`` and ``mlflow.sklearn.log_model`` (skops, with the trusted
  types the anchor needed) / ``mlflow.sklearn.load_model``.

The client runs on the same machine as the server and competes with it for the CPUs; the
anchor records both processes' CPU time. Ratios > 1 mean cairn is better (mlflow/cairn for
times, cairn/mlflow for rates). The JSON goes to stdout, ``benchmarks/results/`` and
``benchmarks/serving-latest.json``; progress to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
LATEST = HERE / "serving-latest.json"
BIN = Path(sys.executable).parent
DEFAULT_ANCHOR = REPO.parent / "shared" / "anchors" / "serving"


def log(message: str) -> None:
    """Progress, to stderr."""
    print(f"bench_serving: {message}", file=sys.stderr, flush=True)


def load_anchor(anchor: Path) -> types.ModuleType:
    """The anchor's bench_serving.py as a module (its helpers and ``phase_serve``)."""
    spec = importlib.util.spec_from_file_location(
        "anchor_bench_serving", anchor / "bench_serving.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def env_with_bin() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def prepare(args: argparse.Namespace) -> Path:
    """The anchor's work folder (MLflow model, payloads, inputs) and cairn's model folder."""
    work = args.workdir / "work"
    if not (work / "model_info.json").exists() or not (work / f"input_{args.rows}.csv").exists():
        log("running the anchor's train_save.py")
        subprocess.run(
            [sys.executable, str(args.anchor / "train_save.py"), "--work", str(work),
             "--predict-rows", str(args.rows)],
            check=True, stdout=sys.stderr, env=env_with_bin(),
        )  # fmt: skip
    cairn_model = args.workdir / "cairn-model"
    if not (cairn_model / "MLmodel").exists():
        log("fitting the forest again and saving it with cairn.sklearn.save_model")
        code = f"""
import pandas as pd, cairn.sklearn
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
X, y = make_classification(n_samples=20000, n_features=20, random_state=0)
X = pd.DataFrame(X, columns=[f"f{{i}}" for i in range(20)])
clf = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
cairn.sklearn.save_model(clf, {str(cairn_model)!r}, input_example=X.iloc[:5])
"""
        subprocess.run([sys.executable, "-c", code], check=True, env=env_with_bin())
    return cairn_model


class _SwapPopen(types.ModuleType):
    """``subprocess`` for the anchor's module, whose ``Popen`` starts ``command`` instead."""

    def __init__(self, command: list[str]) -> None:
        super().__init__("subprocess")
        self._command = command

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    def Popen(self, cmd: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:  # noqa: N802
        return subprocess.Popen(self._command(cmd), **kwargs)


def anchor_args(args: argparse.Namespace, label: str, phase: str) -> list[str]:
    return [
        "--work", str(args.workdir / "work"), "--scratch", str(args.workdir / "scratch"),
        "--label", label, "--phase", phase, "--warmup", str(args.warmup),
        "--seq-n", str(args.seq_n), "--threads", str(args.threads),
        "--duration", str(args.duration), "--k1000-n", str(args.k1000_n),
        "--quiet-max-wait", str(args.quiet_max_wait),
        "--predict-timeout", str(args.predict_timeout),
    ]  # fmt: skip


def serve_cairn(args: argparse.Namespace, anchor: types.ModuleType, model: Path) -> dict[str, Any]:
    """The anchor's ``phase_serve`` against ``cairn models serve``."""

    def command(cmd: list[str]) -> list[str]:
        port = cmd[cmd.index("--port") + 1]
        out = [str(BIN / "cairn"), "models", "serve", str(model), "--host", "127.0.0.1",
               "--port", port, "--log-level", "warning", "--compile", args.compile]  # fmt: skip
        if "--workers" in cmd:
            out += ["--workers", cmd[cmd.index("--workers") + 1]]
        return out

    parsed = anchor_parser_args(args, "cairn")
    res: dict[str, Any] = {}
    real = anchor.subprocess
    anchor.subprocess = _SwapPopen(command)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            anchor.phase_serve(parsed, res)
    finally:
        anchor.subprocess = real
    serve = res["serve"]
    serve["command"] = " ".join(command(["--port", str(serve["port"])]))
    return serve


def anchor_parser_args(args: argparse.Namespace, label: str) -> argparse.Namespace:
    return argparse.Namespace(
        work=str(args.workdir / "work"), scratch=str(args.workdir / "scratch"), label=label,
        workers=None, port=None, startup_timeout=120.0, warmup=args.warmup, seq_n=args.seq_n,
        threads=args.threads, duration=args.duration, k1000_warmup=5, k1000_n=args.k1000_n,
        predict_timeout=args.predict_timeout, quiet_max_wait=args.quiet_max_wait,
    )  # fmt: skip


def run_anchor(args: argparse.Namespace, phase: str) -> dict[str, Any]:
    """The anchor's script for the MLflow side; its JSON result."""
    out = args.workdir / f"mlflow_{phase}.json"
    cmd = [sys.executable, str(args.anchor / "bench_serving.py"), *anchor_args(args, "mlflow", phase),
           "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, stdout=sys.stderr, env=env_with_bin(), check=False)
    if done.returncode != 0 or not out.exists():
        return {"error": f"anchor {phase} phase failed ({done.returncode})"}
    return json.loads(out.read_text())


def predict_cairn(
    args: argparse.Namespace, anchor: types.ModuleType, model: Path
) -> dict[str, Any]:
    """``cairn models predict`` of ``--rows`` rows under ``/usr/bin/time -v``."""
    n = args.rows
    source = args.workdir / "work" / f"input_{n}.csv"
    target = args.workdir / "scratch" / f"cairn_out_{n}.parquet"
    target.unlink(missing_ok=True)
    cmd = [str(BIN / "cairn"), "models", "predict", "-m", str(model), "-i", str(source),
           "-o", str(target), "--json", "--compile", args.compile]  # fmt: skip
    with contextlib.redirect_stdout(sys.stderr):
        waited, busy, quiet = anchor.cpuload.wait_quiet(max_wait=args.quiet_max_wait)
    log("running: " + " ".join(cmd))
    busy0 = anchor.cpuload.busy_seconds()
    start = time.perf_counter()
    done = subprocess.run(
        ["timeout", str(args.predict_timeout), "/usr/bin/time", "-v", *cmd],
        capture_output=True, text=True, env=env_with_bin(), check=False,
    )  # fmt: skip
    wall = time.perf_counter() - start
    r: dict[str, Any] = {
        "rows": n, "command": " ".join(cmd), "rc": done.returncode, "wall_s": wall,
        "rows_per_s": n / wall if done.returncode == 0 else None,
        "machine_busy_cpu_s": anchor.cpuload.busy_seconds() - busy0,
        "quiet_gate": {"waited_s": round(waited, 1), "busy_fraction_before": round(busy, 3),
                       "quiet": quiet},
    }  # fmt: skip
    for line in done.stderr.splitlines():
        line = line.strip()
        if line.startswith("Maximum resident set size"):
            r["peak_rss_mib"] = int(line.rsplit(":", 1)[1]) / 1024
        elif line.startswith("User time"):
            r["user_s"] = float(line.rsplit(":", 1)[1])
        elif line.startswith("System time"):
            r["sys_s"] = float(line.rsplit(":", 1)[1])
    if done.returncode == 0 and target.exists():
        import pyarrow.parquet as pq

        column = pq.read_table(target).column("prediction").to_numpy()
        r["output_n_predictions"] = len(column)
        r["output_sum_predictions"] = int(column.sum())
        r["output_bytes"] = target.stat().st_size
    else:
        r["stderr_tail"] = done.stderr[-3000:]
    log("cairn predict: " + json.dumps({k: v for k, v in r.items() if k != "stderr_tail"}))
    return r


_MODEL_CODE = {
    "cairn": """
import cairn, cairn.sklearn
cairn.set_tracking_uri("sqlite:///" + os.path.join(STORE, "cairn.db"))
with cairn.start_run():
    t = time.perf_counter(); info = cairn.sklearn.log_model(clf, name="model", input_example=X.iloc[:5])
    t_log = time.perf_counter() - t
t = time.perf_counter(); loaded = cairn.sklearn.load_model(info.model_uri); t_load = time.perf_counter() - t
""",
    "mlflow": """
import mlflow, mlflow.sklearn
mlflow.set_tracking_uri("sqlite:///" + os.path.join(STORE, "mlflow.db"))
trusted = json.load(open(INFO))["skops_trusted_types"]
with mlflow.start_run():
    t = time.perf_counter()
    info = mlflow.sklearn.log_model(clf, name="model", input_example=X.iloc[:5],
                                    skops_trusted_types=trusted)
    t_log = time.perf_counter() - t
t = time.perf_counter(); loaded = mlflow.sklearn.load_model(info.model_uri); t_load = time.perf_counter() - t
""",
}


def model_times(args: argparse.Namespace, tool: str) -> dict[str, Any]:
    """``log_model`` + ``load_model`` of the forest, each repetition in a new process and store."""
    reps = []
    for rep in range(args.model_reps):
        store = args.workdir / "scratch" / f"store-{tool}-{rep}"
        shutil.rmtree(store, ignore_errors=True)
        store.mkdir(parents=True)
        code = f"""
import json, os, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
STORE, INFO = {str(store)!r}, {str(args.workdir / "work" / "model_info.json")!r}
os.chdir(STORE)
X, y = make_classification(n_samples=20000, n_features=20, random_state=0)
X = pd.DataFrame(X, columns=[f"f{{i}}" for i in range(20)])
clf = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
{_MODEL_CODE[tool]}
same = bool((loaded.predict(X.iloc[:1000]) == clf.predict(X.iloc[:1000])).all())
print(json.dumps({{"log_model_s": t_log, "load_model_s": t_load, "total_s": t_log + t_load,
                  "same_predictions": same}}))
"""
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env_with_bin(),
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            return {"error": done.stderr[-2000:]}
        reps.append(json.loads(done.stdout.strip().splitlines()[-1]))
        log(f"{tool} log_model+load_model rep {rep + 1}: {reps[-1]}")
    return {
        **{
            k: statistics.median(r[k] for r in reps)
            for k in ("log_model_s", "load_model_s", "total_s")
        },
        "same_predictions": all(r["same_predictions"] for r in reps),
        "reps": reps,
    }


def _get(d: dict[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


# (name, path in the result, unit, better)
FIGURES = [
    ("single_row_p50", ("serve", "sequential_single_row", "p50_ms"), "ms", "lower"),
    ("single_row_p99", ("serve", "sequential_single_row", "p99_ms"), "ms", "lower"),
    ("throughput_32_clients", ("serve", "concurrent", "throughput_req_per_s"), "req/s", "higher"),
    ("latency_32_clients_p50", ("serve", "concurrent", "latency_p50_ms"), "ms", "lower"),
    ("latency_32_clients_p99", ("serve", "concurrent", "latency_p99_ms"), "ms", "lower"),
    ("server_cpu_per_request_sequential", ("serve", "sequential_single_row", "server_cpu_ms_per_request"),
     "ms", "lower"),
    ("server_cpu_per_request_32_clients", ("serve", "concurrent", "server_cpu_ms_per_request"), "ms",
     "lower"),
    ("rows1000_request_p50", ("serve", "rows1000_request", "p50_ms"), "ms", "lower"),
    ("server_startup", ("serve", "startup_s"), "s", "lower"),
    ("server_rss_idle", ("serve", "rss_idle_after_start", "total_rss_mib"), "MiB", "lower"),
    ("batch_rows_per_s", ("predict", "rows_per_s"), "rows/s", "higher"),
    ("batch_peak_rss", ("predict", "peak_rss_mib"), "MiB", "lower"),
    ("log_model", ("model", "log_model_s"), "s", "lower"),
    ("load_model", ("model", "load_model_s"), "s", "lower"),
    ("log_model_plus_load_model", ("model", "total_s"), "s", "lower"),
]  # fmt: skip


def _cpu_per_request(serve: dict[str, Any] | None) -> None:
    """Server CPU ms per answered request (the anchor's CPU figures; less noisy than wall time
    when other processes share the machine)."""
    seq, conc = _get(serve, "sequential_single_row"), _get(serve, "concurrent")
    if isinstance(seq, dict) and seq.get("n"):
        seq["server_cpu_ms_per_request"] = seq["server_cpu_s"] / seq["n"] * 1000
    if isinstance(conc, dict) and conc.get("ok_requests"):
        conc["server_cpu_ms_per_request"] = conc["server_cpu_s"] / conc["ok_requests"] * 1000


def summarise(raw: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    for tool in raw:
        _cpu_per_request(raw[tool].get("serve"))
    workloads: dict[str, Any] = {}
    for name, path, unit, better in FIGURES:
        c, m = _get(raw.get("cairn"), *path), _get(raw.get("mlflow"), *path)
        ratio = None
        if c and m:
            ratio = round(c / m if better == "higher" else m / c, 2)
        workloads[name] = {"cairn": _round(c), "mlflow": _round(m), "unit": unit,
                           "ratio": ratio, "better": better}  # fmt: skip
    p50, thr = workloads["single_row_p50"]["ratio"], workloads["throughput_32_clients"]["ratio"]
    targets = {
        "single_row_p50_3x_lower": {"target": "cairn p50 <= MLflow p50 / 3", "value": p50,
                                    "met": None if p50 is None else p50 >= 3},
        "throughput_32_clients_3x": {"target": "cairn req/s >= 3 x MLflow req/s", "value": thr,
                                     "met": None if thr is None else thr >= 3},
    }  # fmt: skip
    return workloads, targets


def _round(x: Any) -> Any:
    return round(x, 3) if isinstance(x, float) else x


def checks(raw: dict[str, dict[str, Any]], info: dict[str, Any], n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tool in raw:
        serve = raw[tool].get("serve") or {}
        out[f"{tool}_row1_prediction_ok"] = serve.get("row1_prediction_ok")
        out[f"{tool}_rows1000_predictions_ok"] = _get(serve, "rows1000_request", "predictions_ok")
        out[f"{tool}_errors"] = {
            "sequential": _get(serve, "sequential_single_row", "errors"),
            "concurrent": _get(serve, "concurrent", "errors"),
        }
        out[f"{tool}_batch_predictions"] = _get(raw[tool], "predict", "output_n_predictions")
        out[f"{tool}_model_same_predictions"] = _get(raw[tool], "model", "same_predictions")
    sums = {t: _get(raw[t], "predict", "output_sum_predictions") for t in raw}
    out["batch_sum_of_predictions"] = sums
    out["batch_same_sum"] = len(set(sums.values())) == 1 and None not in sums.values()
    out["batch_rows_expected"] = n
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--anchor", type=Path, default=DEFAULT_ANCHOR)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cairn-bench-serving"))
    parser.add_argument("--seq-n", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--k1000-n", type=int, default=50)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--predict-timeout", type=int, default=900)
    parser.add_argument("--model-reps", type=int, default=3)
    parser.add_argument(
        "--quiet-max-wait",
        type=float,
        default=60.0,
        help="before each measurement wait up to this many s for an idle machine",
    )
    parser.add_argument(
        "--compile", choices=("none", "onnx"), default="onnx",
        help="cairn's --compile for serve and predict (onnx: the checked ONNX conversion)",
    )  # fmt: skip
    parser.add_argument("--phases", default="serve,predict,model")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.anchor = args.anchor.resolve()
    (args.workdir / "scratch").mkdir(parents=True, exist_ok=True)
    # A cold cache of compiled models: the serve phase's start-up includes the conversion.
    shutil.rmtree(args.workdir / "compiled-cache", ignore_errors=True)
    os.environ["CAIRN_CACHE_DIR"] = str(args.workdir / "compiled-cache")
    phases = args.phases.split(",")
    anchor = load_anchor(args.anchor)
    cairn_model = prepare(args)
    info = json.loads((args.workdir / "work" / "model_info.json").read_text())
    raw: dict[str, dict[str, Any]] = {"cairn": {}}
    if not args.skip_mlflow:
        raw["mlflow"] = {}
    if "serve" in phases:
        raw["cairn"]["serve"] = serve_cairn(args, anchor, cairn_model)
        if not args.skip_mlflow:
            raw["mlflow"]["serve"] = run_anchor(args, "serve").get("serve")
    if "predict" in phases:
        raw["cairn"]["predict"] = predict_cairn(args, anchor, cairn_model)
        if not args.skip_mlflow:
            got = run_anchor(args, "predict").get("predict") or {}
            raw["mlflow"]["predict"] = got.get("run_1m") if args.rows == 1_000_000 else got
    if "model" in phases:
        for tool in raw:
            raw[tool]["model"] = model_times(args, tool)
    workloads, targets = summarise(raw)
    import importlib.metadata as md

    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "kernel": platform.release(), "loadavg_end": os.getloadavg()},
        "versions": {p: md.version(p) for p in ("cairn", "mlflow", "scikit-learn", "skops",
                                                  "uvicorn", "fastapi")},
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "workloads": workloads, "targets": targets,
        "checks": checks(raw, info, args.rows), "raw": raw,
    }  # fmt: skip
    text = json.dumps(result, indent=2, default=str)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"serving-{stamp}.json").write_text(text)
    (args.out or LATEST).write_text(text)


if __name__ == "__main__":
    main()
