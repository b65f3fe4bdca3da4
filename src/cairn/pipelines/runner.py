"""``cairn pipeline run``: bring the outputs of a pipeline up to date, running only what is stale.

The runner loads and validates the pipeline (nothing runs when it is invalid), judges every
stage against ``cairn.lock`` (:mod:`cairn.pipelines.status`), and when something is stale,
hands the stages to :class:`cairn.pipelines.execution.Execution`, which runs them in
dependency order on an executor. A no-op re-run (every stage up to date) touches neither the
executor nor the tracking store: it records nothing, so it costs a few milliseconds a stage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.pipelines.lockfile import read_lock
from cairn.pipelines.outcome import PipelineOutcome, RunReporter, StageOutcome
from cairn.pipelines.status import Judge, Project, open_project

if TYPE_CHECKING:
    from cairn.pipelines.recording import NullRecorder, PipelineRecorder


def run_pipeline(
    root: Path,
    targets: Sequence[str] = (),
    *,
    module: str | None = None,
    force: bool = False,
    jobs: int = 1,
    keep_going: bool = False,
    dry_run: bool = False,
    executor: str = "local",
    params_override: Mapping[str, object] | None = None,
    track: bool = True,
    parent_run_id: str | None = None,
    experiment: str | None = None,
    reporter: RunReporter | None = None,
    tracking_uri: str | None = None,
) -> PipelineOutcome:
    """Run the stale stages of ``targets`` (default: all) and their stale upstream stages.

    ``force`` runs the targets (all stages when none are named) whatever their state;
    ``keep_going`` keeps running stages that do not depend on a failed one; ``dry_run`` only
    reports what would run and why. See :class:`PipelineOutcome`.
    """
    from cairn.pipelines.executors import check_executor

    check_executor(executor, jobs)
    reporter = reporter or RunReporter()
    project = open_project(
        root, targets, module=module, params_override=params_override, read_lock_file=False
    )
    try:
        forced = (
            set(project.graph.resolve(targets) if targets else project.order) if force else set()
        )
        command = "cairn pipeline run" + (" --dry-run" if dry_run else "")
        with project.workspace.lock(command, shared=dry_run):
            project.lock = read_lock(project.pipeline.root)  # as it is now that we hold the lock
            judge = Judge(project)
            plan = _plan(project, judge, forced)
            if dry_run or not any(plan.values()):
                reporter.planned(project.order)
                outcome = _without_running(plan)
                for stage in outcome.stages:
                    reporter.finished(stage)
                reporter.close()
                return outcome
            from cairn.pipelines.execution import Execution
            from cairn.pipelines.executors import make_executor

            # The executor first: a missing data remote or an unreachable scheduler is an
            # error before anything is recorded or run.
            runner = make_executor(executor, jobs=jobs, root=project.pipeline.root)
            ok = False
            try:
                recorder = _recorder(project, track, experiment, parent_run_id, tracking_uri)
                run_id = recorder.start(
                    {n: "pending" if plan[n] else "skipped" for n in project.order}
                )
            except BaseException:
                runner.close()
                raise
            try:
                execution = Execution(
                    project, judge, runner, recorder, reporter,
                    forced=forced, jobs=jobs, keep_going=keep_going,
                )  # fmt: skip
                stages = execution.run()
                ok = all(s.status not in ("failed", "blocked") for s in stages)
            finally:
                recorder.finish(ok)
                reporter.close()
            return PipelineOutcome(run_id or None, stages)
    finally:
        project.close()


def _plan(project: Project, judge: Judge, forced: set[str]) -> dict[str, list[str]]:
    """Each stage's reasons to run as things are now (upstream staleness propagated)."""
    plan: dict[str, list[str]] = {}
    for name in project.order:
        stage = project.pipeline.stages[name]
        upstream = [u for u in project.graph.upstream(name) if plan.get(u)]
        reasons = judge.reasons(stage, judge.inputs(stage), upstream)
        plan[name] = ["forced", *reasons] if name in forced else reasons
    return plan


def _without_running(plan: dict[str, list[str]]) -> PipelineOutcome:
    """The outcome of a dry run, or of a run where every stage is up to date."""
    stages = [
        StageOutcome(name, "would-run", "; ".join(reasons))
        if reasons
        else StageOutcome(name, "skipped", "up to date")
        for name, reasons in plan.items()
    ]
    return PipelineOutcome(None, stages)


def _recorder(
    project: Project,
    track: bool,
    experiment: str | None,
    parent_run_id: str | None,
    tracking_uri: str | None,
) -> PipelineRecorder | NullRecorder:
    """The tracking recorder of this run (one that records nothing when not ``track``)."""
    if not track:
        from cairn.pipelines.recording import NullRecorder

        return NullRecorder()
    from cairn.pipelines.recording import PipelineRecorder

    return PipelineRecorder(
        project.pipeline, project.graph, tracking_uri=tracking_uri, experiment=experiment,
        parent_run_id=parent_run_id,
    )  # fmt: skip
