"""Server benchmark: ``cairn server`` and ``mlflow server`` side by side, in one invocation.

Usage (from the repo, with cairn's virtualenv):

    .venv/bin/python benchmarks/bench_server.py [--quick] [--skip-mlflow] [--out FILE]
        [--workdir DIR] [--keep] [--workers N] [--no-anchor] [--profile DIR]

Both servers run as real subprocesses on 127.0.0.1 with the same backend kind (a SQLite file
on local disk, a local artifact folder served through the server: cairn's artifact proxy,
MLflow's ``--serve-artifacts``), ``--workers`` worker processes each (default 1), started and
stopped by the same code here. For each tool, one after the other:

1. start-up on a fresh database (spawn until ``GET /health`` answers 200, and until a first API
   call answers), idle memory of the process tree (RSS and PSS, children included), shutdown;
2. the search data, created off-line through the tool's own local SQL store on the database
   the server will serve (10,000 runs; creating them over HTTP would take MLflow ~35 min);
3. start-up on that existing database, and the timed client workloads over HTTP: single
   ``log_metric`` (the call rate, and the rate including ``end_run``: the points stored on the
   server), ``log_param``, ``log_batch`` from one client (anchor workload c) and from 16
   concurrent client processes, ``search_runs`` over the 10,000 runs, run creation, upload and
   download of a 100 MiB file; the MLflow client runs the anchor's own workload functions
   (``../shared/anchors/mlflow/bench_tracking.py``, via ``_mlflow_server.py``);
4. memory of the server after the workloads, shutdown, and the requests it served (from its
   access log).

cairn's client runs in this interpreter (public API: fluent functions and ``CairnClient`` with
an ``http://`` tracking URI); MLflow's in its own virtualenv (``$CAIRN_BENCH_DIR/mlflow-venv``,
shared with ``bench_tracking.py``). The JSON goes to stdout, ``benchmarks/results/`` and, after a
full run with MLflow, ``benchmarks/server-latest.json``; progress to stderr. See README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import _tracking_data as D  # noqa: E402
import bench_tracking as BT  # noqa: E402
from _mlflow_server import ARTIFACT_REPS, artifact_summary  # noqa: E402  (no MLflow import)

ANCHOR = BT.ANCHOR
RESULTS = HERE / "results"
LATEST = HERE / "server-latest.json"

SEARCH_RUNS = {"full": D.N_RUNS_LARGE, "quick": 1000}
CREATE_RUNS = {"full": D.RUN_BLOCK, "quick": 200}
CONCURRENT_CLIENTS = 16
CONCURRENT_BATCHES = {"full": 10, "quick": 5}  # per client, 1,000 points each
STARTUP_REPS = {"full": 3, "quick": 1}  # per database state (fresh, existing)
SETTLE_S = {"full": 10.0, "quick": 5.0}  # after /health, before reading idle memory
ARTIFACT_NAME = "random_100MiB.bin"
ARTIFACT_MIB = 100
START_TIMEOUT_S = 300.0
STOP_WAIT_S = 20.0  # for the process we started, after SIGTERM
GROUP_WAIT_S = 10.0  # then for the rest of its process group, before signalling the group
TARGETS = {
    "single_log_metric": 20,
    "log_batch_1_client": 3,
    "log_batch_16_clients": 3,
    "search": 5,
    "artifact": 1,
}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


progress = BT.progress


mono = D.mono


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def calibration(folder: Path) -> dict:
    """How busy the machine is right now: fixed CPU and page-cache work, timed (s).

    Taken before and after each tool's workloads, so that a phase run while another session
    was busy shows (compare the tools' figures; ratios of a disturbed phase mean little).
    """
    import hashlib

    data = os.urandom(1 << 20) * 64  # 64 MiB
    t0 = time.perf_counter()
    hashlib.sha256(data).hexdigest()
    cpu = time.perf_counter() - t0
    path = folder / "calibration.bin"
    t0 = time.perf_counter()
    with path.open("wb") as f:
        for _ in range(4):
            f.write(data[: 25 << 20])
    write = time.perf_counter() - t0
    t0 = time.perf_counter()
    with path.open("rb") as f:
        while f.read(8 << 20):
            pass
    read = time.perf_counter() - t0
    path.unlink()
    return {
        "sha256_64MiB_s": round(cpu, 3),
        "write_100MiB_s": round(write, 3),
        "read_100MiB_s": round(read, 3),
        "loadavg": loadavg(),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- processes: memory of a process tree, members of a process group --------------------------


def _proc_status(pid: int) -> dict[str, str]:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def _pss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            parts = [p.decode(errors="replace") for p in f.read().split(b"\0") if p]
    except OSError:
        return "?"
    return " ".join(parts)[:200]


def _all_pids() -> list[int]:
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


def process_tree_memory(root: int) -> dict:
    """RSS and PSS of ``root`` and all its descendants, read from /proc (MiB)."""
    children: dict[int, list[int]] = {}
    for pid in _all_pids():
        try:
            children.setdefault(int(_proc_status(pid)["PPid"]), []).append(pid)
        except (OSError, KeyError, ValueError):
            continue
    procs, todo = [], [root]
    while todo:
        pid = todo.pop()
        try:
            st = _proc_status(pid)
        except OSError:
            continue
        rss_kib = int(st.get("VmRSS", "0 kB").split()[0])
        pss = _pss_kib(pid)
        procs.append(
            {
                "pid": pid,
                "ppid": int(st["PPid"]),
                "rss_mib": round(rss_kib / 1024, 1),
                "pss_mib": round(pss / 1024, 1) if pss is not None else None,
                "cmd": _cmdline(pid),
            }
        )
        todo.extend(children.get(pid, []))
    return {
        "n_processes": len(procs),
        "total_rss_mib": round(sum(p["rss_mib"] for p in procs), 1),
        "total_pss_mib": round(sum(p["pss_mib"] or 0 for p in procs), 1),
        "processes": procs,
    }


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    found = []
    for pid in _all_pids():
        try:
            with open(f"/proc/{pid}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if rest[0] != "Z" and int(rest[2]) == pgid:
            found.append(pid)
    return found


# -- the servers ----------------------------------------------------------------------------------


class Server:
    """One server subprocess in a session (and process group) of its own."""

    def __init__(self, tool: str, cmd: list[str], folder: Path, port: int, env: dict) -> None:
        self.tool = tool
        self.cmd = cmd
        self.folder = folder
        self.port = port
        self.env = env
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = folder.parent / f"{folder.name}.server.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> dict:
        """Spawn; time until /health answers 200, then until a first API call answers."""
        import httpx

        self.folder.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=self.folder,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        with httpx.Client(timeout=5.0) as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.tool} server exited with code {self.proc.returncode} before "
                        f"answering; see {self.log_path}"
                    )
                if time.perf_counter() - t0 > START_TIMEOUT_S:
                    self.stop()
                    raise RuntimeError(f"{self.tool} server did not answer in {START_TIMEOUT_S} s")
                try:
                    if http.get(f"{self.url}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
            health_s = time.perf_counter() - t0
            if self.tool == "mlflow":
                api = http.post(
                    f"{self.url}/api/2.0/mlflow/experiments/search", json={"max_results": 1}
                )
            else:
                api = http.post(f"{self.url}/api/v1/experiments/search", json={"max_results": 1})
            api_s = time.perf_counter() - t0
        return {
            "to_health_200_s": round(health_s, 3),
            "to_first_api_answer_s": round(api_s, 3),
            "first_api_call_status": api.status_code,
            "pid": self.proc.pid,
        }

    def memory(self) -> dict:
        assert self.proc is not None
        return process_tree_memory(self.proc.pid)

    def stop(self) -> dict:
        """SIGTERM to the process we started; then its group, if anything of it is left."""
        if self.proc is None:
            return {}
        pid = self.proc.pid
        t0 = time.perf_counter()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=STOP_WAIT_S)
        main_exit = time.perf_counter() - t0 if self.proc.poll() is not None else None
        deadline = time.perf_counter() + GROUP_WAIT_S
        while group_members(pid) and time.perf_counter() < deadline:
            time.sleep(0.2)
        left = group_members(pid)
        forced = None
        if left:
            forced = {"after_s": round(time.perf_counter() - t0, 3), "processes": len(left)}
            os.killpg(pid, signal.SIGTERM)
            deadline = time.perf_counter() + 3
            while group_members(pid) and time.perf_counter() < deadline:
                time.sleep(0.1)
            if group_members(pid):
                os.killpg(pid, signal.SIGKILL)
                forced["sigkill"] = True
        if self.proc.poll() is None:
            self.proc.wait(timeout=10)
        self.proc = None
        return {
            "main_process_exit_after_sigterm_s": round(main_exit, 3) if main_exit else None,
            "group_gone_after_s": round(time.perf_counter() - t0, 3),
            "group_signalled": forced,
        }


def server_command(tool: str, folder: Path, port: int, workers: int, mlflow_py: Path | None):
    if tool == "cairn":
        exe = Path(sys.executable).parent / "cairn"
        return [
            str(exe),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{folder}/cairn.db",
            "--artifacts-destination",
            f"{folder}/artifacts",
            "--workers",
            str(workers),
        ]
    assert mlflow_py is not None
    return [
        str(mlflow_py.parent / "mlflow"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{folder}/mlflow.db",
        "--serve-artifacts",
        "--artifacts-destination",
        f"{folder}/mlartifacts",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def clean_env() -> dict:
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true")
    for name in (
        "CAIRN_TRACKING_URI",
        "CAIRN_ARTIFACT_ROOT",
        "MLFLOW_TRACKING_URI",
        "CAIRN_TRACKING_TOKEN",
        "MLFLOW_TRACKING_TOKEN",
    ):
        env.pop(name, None)
    return env


_ID = re.compile(r"/[0-9a-f]{32}(?=/|$)")
_REQUEST = re.compile(r'"([A-Z]+) (/[^ ?"]*)')


def request_counts(log_path: Path, top: int = 20) -> dict:
    """Requests the server served, by method and path (run ids shown as {run_id})."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return {}
    counts = Counter(f"{m} {_ID.sub('/{run_id}', p)}" for m, p in _REQUEST.findall(text))
    return {"total": sum(counts.values()), "by_route": dict(counts.most_common(top))}


# -- cairn: the client side (in this interpreter), off-line population, concurrent workers ------


class CairnHttpSide(BT.CairnSide):
    """bench_tracking's cairn workloads, pointed at a server's URL; plus the artifact section."""

    def __init__(self, workdir: Path, url: str) -> None:
        super().__init__(workdir)
        self.workdir = workdir
        self.uri = url

    def stored_points(self):
        """The single-metric run's points on the server, after its end_run (a check)."""
        return {"points": len(self.client.get_metric_history(self.single_run_id, "loss"))}

    def artifact(self):
        """The anchor's artifact section, ARTIFACT_REPS times: log a 100 MiB random file (a new
        run each time), download it back; medians."""
        import numpy as np

        cairn = self.cairn
        scratch = self.workdir / "scratch"
        src = scratch / "artifact-src" / ARTIFACT_NAME
        src.parent.mkdir(parents=True, exist_ok=True)
        nbytes = ARTIFACT_MIB * 1024 * 1024
        src.write_bytes(np.random.default_rng(1).bytes(nbytes))
        src_sha = _sha256(src)
        cairn.set_experiment("bench-artifact")
        reps = []
        for _ in range(ARTIFACT_REPS):
            with cairn.start_run(run_name="artifact") as run:
                t0 = time.perf_counter()
                cairn.log_artifact(str(src))
                up = time.perf_counter() - t0
            dst = scratch / "artifact-dst"
            shutil.rmtree(dst, ignore_errors=True)
            dst.mkdir(parents=True)
            t0 = time.perf_counter()
            local = self.client.download_artifacts(run.info.run_id, ARTIFACT_NAME, str(dst))
            down = time.perf_counter() - t0
            same = _sha256(Path(local)) == src_sha
            reps.append(
                {
                    "bytes": nbytes,
                    "upload_s": round(up, 3),
                    "download_s": round(down, 3),
                    "download_sha256_matches": same,
                }
            )
        shutil.rmtree(scratch, ignore_errors=True)
        return artifact_summary(reps)


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def cairn_client_phase(url: str, base: Path, n_search: int, n_create: int, profile: Path | None):
    """The timed workloads through cairn's public API against the server at ``url``."""
    import cairn
    from cairn.tracking import fluent
    from cairn.tracking.client import close_shared_stores

    folder = base / "client"
    folder.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in ("CAIRN_SPOOL_DIR", "CAIRN_TRACKING_URI")}
    os.environ["CAIRN_SPOOL_DIR"] = str(base / "spool")
    os.environ.pop("CAIRN_TRACKING_URI", None)
    cwd = os.getcwd()
    os.chdir(folder)  # nothing of the run lands in the repo (run context is read from the cwd)
    t_start = time.perf_counter()
    sec = BT.Sections("cairn", profile)
    try:
        side = CairnHttpSide(folder, url)
        sec.run("store_init", side.store_init)
        sec.run("single_metric_calls", side.single_metrics)
        sec.run("param_calls", side.params)  # ends the run: every point shipped
        sec.run("single_metric_points_stored", side.stored_points)
        sec.run("single_metric_calls_with_end_run", side.single_metrics_with_end_run)
        sec.run("batch_metrics", side.batch_metrics)
        exp = side.client.find_experiment_by_name("bench-runs")
        if exp is None:
            sec.errors["search"] = "no 'bench-runs' experiment: the database was not populated"
        else:
            side.search_exp_id, side.n_runs = exp.experiment_id, n_search
            sec.run(f"search_runs_{n_search}", side.search)
            sec.run(f"search_runs_{n_search}_verify", side.verify_search)
        side.search_exp_id = cairn.set_experiment("bench-runs-http").experiment_id
        side.n_runs = 0
        sec.run("create_runs_http", side.create_runs, n_create)
        sec.run("artifact", side.artifact)
    finally:
        os.chdir(cwd)
        try:
            fluent.reset()  # forget the server's URL and close the cached stores
        except Exception:  # noqa: BLE001 - best effort
            traceback.print_exc()
        close_shared_stores()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {
        "tool": "cairn",
        "tracking_uri": url,
        "results": sec.results,
        "errors": sec.errors,
        "total_wall_s": round(time.perf_counter() - t_start, 3),
    }


