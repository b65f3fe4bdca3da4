"""A real Dask cluster for the pipeline tests: `dask scheduler` and two `dask worker`
processes on 127.0.0.1, each worker in its own folders, sharing nothing with the project."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cairn.pipelines.process import kill_group
from cairn.pipelines.ranks import free_port

DASK = str(Path(sys.executable).parent / "dask")


@contextmanager
def dask_cluster(base: Path, workers: int = 2) -> Iterator[str]:
    """Start a scheduler and ``workers`` workers; yield the scheduler's address."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [_start(base / "scheduler", [DASK, "scheduler", "--host", "127.0.0.1",
                                         "--port", str(port), "--no-dashboard"])]  # fmt: skip
    try:
        for index in range(workers):
            folder = base / f"worker{index}"
            procs.append(
                _start(
                    folder,
                    [
                        DASK,
                        "worker",
                        address,
                        "--host",
                        "127.0.0.1",
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--no-nanny",
                        "--local-directory",
                        str(folder / "local"),
                    ],
                )  # fmt: skip
            )
        _wait_for_workers(address, workers, procs)
        yield address
    finally:
        for proc in reversed(procs):
            kill_group(proc, grace=5.0)


def _start(folder: Path, argv: list[str]) -> subprocess.Popen[bytes]:
    folder.mkdir(parents=True)
    with open(folder / "log.txt", "wb") as log:
        return subprocess.Popen(argv, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


def _wait_for_workers(address: str, n: int, procs: list[subprocess.Popen[bytes]]) -> None:
    from distributed import Client

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        dead = [proc.args for proc in procs if proc.poll() is not None]
        if dead:
            raise RuntimeError(f"a Dask process exited early: {dead[0]}")
        try:
            with Client(address, timeout="2s") as client:
                client.wait_for_workers(n, timeout=30)
                return
        except (OSError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"no {n} Dask workers at {address} after 60 s")
