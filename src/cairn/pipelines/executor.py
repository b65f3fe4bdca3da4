"""What the runner hands an executor, and what it gets back.

The runner (:mod:`cairn.pipelines.runner`) decides *which* stages run and in what order; an
executor decides *where*: in this machine's processes (:mod:`cairn.pipelines.local`) or on a
Dask cluster (:mod:`cairn.pipelines.dask_executor`). An executor runs one attempt of one stage
per :meth:`Executor.submit`; retries, the run cache, ``cairn.lock`` and tracking stay with the
runner. When a stage's future resolves, its outputs are in the project's workspace (an
executor that ran it elsewhere has brought them back), so the runner treats every executor
alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cairn.pipelines.model import Stage

if TYPE_CHECKING:
    from concurrent.futures import Future


@dataclass(frozen=True)
class StageTask:
    """One attempt at one stage.

    ``env`` is added to the stage's own ``env`` and the caller's environment: it carries the
    tracking settings (``CAIRN_TRACKING_URI``, ``CAIRN_RUN_ID`` of the stage's run) so the
    command's own ``cairn.log_*`` calls land in the stage's run. ``log_dir`` receives
    ``stdout.txt`` and ``stderr.txt``. ``params`` are the values of the stage's param keys.
    ``dep_oids`` maps each dep path to its content hash (for executors that must ship deps).
    """

    stage: Stage
    root: Path
    log_dir: Path
    attempt: int = 1
    env: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, object] = field(default_factory=dict)
    dep_oids: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageResult:
    """How one attempt ended. ``returncode`` is None when it never started a process
    (``error`` then says why); ``timed_out`` is set when the timeout killed it."""

    name: str
    returncode: int | None
    duration: float
    stdout: Path | None = None
    stderr: Path | None = None
    timed_out: bool = False
    error: str | None = None
    host: str = ""

    @property
    def ok(self) -> bool:
        """Whether the attempt succeeded."""
        return self.returncode == 0 and not self.timed_out and self.error is None


class Executor(Protocol):
    """Runs stage attempts; see the module docstring."""

    def submit(self, task: StageTask) -> Future[StageResult]:
        """Start ``task`` and return a future of its result (never raises for a failed stage)."""
        ...

    def close(self) -> None:
        """Release workers and connections."""
        ...