def cairn_populate(args) -> int:
    """Role ``populate``: the search runs through cairn's local SQL store (no server)."""
    workdir = Path(args.workdir)
    os.environ["CAIRN_SPOOL_DIR"] = str(workdir / "spool-populate")
    os.environ["CAIRN_ARTIFACT_ROOT"] = args.artifact_root  # what the server will give
    os.environ.pop("CAIRN_TRACKING_URI", None)
    os.chdir(workdir)
    side = BT.CairnSide(workdir)
    side.uri = args.uri
    side.cairn.set_tracking_uri(args.uri)
    side.client = side.cairn.CairnClient(args.uri)
    D.single_values(side.rng)  # the runs take the values after these, as in the anchor
    D.batch_points(side.rng)
    sec = BT.Sections("cairn")
    blocks = []
    t0 = time.perf_counter()
    while side.n_runs < args.runs:
        n = min(D.RUN_BLOCK, args.runs - side.n_runs)
        out = sec.run(f"populate_block_{len(blocks) + 1:02d}", side.create_runs, n)
        if out is None:
            break
        blocks.append(out["runs_per_s"])
    dt = time.perf_counter() - t0
    from cairn.tracking import fluent

    fluent.reset()
    result = {
        "tool": "cairn",
        "store": args.uri,
        "how": "CairnClient on the local SQLite store (SqlStore): per run create_run, "
        "log_batch(10 params, 10 metrics), set_terminated; experiment 'bench-runs'",
        "experiment_id": side.search_exp_id,
        "runs": side.n_runs,
        "seconds": round(dt, 3),
        "runs_per_s": round(side.n_runs / dt, 1) if dt else None,
        "block_runs_per_s": blocks,
        "errors": sec.errors,
    }
    Path(args.result).write_text(json.dumps(result, indent=2))
    return 1 if sec.errors else 0


