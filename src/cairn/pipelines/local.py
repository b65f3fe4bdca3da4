"""The local executor: each stage attempt a shell command in this machine's processes, up to
``jobs`` at once (one thread per running command)."""

from __future__ import annotations

import socket
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from cairn.pipelines.executor import StageResult, StageTask
from cairn.pipelines.process import ProcessGroups, command_env


class LocalExecutor:
    """Runs stage attempts as subprocesses of this process (see :mod:`cairn.pipelines.executor`).

    A stage's command runs through the shell in ``stage.wdir`` (relative to the project root)
    with :func:`cairn.pipelines.process.command_env` plus the stage's and the task's env; its
    output goes to ``stdout.txt``/``stderr.txt`` in the task's log folder. A stage's
    ``timeout`` kills its whole process tree; :meth:`close` kills every tree still running.
    """

    def __init__(self, root: Path, *, jobs: int = 1) -> None:
        self.root = Path(root)
        self.jobs = jobs
        self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="cairn-stage")
        self._groups = ProcessGroups()

    def submit(self, task: StageTask) -> Future[StageResult]:
        """Start ``task`` on a free worker thread."""
        return self._pool.submit(self._run, task)

    def close(self) -> None:
        """Kill whatever still runs and release the threads."""
        self._groups.kill_all()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _interrupted(self) -> str | None:
        """Why a multi-rank stage must stop now: :meth:`close` was called."""
        return "interrupted" if self._groups.closed else None

    def _run(self, task: StageTask) -> StageResult:
        stage = task.stage
        cwd = task.root / stage.wdir
        task.log_dir.mkdir(parents=True, exist_ok=True)
        stdout, stderr = task.log_dir / "stdout.txt", task.log_dir / "stderr.txt"
        env = command_env(task.root, stage.env, task.env)
        started = time.monotonic()
        if not cwd.is_dir():
            return StageResult(stage.name, None, 0.0, error=f"wdir {stage.wdir} does not exist")
        if stage.workers > 1:
            from cairn.pipelines.ranks import run_ranks

            return run_ranks(task, env, cwd, stop=self._interrupted)
        code, timed_out = self._groups.run(
            stage.cmd, cwd=cwd, env=env, stdout=stdout, stderr=stderr, timeout=stage.timeout
        )
        return StageResult(
            name=stage.name,
            returncode=code,
            duration=time.monotonic() - started,
            stdout=stdout,
            stderr=stderr,
            timed_out=timed_out,
            host=socket.gethostname(),
        )
