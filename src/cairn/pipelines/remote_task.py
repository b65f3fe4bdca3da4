"""What a Dask worker runs for one stage (or for its share of a multi-rank stage's ranks).

The task gets the stage as plain data and its deps as oids: it fetches them from the data
remote into a worker-local cache, places them in a private scratch folder, writes the params
file there, runs the command (the ranks' process trees, timeout and logs of
:mod:`cairn.pipelines.ranks`), and, for the task holding rank 0, stores the outs and pushes
them to the remote. It returns the outcome, the log texts and the outs' oids; the scratch
folder is removed. A stage on a cluster sees only its declared deps and params.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cairn.errors import CairnError
from cairn.extras import backend_errors
from cairn.objects.db import ObjectDB
from cairn.pipelines import shipping
from cairn.pipelines.process import command_env
from cairn.pipelines.ranks import run_rank_group
from cairn.pipelines.shipping import RemoteSpec, Shipped

_ABORT_CHECK = 0.5
STOPPED = "stopped: another rank failed or the run was interrupted"


@dataclass(frozen=True)
class RemoteStage:
    """One task of a stage, as shipped to a worker. ``ranks`` holds the rendezvous
    environment of each rank this task starts (empty: a single plain process);
    ``keeps_outs`` marks the task whose outs count (the one running rank 0). Setting the
    Dask event ``abort_event`` kills the task's processes (a rank elsewhere failed, or the
    client is closing)."""

    name: str
    cmd: str
    wdir: str
    produced: tuple[str, ...]
    deps: tuple[Shipped, ...]
    remote: RemoteSpec
    env: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, object] = field(default_factory=dict)
    params_file: str = "params.yaml"
    timeout: float | None = None
    ranks: tuple[Mapping[str, str], ...] = ()
    keeps_outs: bool = True
    abort_event: str | None = None


@dataclass(frozen=True)
class RemoteOutcome:
    """What a task reports back: how the command ended, its logs (file name -> text) and the
    outs it stored on the remote."""

    returncode: int | None
    duration: float
    host: str
    logs: Mapping[str, str] = field(default_factory=dict)
    outs: tuple[Shipped, ...] = ()
    timed_out: bool = False
    error: str | None = None


def run_remote(spec: RemoteStage) -> RemoteOutcome:
    """Run ``spec`` in a scratch folder of this worker; see the module docstring."""
    workdir = _worker_directory()
    cache = ObjectDB(workdir / "cairn-cache")
    scratch = Path(tempfile.mkdtemp(prefix=f"cairn-{spec.name}-", dir=workdir))
    logs = Path(tempfile.mkdtemp(prefix=f"cairn-{spec.name}-logs-", dir=workdir))
    start = time.monotonic()
    host = socket.gethostname()
    expected: tuple[type[BaseException], ...] = (CairnError, OSError, *backend_errors())
    try:
        shipping.fetch(cache, spec.remote, spec.deps, None)
        shipping.place(cache, scratch, spec.deps)
        _write_params(scratch / spec.params_file, spec.params)
        cwd = scratch / spec.wdir
        cwd.mkdir(parents=True, exist_ok=True)
        outcome = run_rank_group(
            spec.cmd,
            cwd=cwd,
            env=command_env(scratch, spec.env),
            envs=list(spec.ranks) or [{}],
            log_dir=logs,
            timeout=spec.timeout,
            stop=_abort_watch(spec.abort_event),
        )
        failed = outcome.returncode != 0 or outcome.timed_out or outcome.error is not None
        if failed and spec.abort_event and spec.ranks:
            _abort(spec.abort_event)  # the other workers' ranks stop too
        outs: tuple[Shipped, ...] = ()
        if not failed and spec.keeps_outs:
            outs = tuple(shipping.store_paths(cache, scratch, spec.produced))
            shipping.push(cache, spec.remote, outs, None)
        return RemoteOutcome(
            outcome.returncode,
            outcome.duration,
            host,
            _read_logs(logs),
            outs,
            outcome.timed_out,
            outcome.error,
        )
    except expected as exc:
        if spec.abort_event and spec.ranks:
            _abort(spec.abort_event)
        message = exc.message if isinstance(exc, CairnError) else f"{type(exc).__name__}: {exc}"
        return RemoteOutcome(None, time.monotonic() - start, host, _read_logs(logs), error=message)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(logs, ignore_errors=True)


def _worker_directory() -> Path:
    """This Dask worker's local directory (its ``--local-directory``)."""
    from distributed import get_worker

    return Path(get_worker().local_directory)


def _write_params(path: Path, params: Mapping[str, object]) -> None:
    """Write the stage's params (dotted keys nested again) as the params file."""
    if not params:
        return
    tree: dict[str, object] = {}
    for key, value in params.items():
        *parents, last = key.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[last] = value  # type: ignore[index]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(tree, sort_keys=False), encoding="utf-8")


def _read_logs(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8", errors="replace") for p in folder.iterdir()}


def _abort(name: str) -> None:
    """Tell the other tasks of this stage to stop their ranks."""
    from distributed import Event

    Event(name).set()


def _abort_watch(name: str | None) -> Callable[[], str | None] | None:
    """A ``stop`` check for :func:`run_rank_group`: the stage's abort event, polled every
    half second."""
    if name is None:
        return None
    from distributed import Event

    event = Event(name)
    last = [0.0]

    def stop() -> str | None:
        now = time.monotonic()
        if now - last[0] < _ABORT_CHECK:
            return None
        last[0] = now
        return STOPPED if event.is_set() else None

    return stop