def cairn_batch_worker(args) -> int:
    """Role ``batch-worker``: one concurrent client (see _mlflow_server.batch_worker)."""
    import cairn
    from cairn.entities import Metric

    client = cairn.CairnClient(tracking_uri=args.uri)
    return D.concurrent_batch_client(client, Metric, args.experiment_id, args.seed, args.batches)


# -- both tools: population, the MLflow client, concurrent clients --------------------------------


def populate(tool: str, folder: Path, n: int, mlflow_py: Path | None, use_anchor: bool) -> dict:
    """Fill the database the server will serve with ``n`` runs, through the tool's own store."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder.parent / f"populate-{tool}.json"
    env = clean_env()
    if tool == "cairn":
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--role",
            "populate",
            "--uri",
            f"sqlite:///{folder}/cairn.db",
            "--runs",
            str(n),
            "--workdir",
            str(folder.parent / "populate"),
            "--artifact-root",
            str(folder / "artifacts"),
            "--result",
            str(out),
        ]
        (folder.parent / "populate").mkdir(exist_ok=True)
    else:
        cmd = [
            str(mlflow_py),
            str(HERE / "_mlflow_server.py"),
            "populate",
            f"sqlite:///{folder}/mlflow.db",
            "--runs",
            str(n),
            "--workdir",
            str(folder),
            "--out",
            str(out),
        ]
        if use_anchor and ANCHOR.is_file():
            cmd += ["--anchor", str(ANCHOR)]
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, env=env, stdout=sys.stderr).returncode
    if not out.exists():
        raise RuntimeError(f"populating the {tool} database failed (exit code {rc})")
    result = json.loads(out.read_text())
    result["process_wall_s"] = round(time.perf_counter() - t0, 1)
    if result.get("errors"):
        raise RuntimeError(f"populating the {tool} database failed: {result['errors']}")
    return result


def mlflow_client_phase(
    py: Path, url: str, base: Path, n_search: int, n_create: int, use_anchor: bool
) -> dict:
    folder = base / "client"
    folder.mkdir(parents=True, exist_ok=True)
    out = base / "mlflow-client.json"
    cmd = [
        str(py),
        str(HERE / "_mlflow_server.py"),
        "client",
        url,
        "--search-runs",
        str(n_search),
        "--create-runs",
        str(n_create),
        "--workdir",
        str(folder),
        "--out",
        str(out),
    ]
    if use_anchor and ANCHOR.is_file():
        cmd += ["--anchor", str(ANCHOR)]
        progress(f"mlflow: the client runs the anchor's workload functions from {ANCHOR}")
    rc = subprocess.run(cmd, env=clean_env(), stdout=sys.stderr).returncode
    if not out.exists():
        return {"tool": "mlflow", "results": {}, "errors": {"client": f"exit code {rc}, no JSON"}}
    return json.loads(out.read_text())


def create_experiment(tool: str, url: str, name: str) -> str:
    """A new experiment, through the server's own REST API."""
    import httpx

    if tool == "mlflow":
        r = httpx.post(f"{url}/api/2.0/mlflow/experiments/create", json={"name": name}, timeout=60)
    else:
        r = httpx.post(f"{url}/api/v1/experiments", json={"name": name}, timeout=60)
    r.raise_for_status()
    return str(r.json()["experiment_id"])


