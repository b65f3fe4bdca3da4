"""The server under load and under failure, on PostgreSQL, as a real process.

50 concurrent clients log batches with zero errors and every acknowledged point stored;
a SIGKILL of the server in the middle of that load loses nothing acknowledged; a training
script keeps logging through a 20-second outage and loses nothing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field

import pytest

from cairn.entities import Metric
from cairn.errors import StoreError
from cairn.server.live import ServerProcess
from cairn.store.base import SpoolMark
from cairn.store.rest import RestStore
from cairn.testing.plugin import unique_database_name

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLIENTS = 50
BATCH = 100


@pytest.fixture
def server(postgres_cluster, tmp_path):
    uri = postgres_cluster.create_database(unique_database_name())
    process = ServerProcess(uri, str(tmp_path / "artifacts"), tmp_path / "server.log", workers=2)
    with process:
        yield process


@dataclass
class Client:
    """One logging client: its run, the batches the server acknowledged, its failures."""

    run_id: str
    spool_id: str
    acknowledged: list[int] = field(default_factory=list)
    acknowledged_at: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _log_until(url: str, client: Client, stop: threading.Event) -> None:
    """Log numbered batches until ``stop``; a batch that fails is sent again (its spool mark
    makes a replay of a batch that was stored after all a no-op)."""
    store = RestStore(url)
    batch_no = 0
    try:
        while not stop.is_set():
            first = batch_no * BATCH
            points = [Metric("m", float(s), s, s) for s in range(first, first + BATCH)]
            try:
                store.runs.log_batch(
                    client.run_id, metrics=points, spool=SpoolMark(client.spool_id, batch_no + 1)
                )
            except StoreError as exc:
                client.failures.append(f"{time.monotonic():.1f} {exc}")
                time.sleep(0.1)
                continue
            client.acknowledged.append(batch_no)
            client.acknowledged_at.append(time.monotonic())
            batch_no += 1
    finally:
        store.close()


def _run_clients(url: str, load) -> list[Client]:
    """Run CLIENTS logging threads while ``load(stop)`` runs; it sets ``stop`` when done."""
    store = RestStore(url)
    experiment = store.experiments.create_experiment(f"load-{time.monotonic_ns()}")
    clients = [
        Client(store.runs.create_run(experiment).info.run_id, f"{i:032x}") for i in range(CLIENTS)
    ]
    store.close()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_log_until, args=(url, c, stop), daemon=True) for c in clients
    ]
    for thread in threads:
        thread.start()
    try:
        load(stop)
    finally:
        stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a client hung"
    return clients


def _stored_steps(url: str, run_id: str) -> list[int]:
    with RestStore(url) as store:
        return list(store.runs.get_metric_history(run_id, "m").steps)


def test_fifty_clients_log_with_zero_errors_and_nothing_lost(server):
    clients = _run_clients(server.url, lambda stop: stop.wait(8))
    assert [f for c in clients for f in c.failures] == []
    total = 0
    for client in clients:
        expected = [s for b in client.acknowledged for s in range(b * BATCH, (b + 1) * BATCH)]
        assert _stored_steps(server.url, client.run_id) == expected
        total += len(expected)
    assert total >= CLIENTS * BATCH  # every client got batches through


def test_a_server_killed_under_load_loses_no_acknowledged_write(server):
    moments: dict[str, float] = {}

    def kill_and_restart(stop: threading.Event) -> None:
        time.sleep(4)
        moments["kill"] = time.monotonic()
        server.kill()
        time.sleep(1)
        server.start()
        moments["back"] = time.monotonic()
        time.sleep(4)

    clients = _run_clients(server.url, kill_and_restart)
    assert any(c.failures for c in clients), "the kill did not interrupt the load"
    acked = [t for c in clients for t in c.acknowledged_at]
    assert any(t < moments["kill"] for t in acked), "nothing was acknowledged before the kill"
    assert any(t > moments["back"] for t in acked), (
        f"nothing was acknowledged after the restart {moments}: "
        + repr([c.failures[-3:] for c in clients[:3]])
    )
    for client in clients:
        stored = _stored_steps(server.url, client.run_id)
        # every acknowledged batch is there, exactly once (a replayed batch is a no-op)
        assert len(stored) == len(set(stored))
        assert set(stored) >= {
            s for b in client.acknowledged for s in range(b * BATCH, (b + 1) * BATCH)
        }


def test_a_script_keeps_logging_through_a_20_second_outage(server, tmp_path):
    script = textwrap.dedent(
        """
        import time, cairn
        cairn.set_experiment("outage")
        with cairn.start_run(run_name="through-the-outage") as run:
            print(run.info.run_id, flush=True)
            cairn.log_params({"lr": 0.1})
            slowest = 0.0
            for step in range(1500):
                began = time.perf_counter()
                cairn.log_metric("loss", 1.0 / (step + 1), step=step)
                if step % 300 == 0:
                    cairn.set_tag("progress", str(step))
                slowest = max(slowest, time.perf_counter() - began)
                time.sleep(0.02)
        print(f"slowest {slowest:.3f}", flush=True)
        """
    )
    env = {
        "CAIRN_TRACKING_URI": server.url,
        "CAIRN_SPOOL_DIR": str(tmp_path / "spool"),
        "CAIRN_SPOOL_CLOSE_TIMEOUT": "60",
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run_id = proc.stdout.readline().strip()
    time.sleep(3)
    server.kill()
    time.sleep(20)
    assert proc.poll() is None, "the script stopped during the outage:\n" + proc.stderr.read()
    server.start()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    slowest = float(out.split("slowest")[1])
    assert slowest < 0.5, f"a log call blocked for {slowest} s"
    with RestStore(server.url) as store:
        run = store.runs.get_run(run_id)
        assert run.info.status == "FINISHED"
        assert run.data.params == {"lr": "0.1"}
        assert run.data.tags["progress"] == "1200"
        history = store.runs.get_metric_history(run_id, "loss")
    assert list(history.steps) == list(range(1500))
    assert not list((tmp_path / "spool").rglob("*.spool"))
