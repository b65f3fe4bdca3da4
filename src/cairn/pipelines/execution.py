"""Running the stages of one pipeline run in dependency order, up to ``jobs`` at once.

A stage is judged when every upstream stage has finished, on the hashes its deps have then:
up to date -> ``skipped``; its fingerprint ran before -> outputs restored from the run cache
(``cached``); else its outputs are removed and it runs on the executor, with ``retries``
(exponential backoff from ``CAIRN_RETRY_BACKOFF`` seconds, default 1, capped at 60). Only
after it succeeded and its outs are in the data cache is its ``cairn.lock`` entry written.
A failure blocks the stages downstream of it and, without ``keep_going``, every stage not
started yet. Ctrl-C or SIGTERM kills the running stages' process trees; they are reported
failed and their lock entries stay as they were.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cairn.config import CAIRN_DIR
from cairn.errors import CairnError, DataError, InvalidState
from cairn.pipelines.executor import Executor, StageResult, StageTask
from cairn.pipelines.lockfile import Fragment, LockEntry, write_lock
from cairn.pipelines.outcome import RunReporter, StageOutcome
from cairn.pipelines.outputs import commit_outs, read_metrics, remove_paths, restore_outs
from cairn.pipelines.runcache import RunCache

if TYPE_CHECKING:
    from cairn.pipelines.fingerprint import PathHash
    from cairn.pipelines.model import Stage
    from cairn.pipelines.recording import StageRun
    from cairn.pipelines.status import Judge, Project, StageInputs

LOG_DIR = "pipeline-logs"
ENV_BACKOFF = "CAIRN_RETRY_BACKOFF"
MAX_BACKOFF = 60.0
_STOPPERS = ("failed", "blocked")


def backoff(attempt: int) -> float:
    """Seconds to wait before retrying after failed attempt number ``attempt`` (1, 2, 4 ...
    times ``CAIRN_RETRY_BACKOFF``, capped)."""
    base = float(os.environ.get(ENV_BACKOFF, "1") or 1)
    return float(min(MAX_BACKOFF, base * 2 ** (attempt - 1)))


@dataclass
class _Attempt:
    stage: Stage
    inputs: StageInputs
    reason: str
    stage_run: StageRun
    started: float
    number: int = 1
    due: float = 0.0


class Execution:
    """One run of a project's stale stages (see the module docstring)."""

    def __init__(
        self,
        project: Project,
        judge: Judge,
        executor: Executor,
        recorder: Any,
        reporter: RunReporter,
        *,
        forced: set[str],
        jobs: int,
        keep_going: bool,
    ) -> None:
        self.project = project
        self.judge = judge
        self.executor = executor
        self.recorder = recorder
        self.reporter = reporter
        self.forced = forced
        self.jobs = jobs
        self.keep_going = keep_going
        self.root = project.pipeline.root
        self.runcache = RunCache(self.root)
        self.outcomes: dict[str, StageOutcome] = {}
        self.waiting = list(project.order)
        self.in_run = set(project.order)
        self.running: dict[Future[StageResult], _Attempt] = {}
        self.retrying: list[_Attempt] = []
        self.stopped_by: str | None = None
        self.ready: dict[str, tuple[StageInputs, str]] = {}  # judged stale, waiting for room
        self._lock_fragments: dict[str, Fragment] = {}

    def run(self) -> list[StageOutcome]:
        """Run until every stage has an outcome; the outcomes in running order."""
        self.reporter.planned(self.project.order)
        previous = _raise_on_sigterm()
        try:
            self._loop()
        except KeyboardInterrupt:
            self._interrupted()
        finally:
            self.executor.close()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        return [self.outcomes[name] for name in self.project.order]

    # -- the loop ----------------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            self._launch()
            if not self.running and not self.retrying:
                return
            timeout = None
            if self.retrying:
                timeout = max(0.0, min(a.due for a in self.retrying) - time.monotonic())
            if not self.running:
                time.sleep(timeout or 0.0)
                continue
            done, _ = wait(list(self.running), timeout=timeout, return_when=FIRST_COMPLETED)
            for future in done:
                self._collect(self.running.pop(future), future.result())

    def _launch(self) -> None:
        now = time.monotonic()
        for attempt in [a for a in self.retrying if a.due <= now]:
            if len(self.running) >= self.jobs:
                break
            self.retrying.remove(attempt)
            self._submit(attempt)
        graph = self.project.graph
        for name in list(self.waiting):
            if name in self.ready and len(self.running) >= self.jobs:
                continue  # judged already, and still no room
            upstream = [u for u in graph.upstream(name) if u in self.in_run]
            if any(u not in self.outcomes for u in upstream):
                continue
            bad = [u for u in upstream if self.outcomes[u].status in _STOPPERS]
            if bad:
                verb = "failed" if self.outcomes[bad[0]].status == "failed" else "was blocked"
                self._block(name, f"upstream stage {bad[0]} {verb}")
            elif self.stopped_by is not None:
                reason = (f"not started: stage {self.stopped_by} failed (--keep-going runs the "
                          "stages that do not depend on it)")  # fmt: skip
                self._block(name, reason)
            elif not self._judge(name, room=len(self.running) < self.jobs):
                continue
            self.waiting.remove(name)

    def _judge(self, name: str, room: bool) -> bool:
        """Skip, restore or start stage ``name``; False when it must run but there is no room
        (it is then remembered as ready, not judged again)."""
        stage = self.project.pipeline.stages[name]
        if name in self.ready:
            inputs, reason = self.ready[name]
        else:
            inputs = self.judge.inputs(stage)
            reasons = ["forced"] if name in self.forced else self.judge.reasons(stage, inputs)
            if not reasons:
                run_id = self.recorder.stage_not_run(stage, status="skipped", reason="up to date")
                self._finish(StageOutcome(name, "skipped", "up to date", run_id))
                return True
            reason = "; ".join(reasons)
            if name not in self.forced and self._restore(stage, inputs, reason):
                return True
        if not room:
            self.ready[name] = (inputs, reason)
            return False
        self.ready.pop(name, None)
        stage_run = self.recorder.stage_started(stage, reason)
        self._submit(_Attempt(stage, inputs, reason, stage_run, time.monotonic()))
        return True

    def _submit(self, attempt: _Attempt) -> None:
        stage = attempt.stage
        remove_paths(self.root, stage.produced)
        for rel in stage.produced:
            self.judge.hasher.forget(rel)
            (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        task = StageTask(
            stage=stage,
            root=self.root,
            log_dir=self.root / CAIRN_DIR / LOG_DIR / stage.name,
            attempt=attempt.number,
            env=attempt.stage_run.env,
            params=attempt.inputs.params,
            dep_oids={rel: h.oid for rel, h in attempt.inputs.deps.items() if h is not None},
        )
        self.running[self.executor.submit(task)] = attempt
        self.reporter.started(stage.name, attempt.reason, attempt.number)

    # -- results -----------------------------------------------------------------------------

    def _collect(self, attempt: _Attempt, result: StageResult) -> None:
        stage = attempt.stage
        problem = None if result.ok else _failure(stage, result)
        if problem is None:
            try:
                self._record_success(attempt, result)
                return
            except CairnError as exc:
                problem = exc.message
        if attempt.number <= stage.retries:
            delay = backoff(attempt.number)
            attempt.number += 1
            attempt.due = time.monotonic() + delay
            self.retrying.append(attempt)
            self.reporter.retrying(stage.name, attempt.number, delay)
            return
        if attempt.number > 1:
            problem += f" (after {attempt.number} attempts)"
        self.recorder.stage_finished(
            attempt.stage_run, result, status="failed", attempts=attempt.number, metrics={},
            params=attempt.inputs.params, deps=_oids(attempt.inputs.deps), outs={},
        )  # fmt: skip
        if not self.keep_going and self.stopped_by is None:
            self.stopped_by = stage.name
        self._finish(self._outcome(attempt, "failed", problem))

    def _record_success(self, attempt: _Attempt, result: StageResult) -> None:
        stage = attempt.stage
        workspace = self.project.workspace
        outs = commit_outs(workspace, stage.name, stage.outs)
        metrics = self._metric_hashes(stage)
        texts = {rel: (self.root / rel).read_text("utf-8", errors="replace") for rel in metrics}
        self.runcache.put(attempt.inputs.fingerprint, outs, metrics, texts)
        self._write_entry(stage, attempt.inputs, outs, metrics)
        values = read_metrics(self.root, stage.metrics)
        self.recorder.stage_finished(
            attempt.stage_run, result, status="ran", attempts=attempt.number, metrics=values,
            params=attempt.inputs.params, deps=_oids(attempt.inputs.deps), outs=_oids(outs),
        )  # fmt: skip
        self._finish(self._outcome(attempt, "ran", attempt.reason, values))

    def _restore(self, stage: Stage, inputs: StageInputs, reason: str) -> bool:
        """Restore the outputs of an earlier run with the same fingerprint, if there was one."""
        cached = self.runcache.get(inputs.fingerprint)
        if cached is None or not all(
            self.project.workspace.cache.has(h.oid) for h in cached.outs.values()
        ):
            return False
        try:
            restore_outs(self.project.workspace, cached.outs)
        except DataError:
            return False
        for rel, text in cached.metric_texts.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for rel in stage.produced:
            self.judge.hasher.forget(rel)
        self._write_entry(stage, inputs, cached.outs, self._metric_hashes(stage))
        values = read_metrics(self.root, stage.metrics)
        run_id = self.recorder.stage_not_run(stage, status="cached", reason=reason)
        self._finish(StageOutcome(stage.name, "cached", reason, run_id, metrics=values))
        return True

    def _metric_hashes(self, stage: Stage) -> dict[str, PathHash]:
        found = {}
        for rel in stage.metrics:
            self.judge.hasher.forget(rel)
            hashed = self.judge.hasher.hash(rel)
            if hashed is None:
                raise InvalidState(f"stage {stage.name} did not write its metrics file {rel}")
            found[rel] = hashed
        return found

    def _write_entry(
        self,
        stage: Stage,
        inputs: StageInputs,
        outs: dict[str, PathHash],
        metrics: dict[str, PathHash],
    ) -> None:
        for rel, found in outs.items():
            self.judge.hasher.remember(rel, found)
        deps = {rel: h for rel, h in inputs.deps.items() if h is not None}
        entry = LockEntry(stage.cmd, inputs.fingerprint, deps, dict(inputs.params), outs, metrics)
        lock = self.project.lock
        lock[stage.name] = entry
        write_lock(self.root, lock, self.project.pipeline.stages, self._lock_fragments)

    def _outcome(
        self, attempt: _Attempt, status: str, reason: str, metrics: dict[str, float] | None = None
    ) -> StageOutcome:
        return StageOutcome(
            attempt.stage.name, status, reason, attempt.stage_run.run_id or None,
            time.monotonic() - attempt.started, attempt.number, metrics or {},
            self.root / CAIRN_DIR / LOG_DIR / attempt.stage.name,
        )  # fmt: skip

    def _block(self, name: str, reason: str) -> None:
        """Record stage ``name`` as blocked (not started because of a failure upstream)."""
        stage = self.project.pipeline.stages[name]
        run_id = self.recorder.stage_not_run(stage, status="blocked", reason=reason)
        self._finish(StageOutcome(name, "blocked", reason, run_id))

    def _finish(self, outcome: StageOutcome) -> None:
        self.outcomes[outcome.name] = outcome
        self.reporter.finished(outcome)

    def _interrupted(self) -> None:
        self.executor.close()
        for attempt in [*self.running.values(), *self.retrying]:
            self._finish(self._outcome(attempt, "failed", "interrupted"))
        self.running.clear()
        self.retrying.clear()
        for name in self.waiting:
            if name not in self.outcomes:
                self._finish(StageOutcome(name, "blocked", "interrupted"))
        self.waiting.clear()


def _failure(stage: Stage, result: StageResult) -> str:
    """Why an attempt failed, in a few words."""
    if result.timed_out:
        return f"timed out after {stage.timeout:g} s (its processes were killed)"
    if result.error:
        return result.error
    code = result.returncode
    if code is not None and code < 0:
        return f"killed by signal {-code}"
    return f"command failed with exit code {code}"


def _oids(hashes: dict[str, PathHash | None] | dict[str, PathHash]) -> dict[str, str]:
    return {rel: h.oid for rel, h in hashes.items() if h is not None}


def _raise_on_sigterm() -> Any:
    """Make SIGTERM interrupt like Ctrl-C (main thread only); the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)