def concurrent_batches(
    tool: str, url: str, clients: int, batches: int, base: Path, mlflow_py: Path | None, tag: str
) -> dict:
    """``clients`` processes, each logging ``batches`` x 1,000 points to a run of its own.

    Every process imports its library, creates its run and builds its batches, then says
    READY; all start on one signal. Points per second = all points / (last client's end -
    first client's start), on the machine-wide monotonic clock.
    """
    exp_id = create_experiment(tool, url, f"bench-concurrent-{tag}")
    logs = base / f"workers-{tag}.log"
    env = clean_env()
    procs = []
    with logs.open("ab") as err:
        for i in range(clients):
            seed = 1000 + i if clients > 1 else 2000
            if tool == "cairn":
                cmd = [sys.executable, str(Path(__file__).resolve()), "--role", "batch-worker"]
                cmd += ["--uri", url]
                env["CAIRN_SPOOL_DIR"] = str(base / "spool-workers")
            else:
                cmd = [str(mlflow_py), str(HERE / "_mlflow_server.py"), "batch-worker", url]
            cmd += ["--experiment-id", exp_id, "--seed", str(seed), "--batches", str(batches)]
            procs.append(
                subprocess.Popen(
                    cmd,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    env=env,
                    cwd=base,
                    text=True,
                )
            )
    try:
        t0 = time.perf_counter()
        for p in procs:
            while True:
                line = p.stdout.readline()
                if not line:
                    raise RuntimeError(f"a {tool} batch worker exited before READY; see {logs}")
                if line.strip() == "READY":
                    break
        ready_s = time.perf_counter() - t0
        go = mono()
        for p in procs:
            p.stdin.write("GO\n")
            p.stdin.flush()
        records = []
        for p in procs:
            record = None
            for line in p.stdout:
                if line.startswith("{"):
                    record = json.loads(line)
                    break
            if p.wait(timeout=600) != 0 or record is None:
                raise RuntimeError(
                    f"a {tool} batch worker failed (exit {p.returncode}); see {logs}"
                )
            records.append(record)
        all_done = mono() - go
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    points = sum(r["points"] for r in records)
    wall = max(r["end"] for r in records) - min(r["start"] for r in records)
    per_client = [r["points"] / (r["end"] - r["start"]) for r in records]
    calls = [c for r in records for c in r["per_call_s"]]
    return {
        "clients": clients,
        "batches_per_client": batches,
        "points_per_batch": D.BATCH_SIZE,
        "points": points,
        "seconds": round(wall, 3),
        "points_per_s": round(points / wall, 1),
        "per_client_points_per_s_median": round(statistics.median(per_client), 1),
        "per_call_median_ms": D.median_ms(calls),
        "per_call_max_ms": round(max(calls) * 1000, 2),
        "start_spread_s": round(
            max(r["start"] for r in records) - min(r["start"] for r in records), 3
        ),
        "go_to_all_exited_s": round(all_done, 3),
        "workers_ready_after_s": round(ready_s, 1),
    }


