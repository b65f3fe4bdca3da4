"""Shared pieces of push and fetch: the number of jobs and a bounded pool of transfers.

Transfers run as small tasks (one pack, one loose object, one ranged read) on a thread pool;
results are handled on the calling thread as tasks finish, so the remote index and the
progress display are only touched from one thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")


def default_jobs(local: bool) -> int:
    """Parallel transfers: a few for a local folder (the disk is the limit), 4 per core for
    network remotes (latency is)."""
    cores = os.cpu_count() or 2
    return min(4, cores + 1) if local else min(64, 4 * cores)


def run_tasks(
    tasks: Iterable[Callable[[], T]],
    jobs: int,
    on_result: Callable[[T], None],
    keep_going: Callable[[BaseException], bool] = lambda exc: False,
) -> list[BaseException]:
    """Run ``tasks`` on ``jobs`` threads, at most ``2 * jobs`` queued at a time.

    ``on_result`` sees each result on this thread. A failure for which ``keep_going`` is true
    is collected and returned; any other failure stops new tasks, lets the running ones end
    (their results still reach ``on_result``) and is raised.
    """
    failures: list[BaseException] = []
    fatal: BaseException | None = None
    source: Iterator[Callable[[], T]] = iter(tasks)
    window = max(1, jobs) * 2
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="cairn-transfer") as pool:
        running: set[Future[T]] = set()

        def refill() -> None:
            while fatal is None and len(running) < window:
                task = next(source, None)
                if task is None:
                    return
                running.add(pool.submit(task))

        refill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                running.discard(future)
                error = future.exception()
                if error is None:
                    on_result(future.result())
                elif keep_going(error):
                    failures.append(error)
                elif fatal is None:
                    fatal = error
            refill()
    if fatal is not None:
        raise fatal
    return failures
