"""Running stages on a ``dask.distributed`` cluster, with the data remote as the only thing
the client and the workers share.

For each stage attempt the client stores the deps in the project cache and pushes them to the
project's default data remote, submits the stage to a worker (:mod:`cairn.pipelines.remote_task`),
then fetches the outs the worker pushed and places them in the workspace, so when the future
resolves the outputs are where the local executor would have left them. A ``workers: N`` stage
becomes one task per worker (up to N, pinned to distinct workers), each starting its share of
the ranks, with the rendezvous at the worker running rank 0; a failing rank stops the others
through a Dask event. ``address=None`` starts a :class:`distributed.LocalCluster` of ``jobs``
single-threaded worker processes (``--executor dask-local``).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cairn.config import CAIRN_DIR
from cairn.data.remote_layout import RemoteStorage
from cairn.data.remotes import index_copy_dir
from cairn.errors import CairnError, ConfigError, InvalidInput, InvalidState
from cairn.objects.db import ObjectDB
from cairn.pipelines import shipping
from cairn.pipelines.executor import StageResult, StageTask
from cairn.pipelines.model import Stage
from cairn.pipelines.ranks import free_port, rank_envs
from cairn.pipelines.remote_task import STOPPED, RemoteOutcome, RemoteStage, run_remote
from cairn.pipelines.shipping import RemoteSpec, Shipped


class DaskExecutor:
    """An :class:`~cairn.pipelines.executor.Executor` over a Dask scheduler at ``address``
    (``tcp://HOST:PORT``), or over a new local cluster when ``address`` is None."""

    def __init__(
        self, address: str | None, *, root: Path, jobs: int, connect_timeout: float = 10.0
    ) -> None:
        if jobs < 1:
            raise InvalidInput(f"--jobs must be at least 1, got {jobs}")
        self.root = Path(root).resolve()
        self.remote = RemoteSpec.of_project(self.root)
        storage = RemoteStorage.open(self.remote.name, self.remote.url, self.root)
        self._index_dir = index_copy_dir(self.root, storage)
        self.cache = ObjectDB(self.root / CAIRN_DIR / "cache")
        self._cluster: Any = None
        self.client = self._connect(address, jobs, connect_timeout)
        self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="cairn-dask")
        self._running: set[str] = set()  # abort events of the stages running now
        self._lock = threading.Lock()

    def _connect(self, address: str | None, jobs: int, timeout: float) -> Any:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ConfigError(
                "the Dask executor needs dask.distributed: pip install 'cairn[dask]'"
            ) from exc
        if address is None:
            self._cluster = LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            return Client(self._cluster)
        if urlsplit(address).scheme != "tcp" or not urlsplit(address).port:
            raise InvalidInput(
                f"executor {address!r} is not a Dask scheduler address; use tcp://HOST:PORT "
                "(or local, dask-local)"
            )
        try:
            return Client(address, timeout=f"{timeout}s")
        except (OSError, TimeoutError) as exc:
            raise InvalidState(
                f"cannot reach the Dask scheduler at {address} ({exc}); start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS`"
            ) from exc

    def submit(self, task: StageTask) -> Future[StageResult]:
        """Ship and run ``task`` on the cluster; the future resolves once its outputs are in
        the workspace (or it failed)."""
        return self._pool.submit(self._run, task)

    def close(self) -> None:
        """Stop the stages still running (their workers kill the commands' process trees),
        then disconnect (and stop the local cluster)."""
        from distributed import Event

        with self._lock:
            running = list(self._running)
        for key in running:
            Event(key, client=self.client).set()
        self._pool.shutdown(wait=True)
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def _run(self, task: StageTask) -> StageResult:
        from distributed import KilledWorker

        start = time.monotonic()
        try:
            deps = shipping.store_paths(self.cache, self.root, task.stage.deps, task.dep_oids)
            shipping.push(self.cache, self.remote, deps, self._index_dir)
            outcomes = self._execute(task, tuple(deps))
            result = _combine(task, outcomes, time.monotonic() - start)
            outs = [shipped for outcome in outcomes for shipped in outcome.outs]
            if result.ok:
                shipping.fetch(self.cache, self.remote, outs, self._index_dir)
                shipping.place(self.cache, self.root, outs)
            return result
        except (CairnError, OSError, KilledWorker, CancelledError) as exc:
            message = exc.message if isinstance(exc, CairnError) else f"{type(exc).__name__}: {exc}"
            return StageResult(task.stage.name, None, time.monotonic() - start, error=message)

    def _execute(self, task: StageTask, deps: tuple[Shipped, ...]) -> list[RemoteOutcome]:
        """Submit the stage's task(s) and wait for every one of them."""
        stage = task.stage
        base = RemoteStage(
            name=stage.name,
            cmd=stage.cmd,
            wdir=stage.wdir,
            produced=stage.produced,
            deps=deps,
            remote=self.remote,
            env={**stage.env, **task.env},
            params=dict(task.params),
            timeout=stage.timeout,
        )
        key = f"cairn-{stage.name}-{task.attempt}-{secrets.token_hex(4)}"
        with self._lock:
            self._running.add(key)
        try:
            return self._submit_all(stage, _replace(base, abort_event=key), key)
        finally:
            with self._lock:
                self._running.discard(key)

    def _submit_all(self, stage: Stage, base: RemoteStage, key: str) -> list[RemoteOutcome]:
        """One task (a single process), or one per worker used by a multi-rank stage."""
        if stage.workers <= 1:
            return [self.client.submit(run_remote, base, key=key, pure=False).result()]
        placements = self._placements(stage.workers)
        first_address, first_host = placements[0][0], placements[0][1]
        port = self.client.run(free_port, "", workers=[first_address])[first_address]
        envs = rank_envs(stage.workers, first_host, port, _local_ranks(placements))
        futures = []
        for index, (address, _, ranks) in enumerate(placements):
            spec = _replace(base, ranks=tuple(envs[rank] for rank in ranks), keeps_outs=0 in ranks)
            futures.append(
                self.client.submit(
                    run_remote,
                    spec,
                    key=f"{key}-{index}",
                    workers=[address],
                    allow_other_workers=False,
                    pure=False,
                )
            )
        return list(self.client.gather(futures))

    def _placements(self, n: int) -> list[tuple[str, str, list[int]]]:
        """``(worker address, host, ranks)`` for up to ``n`` distinct workers, rank k on
        worker k mod (workers used); rank 0 first."""
        workers = sorted(self.client.scheduler_info(n_workers=-1)["workers"].items())
        if not workers:
            raise InvalidState("the Dask cluster has no workers; start some with `dask worker`")
        used = workers[: min(n, len(workers))]
        return [
            (address, info.get("host") or urlsplit(address).hostname or "127.0.0.1",
             list(range(index, n, len(used))))
            for index, (address, info) in enumerate(used)
        ]  # fmt: skip