# -- one tool's whole phase -------------------------------------------------------------------


def run_tool(tool: str, base: Path, cfg: dict, mlflow_py: Path | None, profile: Path | None):
    """Start-up, population, workloads, memory for one tool; errors are recorded, not raised."""
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    out: dict = {"tool": tool, "errors": {}, "loadavg": {"start": loadavg()}}
    env = clean_env()
    workers = cfg["workers"]
    t_phase = time.perf_counter()

    def step(name, fn, *a):
        progress(f"{tool}: {name} ...")
        t0 = time.perf_counter()
        try:
            result = fn(*a)
        except Exception as e:  # noqa: BLE001 - record and go on
            traceback.print_exc()
            out["errors"][name] = f"{type(e).__name__}: {e}"
            result = None
        progress(f"{tool}: {name} done in {time.perf_counter() - t0:.1f}s")
        return result

    def new_server(folder: Path) -> Server:
        port = free_port()
        return Server(
            tool, server_command(tool, folder, port, workers, mlflow_py), folder, port, env
        )

    def start_settle_stop(folder: Path, keep: bool = False):
        srv = new_server(folder)
        rec = srv.start()
        time.sleep(cfg["settle_s"])
        rec["idle_memory"] = srv.memory()
        if keep:
            return rec, srv
        rec["stop"] = srv.stop()
        return rec, None

    out["server_command"] = " ".join(server_command(tool, Path("DIR"), 0, workers, mlflow_py))
    startup = {"fresh_db": [], "existing_db": []}
    out["startup"] = startup
    # 1. fresh databases
    for i in range(cfg["startup_reps"]):
        folder = base / f"fresh-{i}"
        got = step(
            f"start-up on a fresh database ({i + 1}/{cfg['startup_reps']})",
            start_settle_stop,
            folder,
        )
        if got:
            startup["fresh_db"].append(got[0])
        shutil.rmtree(folder, ignore_errors=True)
    # 2. the search data, off-line
    folder = base / "server"
    out["populate"] = step(
        f"populate {cfg['search_runs']} runs off-line",
        populate,
        tool,
        folder,
        cfg["search_runs"],
        mlflow_py,
        cfg["use_anchor"],
    )
    out["loadavg"]["after_populate"] = loadavg()
    # 3. existing database: restarts, then the server the workloads run against
    server = None
    for i in range(cfg["startup_reps"]):
        last = i == cfg["startup_reps"] - 1
        got = step(
            f"start-up on the existing database ({i + 1}/{cfg['startup_reps']})",
            start_settle_stop,
            folder,
            last,
        )
        if got:
            startup["existing_db"].append(got[0])
            server = got[1] if last else server
    if server is None:
        out["errors"]["server"] = "no server to run the workloads against"
        return out
    out["calibration"] = {"before_workloads": calibration(base)}
    try:
        n_search, n_create = cfg["search_runs"], cfg["create_runs"]
        if tool == "cairn":
            out["client"] = step(
                "client workloads",
                cairn_client_phase,
                server.url,
                base,
                n_search,
                n_create,
                profile,
            )
        else:
            out["client"] = step(
                "client workloads",
                mlflow_client_phase,
                mlflow_py,
                server.url,
                base,
                n_search,
                n_create,
                cfg["use_anchor"],
            )
        out["loadavg"]["after_client"] = loadavg()
        out["concurrent_1"] = step(
            "log_batch from 1 client process",
            concurrent_batches,
            tool,
            server.url,
            1,
            cfg["concurrent_batches"],
            base,
            mlflow_py,
            "1",
        )
        out["concurrent_16"] = step(
            f"log_batch from {CONCURRENT_CLIENTS} concurrent client processes",
            concurrent_batches,
            tool,
            server.url,
            CONCURRENT_CLIENTS,
            cfg["concurrent_batches"],
            base,
            mlflow_py,
            str(CONCURRENT_CLIENTS),
        )
        out["loadavg"]["after_concurrent"] = loadavg()
        out["calibration"]["after_workloads"] = calibration(base)
        out["memory_after_workloads"] = step("memory after the workloads", server.memory)
    finally:
        out["workload_server_stop"] = server.stop()
    out["requests_served"] = request_counts(server.log_path)
    out["db_bytes"] = sum(p.stat().st_size for p in folder.glob("*.db*") if p.is_file())
    out["phase_wall_s"] = round(time.perf_counter() - t_phase, 1)
    return out


# -- the report -----------------------------------------------------------------------------------


_get = BT._get
_ratio = BT._ratio


