"""Multi-rank stages (``workers: N``): N processes started together with a rendezvous
environment, so that PyTorch DDP (or any framework's distributed mode) finds its peers.

Every rank gets ``MASTER_ADDR``, ``MASTER_PORT``, ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``,
plus ``CAIRN_RANK`` so cairn's fluent API tags what each rank logs (system metrics per node,
metrics from rank 0 by default). The ranks of a group live and die together: when one fails,
times out or the caller says stop, every rank's whole process tree is killed. Rank ``K``
writes ``stdout.rankK.txt`` and ``stderr.rankK.txt``; rank 0's logs are also the stage's
``stdout.txt`` and ``stderr.txt``. Process groups are those of :mod:`cairn.pipelines.process`.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cairn.errors import InvalidInput
from cairn.pipelines.executor import StageResult, StageTask
from cairn.pipelines.process import kill_group

ENV_RANK = "CAIRN_RANK"
_POLL = 0.05
_KILLED = -signal.SIGKILL


def rank_envs(
    n: int, master_addr: str, master_port: int, local_ranks: Sequence[int] | None = None
) -> list[dict[str, str]]:
    """The rendezvous environment of each of ``n`` ranks; ``local_ranks[k]`` is rank k's
    index on its own machine (default: all on one machine, ``0..n-1``)."""
    if n < 1:
        raise InvalidInput(f"a stage needs at least 1 worker, got workers: {n}")
    local = list(range(n)) if local_ranks is None else list(local_ranks)
    if len(local) != n:
        raise InvalidInput(f"{n} ranks need {n} local ranks, got {len(local)}: {local}")
    return [
        {
            "MASTER_ADDR": master_addr,
            "MASTER_PORT": str(master_port),
            "RANK": str(rank),
            "WORLD_SIZE": str(n),
            "LOCAL_RANK": str(local[rank]),
            ENV_RANK: str(rank),
        }
        for rank in range(n)
    ]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on at ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class GroupOutcome:
    """How a group of rank processes ended: the first failing rank's code (0 when all
    succeeded), whether the timeout killed them, or why they were stopped."""

    returncode: int | None
    duration: float
    timed_out: bool = False
    failed_rank: int | None = None
    error: str | None = None


def run_rank_group(
    cmd: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    envs: Sequence[Mapping[str, str]],
    log_dir: Path,
    timeout: float | None = None,
    stop: Callable[[], str | None] | None = None,
) -> GroupOutcome:
    """Run ``cmd`` through the shell once per entry of ``envs`` (added to ``env``), each in
    its own session, and wait for all of them. The first rank that fails, the timeout, or a
    reason returned by ``stop()`` kills every rank's process tree."""
    log_dir.mkdir(parents=True, exist_ok=True)
    ranks = [int(extra.get(ENV_RANK, index)) for index, extra in enumerate(envs)]
    ranked = any(ENV_RANK in extra for extra in envs)
    start = time.monotonic()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for rank, extra in zip(ranks, envs, strict=True):
            procs.append(_spawn(cmd, cwd, {**env, **extra}, log_dir, rank, ranked))
        outcome = _wait(procs, ranks, start, timeout, stop)
    finally:
        _kill_all(procs)
    if ranked and 0 in ranks:
        for stream in ("stdout", "stderr"):
            shutil.copyfile(log_dir / f"{stream}.rank0.txt", log_dir / f"{stream}.txt")
    return outcome


def run_ranks(
    task: StageTask,
    env: Mapping[str, str],
    cwd: Path,
    stop: Callable[[], str | None] | None = None,
) -> StageResult:
    """Run a ``workers: N`` stage's N ranks on this machine (rendezvous on 127.0.0.1 at a free
    port), as the local executor does; ``env`` is the stage's full environment, ``stop`` as
    for :func:`run_rank_group` (the executor closing)."""
    stage = task.stage
    envs = rank_envs(stage.workers, "127.0.0.1", free_port())
    outcome = run_rank_group(
        stage.cmd, cwd=cwd, env=env, envs=envs, log_dir=task.log_dir, timeout=stage.timeout,
        stop=stop,
    )  # fmt: skip
    return StageResult(
        name=stage.name,
        returncode=outcome.returncode,
        duration=outcome.duration,
        stdout=task.log_dir / "stdout.txt",
        stderr=task.log_dir / "stderr.txt",
        timed_out=outcome.timed_out,
        error=outcome.error,
        host=socket.gethostname(),
    )


def _spawn(
    cmd: str, cwd: Path, env: dict[str, str], log_dir: Path, rank: int, ranked: bool
) -> subprocess.Popen[bytes]:
    suffix = f".rank{rank}" if ranked else ""
    with (
        open(log_dir / f"stdout{suffix}.txt", "wb") as out,
        open(log_dir / f"stderr{suffix}.txt", "wb") as err,
    ):
        return subprocess.Popen(  # noqa: S602 - stage commands are shell commands by design
            cmd,
            shell=True,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )


def _wait(
    procs: list[subprocess.Popen[bytes]],
    ranks: list[int],
    start: float,
    timeout: float | None,
    stop: Callable[[], str | None] | None,
) -> GroupOutcome:
    """Poll the ranks until all succeeded, one failed, the timeout passed or ``stop`` says."""
    while True:
        codes = [proc.poll() for proc in procs]
        elapsed = time.monotonic() - start
        for rank, code in zip(ranks, codes, strict=True):
            if code is not None and code != 0:
                return GroupOutcome(code, elapsed, failed_rank=rank)
        if all(code == 0 for code in codes):
            return GroupOutcome(0, elapsed)
        if timeout is not None and elapsed > timeout:
            return GroupOutcome(_KILLED, elapsed, timed_out=True)
        reason = stop() if stop is not None else None
        if reason:
            return GroupOutcome(_KILLED, elapsed, error=reason)
        time.sleep(_POLL)


def _kill_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """Kill every rank's process group at once (each gets its grace period in parallel)."""
    from concurrent.futures import ThreadPoolExecutor

    if not procs:
        return
    with ThreadPoolExecutor(max_workers=len(procs)) as pool:
        list(pool.map(lambda p: kill_group(p, only_leftovers=p.poll() is not None), procs))