def _local_ranks(placements: list[tuple[str, str, list[int]]]) -> list[int]:
    """Each rank's index among the ranks on its host."""
    local: dict[int, int] = {}
    per_host: dict[str, int] = {}
    for _, host, ranks in placements:
        for rank in ranks:
            local[rank] = per_host.get(host, 0)
            per_host[host] = local[rank] + 1
    return [local[rank] for rank in sorted(local)]


def _replace(spec: RemoteStage, **changes: object) -> RemoteStage:
    from dataclasses import replace

    return replace(spec, **changes)  # type: ignore[arg-type]


def _combine(task: StageTask, outcomes: list[RemoteOutcome], duration: float) -> StageResult:
    """One result for the stage: logs written to ``task.log_dir``, the first failure's
    code, timeout or error."""
    log_dir = task.log_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    logs: dict[str, str] = {}
    for outcome in outcomes:
        logs.update(outcome.logs)
    for name, text in logs.items():
        (log_dir / name).write_text(text, encoding="utf-8")
    for stream in ("stdout.txt", "stderr.txt"):
        if not (log_dir / stream).exists():
            (log_dir / stream).write_text("", encoding="utf-8")
    failed = [o for o in outcomes if o.returncode != 0 or o.timed_out or o.error]
    first = _first_cause(failed) if failed else outcomes[0]
    return StageResult(
        name=task.stage.name,
        returncode=first.returncode,
        duration=duration,
        stdout=log_dir / "stdout.txt",
        stderr=log_dir / "stderr.txt",
        timed_out=first.timed_out,
        error=first.error,
        host=",".join(dict.fromkeys(o.host for o in outcomes)),
    )


def _first_cause(failed: list[RemoteOutcome]) -> RemoteOutcome:
    """The failure that caused the others: one not stopped by another rank's failure."""
    causes = [o for o in failed if not (o.error or "").startswith(STOPPED)]
    return (causes or failed)[0]