def _median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def summary(res: dict | None) -> dict:
    """The figures of one tool's phase, flat."""
    if res is None:
        return {}
    cr = _get(res, "client", "results") or {}
    st = res.get("startup") or {}
    fresh, existing = st.get("fresh_db") or [], st.get("existing_db") or []
    idle = [r.get("idle_memory") or {} for r in fresh + existing]
    after = res.get("memory_after_workloads") or {}
    n_search = next((k for k in cr if k.startswith("search_runs_") and k[12:].isdigit()), None)
    stops = [(r.get("stop") or {}).get("group_gone_after_s") for r in fresh + existing]
    stops.append((res.get("workload_server_stop") or {}).get("group_gone_after_s"))
    return {
        "single_log_metric": _get(cr, "single_metric_calls", "calls_per_s"),
        "single_log_metric_stored": _get(cr, "single_metric_calls_with_end_run", "calls_per_s"),
        "log_param": _get(cr, "param_calls", "calls_per_s"),
        "log_batch_1_client": _get(cr, "batch_metrics", "points_per_s"),
        "log_batch_1_client_process": _get(res, "concurrent_1", "points_per_s"),
        "log_batch_16_clients": _get(res, "concurrent_16", "points_per_s"),
        "create_runs_http": _get(cr, "create_runs_http", "runs_per_s"),
        "search_runs": _get(cr, n_search, "client_search_runs_median_ms") if n_search else None,
        "search_runs_dataframe": _get(cr, n_search, "fluent_search_runs_median_ms")
        if n_search
        else None,
        "artifact_upload": _get(cr, "artifact", "upload_MB_per_s"),
        "artifact_download": _get(cr, "artifact", "download_MB_per_s"),
        "startup_fresh_db": _median([r.get("to_health_200_s") for r in fresh]),
        "startup_existing_db": _median([r.get("to_health_200_s") for r in existing]),
        "startup_to_api_fresh_db": _median([r.get("to_first_api_answer_s") for r in fresh]),
        "rss_idle": _median([m.get("total_rss_mib") for m in idle]),
        "pss_idle": _median([m.get("total_pss_mib") for m in idle]),
        "rss_after_workloads": after.get("total_rss_mib"),
        "pss_after_workloads": after.get("total_pss_mib"),
        "server_processes": after.get("n_processes"),
        "shutdown": _median(stops),
    }


ROWS = [
    # name, unit, higher is better, note
    (
        "single_log_metric",
        "calls/s",
        True,
        "2,000 fluent log_metric calls in one run against the server: the call rate a training "
        "loop sees (cairn: the point is in the local spool file, shipped in the background)",
    ),
    (
        "single_log_metric_stored",
        "calls/s",
        True,
        "the same 2,000 calls in a new run timed together with end_run(): every point stored on "
        "the server (cairn: the spool shipped; MLflow's calls are synchronous)",
    ),
    ("log_param", "calls/s", True, "100 fluent log_param calls (cairn: spooled as well)"),
    (
        "log_batch_1_client",
        "points/s",
        True,
        "anchor workload c: 20 client log_batch calls x 1,000 metrics, one client",
    ),
    (
        "log_batch_16_clients",
        "points/s",
        True,
        f"{CONCURRENT_CLIENTS} client processes at once, each log_batch x 1,000 metrics to a run "
        "of its own; all points / (last end - first start)",
    ),
    (
        "log_batch_1_client_process",
        "points/s",
        True,
        "the 16-client workload with one client process (the scaling reference)",
    ),
    (
        "create_runs_http",
        "runs/s",
        True,
        "per run create_run + log_batch(10 params, 10 metrics) + set_terminated over HTTP",
    ),
    (
        "search_runs",
        "ms",
        False,
        f"client search_runs over the off-line populated runs, filter {D.SEARCH_FILTER!r}, order "
        f"by {D.SEARCH_ORDER[0]}, 100 results, median of {D.SEARCH_REPS}",
    ),
    ("search_runs_dataframe", "ms", False, "the same with the fluent search_runs (a DataFrame)"),
    (
        "artifact_upload",
        "MB/s",
        True,
        f"log_artifact of a 100 MiB random file (fluent), median of {ARTIFACT_REPS} (a new run each)",
    ),
    ("artifact_download", "MB/s", True, "downloading that file back, median of the same"),
    ("startup_fresh_db", "s", False, "spawn until GET /health answers 200, new database"),
    (
        "startup_existing_db",
        "s",
        False,
        "the same on the populated database (its last start serves the workloads)",
    ),
    (
        "startup_to_api_fresh_db",
        "s",
        False,
        "spawn until a first experiments search answers, new database",
    ),
    (
        "rss_idle",
        "MiB",
        False,
        "RSS of the server's process tree after start-up and a settle time (median of starts)",
    ),
    ("pss_idle", "MiB", False, "PSS of the same (shared pages split between processes)"),
    ("rss_after_workloads", "MiB", False, "RSS of the process tree after all workloads"),
    ("pss_after_workloads", "MiB", False, "PSS of the same"),
    ("server_processes", "processes", False, "processes in the server's tree"),
    (
        "shutdown",
        "s",
        False,
        "SIGTERM until the whole process group is gone (signalled after "
        f"{STOP_WAIT_S:.0f}+{GROUP_WAIT_S:.0f} s), median",
    ),
]


def build_workloads(cairn: dict | None, mlflow: dict | None, n_search: int) -> dict:
    c, m = summary(cairn), summary(mlflow)
    rows = {}
    for name, unit, higher, note in ROWS:
        key = (
            f"search_runs_{n_search}" + name[len("search_runs") :]
            if name.startswith("search_runs")
            else name
        )
        cv, mv = c.get(name), (m.get(name) if mlflow is not None else None)
        rows[key] = {
            "cairn": cv,
            "mlflow": mv,
            "unit": unit,
            "ratio": _ratio(cv, mv, higher),
            "better": "higher" if higher else "lower",
            "note": note,
        }
    return rows


def build_targets(rows: dict, have_mlflow: bool, n_search: int, quick: bool) -> dict:
    t = {}

    def target(name, row, need, what, note=None):
        r = (rows.get(row) or {}).get("ratio")
        t[name] = {
            "target": f"{what} >= {need}x MLflow's" if need != 1 else f"{what} at least MLflow's",
            "row": row,
            "value": r,
            "met": (r >= need) if (have_mlflow and r is not None) else None,
        }
        if note:
            t[name]["note"] = note

    need = TARGETS
    target(
        "single_log_metric_20x",
        "single_log_metric",
        need["single_log_metric"],
        "remote single log_metric calls/s (the call)",
    )
    target(
        "single_log_metric_stored_20x",
        "single_log_metric_stored",
        need["single_log_metric"],
        "remote single log_metric calls/s including end_run (points stored on the server)",
    )
    target(
        "log_batch_1_client_3x",
        "log_batch_1_client",
        need["log_batch_1_client"],
        "log_batch points/s, 1 client",
    )
    target(
        "log_batch_16_clients_3x",
        "log_batch_16_clients",
        need["log_batch_16_clients"],
        f"log_batch points/s, {CONCURRENT_CLIENTS} concurrent clients",
    )
    target(
        "search_10k_5x",
        f"search_runs_{n_search}",
        need["search"],
        f"search_runs latency over {n_search:,} runs",
    )
    if n_search != D.N_RUNS_LARGE:
        t["search_10k_5x"]["met"] = None
        t["search_10k_5x"]["note"] = f"measured over {n_search:,} runs (--quick), not 10,000"
    target("artifact_upload_at_least_mlflow", "artifact_upload", 1, "100 MiB upload MB/s")
    target("artifact_download_at_least_mlflow", "artifact_download", 1, "100 MiB download MB/s")
    return t


def build_checks(cairn: dict | None, mlflow: dict | None, n_search: int) -> dict:
    expected = D.expected_search(n_search)
    checks: dict = {
        "search": {
            "runs_in_experiment": n_search,
            "runs_matching_filter_in_data": expected["matching_runs"],
            "expected_returned": len(expected["top_m0"]),
        }
    }
    verify = f"search_runs_{n_search}_verify"
    got = {}
    for tool, res in (("cairn", cairn), ("mlflow", mlflow)):
        if res is None:
            continue
        v = _get(res, "client", "results", verify)
        if v is not None:
            got[tool] = v["m0"]
            checks["search"][f"{tool}_returned"] = v["returned"]
            checks["search"][f"{tool}_matches_expected"] = (
                v["m0"] == expected["top_m0"] and v["filter_and_order_ok"]
            )
        pop = res.get("populate") or {}
        checks.setdefault("populated_runs", {})[tool] = pop.get("runs")
        art = _get(res, "client", "results", "artifact", "download_sha256_matches")
        checks.setdefault("artifact_sha256_matches", {})[tool] = art
    if len(got) == 2:
        checks["search"]["same_results"] = got["cairn"] == got["mlflow"]
    stored = _get(cairn, "client", "results", "single_metric_points_stored", "points")
    checks["cairn_single_metric_points_on_server_after_end_run"] = {
        "points": stored,
        "expected": D.N_SINGLE_METRICS,
        "ok": stored == D.N_SINGLE_METRICS if stored is not None else None,
    }
    return checks


def _strip(res: dict | None) -> None:
    """The m0/p1 lists served the checks; keep the raw sections small."""
    for k, v in (_get(res, "client", "results") or {}).items():
        if k.endswith("_verify"):
            v.pop("m0", None)
            v.pop("p1", None)


def versions(mlflow_client: dict | None, git_start: dict, git_after: dict) -> dict:
    """bench_tracking's versions, plus the server stack on cairn's side."""
    from importlib.metadata import PackageNotFoundError, version

    out = BT.versions(mlflow_client, git_start, git_after)
    for name in ("fastapi", "uvicorn", "pydantic", "httpx"):
        try:
            out[f"cairn_{name}"] = version(name)
        except PackageNotFoundError:
            out[f"cairn_{name}"] = None
    return out


def result_paths(started: datetime, quick: bool) -> Path:
    stem = f"server-{started:%Y-%m-%d}" + ("-quick" if quick else "")
    path = RESULTS / f"{stem}.json"
    n = 2
    while path.exists():
        path = RESULTS / f"{stem}-{n}.json"
        n += 1
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--quick",
        action="store_true",
        help="1,000 search runs, 200 runs created over HTTP, one start-up each, "
        "5 batches per concurrent client",
    )
    ap.add_argument("--skip-mlflow", action="store_true", help="cairn figures only (ratios null)")
    ap.add_argument(
        "--workdir",
        help="scratch folder (default: a new server-* folder under "
        "$CAIRN_BENCH_DIR, removed at the end unless --keep); its cairn/ and mlflow/ "
        "subfolders are replaced",
    )
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder afterwards")
    ap.add_argument("--out", help="also write the JSON to this file")
    ap.add_argument("--workers", type=int, default=1, help="server worker processes (both tools)")
    ap.add_argument("--startup-reps", type=int, help="start-ups per database state")
    ap.add_argument(
        "--no-anchor",
        action="store_true",
        help="MLflow client: _mlflow_tracking.py's own functions, not the anchor's",
    )
    ap.add_argument(
        "--profile",
        metavar="DIR",
        help="cProfile each cairn client section into DIR (slows the cairn client)",
    )
    # internal roles (the subprocesses this script starts)
    ap.add_argument("--role", choices=["populate", "batch-worker"], help=argparse.SUPPRESS)
    ap.add_argument("--uri", help=argparse.SUPPRESS)
    ap.add_argument("--runs", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--artifact-root", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--experiment-id", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--batches", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.role == "populate":
        return cairn_populate(args)
    if args.role == "batch-worker":
        return cairn_batch_worker(args)

    mode = "quick" if args.quick else "full"
    cfg = {
        "mode": mode,
        "workers": args.workers,
        "search_runs": SEARCH_RUNS[mode],
        "create_runs": CREATE_RUNS[mode],
        "concurrent_clients": CONCURRENT_CLIENTS,
        "concurrent_batches": CONCURRENT_BATCHES[mode],
        "startup_reps": args.startup_reps or STARTUP_REPS[mode],
        "settle_s": SETTLE_S[mode],
        "use_anchor": not args.no_anchor,
        "artifact_mib": ARTIFACT_MIB,
    }
    bench_dir = Path(os.environ.get("CAIRN_BENCH_DIR", "/tmp/cairn-bench"))
    bench_dir.mkdir(parents=True, exist_ok=True)
    created = args.workdir is None
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="server-", dir=bench_dir)).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    started_dt = datetime.now(UTC)
    started = started_dt.isoformat(timespec="seconds")
    t_start = time.perf_counter()
    progress(f"workdir {workdir}")
    machine = BT.machine_info()
    git_start = BT.git_state()
    mlflow_py = None if args.skip_mlflow else BT.ensure_mlflow_venv(bench_dir)
    profile = Path(args.profile).resolve() if args.profile else None

    cairn_res = run_tool("cairn", workdir / "cairn", cfg, None, profile)
    machine["loadavg_after_cairn"] = loadavg()
    git_after = BT.git_state()
    mlflow_res = None
    if mlflow_py is not None:
        mlflow_res = run_tool("mlflow", workdir / "mlflow", cfg, mlflow_py, None)
        machine["loadavg_after_mlflow"] = loadavg()

    machine["calibration"] = {
        tool: res.get("calibration")
        for tool, res in (("cairn", cairn_res), ("mlflow", mlflow_res))
        if res is not None
    }
    n_search = cfg["search_runs"]
    rows = build_workloads(cairn_res, mlflow_res, n_search)
    checks = build_checks(cairn_res, mlflow_res, n_search)
    _strip(cairn_res)
    _strip(mlflow_res)
    mlflow_client = (mlflow_res or {}).get("client") or {}
    errors = {"cairn": cairn_res.get("errors") or {}}
    errors["cairn"].update(
        {f"client.{k}": v for k, v in (_get(cairn_res, "client", "errors") or {}).items()}
    )
    if mlflow_res is not None:
        errors["mlflow"] = dict(mlflow_res.get("errors") or {})
        errors["mlflow"].update(
            {f"client.{k}": v for k, v in (mlflow_client.get("errors") or {}).items()}
        )
    result = {
        "benchmark": "server",
        "started_utc": started,
        "finished_utc": now_iso(),
        "total_wall_s": round(time.perf_counter() - t_start, 1),
        "quick": args.quick,
        "mlflow_skipped": args.skip_mlflow,
        "config": cfg,
        "setup": {
            "backend": "SQLite file on local disk + local artifact folder, served by the server "
            "(cairn: its artifact proxy; MLflow: --serve-artifacts), 127.0.0.1",
            "cairn_server": cairn_res.get("server_command"),
            "mlflow_server": (mlflow_res or {}).get("server_command"),
            "search_data": f"{n_search:,} runs created off-line through each tool's own local SQL "
            "store on the database file before its server starts (anchor workload d: per run "
            "create_run, log_batch of 10 params + 10 metrics, set_terminated); only the search "
            "is timed over HTTP",
            "mlflow_workload": None
            if mlflow_res is None
            else (
                "anchor functions: " + mlflow_client["anchor"]
                if mlflow_client.get("anchor")
                else "benchmarks/_mlflow_tracking.py / _mlflow_server.py"
            ),
        },
        "ratio_definition": "ratio > 1 means cairn is better: cairn/mlflow for rates, "
        "mlflow/cairn for times and memory",
        "machine": machine,
        "versions": versions(mlflow_client or None, git_start, git_after),
        "workloads": rows,
        "targets": build_targets(rows, mlflow_res is not None, n_search, args.quick),
        "checks": checks,
        "errors": errors,
        "raw": {"cairn": cairn_res, "mlflow": mlflow_res},
    }
    text = json.dumps(result, indent=2)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    dated = result_paths(started_dt, args.quick)
    dated.write_text(text + "\n")
    progress(f"wrote {dated}")
    if not args.quick and mlflow_res is not None:
        LATEST.write_text(text + "\n")
        progress(f"wrote {LATEST}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    if created and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if any(errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
