"""``cairn pipeline``: run the stages of ``cairn.yaml`` (or a module of ``@cairn.stage``
functions) that are stale, and say which are stale and why.

Thin over :mod:`cairn.pipelines`: :func:`~cairn.pipelines.runner.run_pipeline` and
:func:`~cairn.pipelines.status.pipeline_status`; the live view is in
:mod:`cairn.cli.pipeline_view`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cairn.cli import LazyGroup, output
from cairn.cli.experiments import json_option

module_option = click.option(
    "-m", "--module", metavar="MODULE",
    help="Read the stages from the @cairn.stage functions of this Python module (e.g. "
    "pkg.pipeline) instead of cairn.yaml.",
)  # fmt: skip
stages_argument = click.argument("stages", nargs=-1, metavar="[STAGE]...")


class PipelineGroup(LazyGroup):
    """The ``pipeline`` group (commands of other modules may be added to :attr:`lazy`)."""

    lazy = {"dag": "cairn.cli.pipeline_graph:dag", "show": "cairn.cli.pipeline_graph:show"}


@click.group("pipeline", cls=PipelineGroup)
def pipeline() -> None:
    """Run pipelines of stages that re-run only what changed."""


def project_root() -> Path:
    """The project whose pipeline the command works on: the nearest folder upward holding
    ``.cairn/`` or ``.git`` (else the current folder)."""
    from cairn.config import find_project_root

    return find_project_root(Path.cwd())


@pipeline.command("run")
@stages_argument
@module_option
@click.option(
    "-f", "--force", is_flag=True, help="Run the named stages (default: all) even when up to date."
)
@click.option("-j", "--jobs", type=int, default=1, show_default=True, help="Stages to run at once.")
@click.option(
    "-k",
    "--keep-going",
    is_flag=True,
    help="After a failure, keep running the stages that do not depend on it.",
)
@click.option("--dry-run", is_flag=True, help="Print what would run and why; run nothing.")
@click.option(
    "--executor", default="local", show_default=True, metavar="local|dask-local|tcp://HOST:PORT",
    help="Where stages run: this machine, an in-process Dask cluster, or a Dask scheduler.",
)  # fmt: skip
@click.option(
    "--experiment",
    metavar="NAME",
    help="Experiment of the pipeline run (default: the default experiment).",
)
@click.option("--no-track", is_flag=True, help="Record no run in the tracking store.")
@json_option
@click.pass_context
def run_command(
    ctx: click.Context,
    stages: tuple[str, ...],
    module: str | None,
    force: bool,
    jobs: int,
    keep_going: bool,
    dry_run: bool,
    executor: str,
    experiment: str | None,
    no_track: bool,
    as_json: bool,
) -> None:
    """Run the stale STAGEs (default: all) and the stale stages they depend on.

    A stage is stale when its command, a dep, a param or its definition changed since
    cairn.lock recorded it, or an out is missing or modified. A stage whose inputs ran
    before is restored from the run cache instead of running. Exits 1 when a stage fails.
    """
    from cairn.cli import CliState
    from cairn.cli.pipeline_view import LineReporter, LiveReporter, summary
    from cairn.pipelines.outcome import RunReporter
    from cairn.pipelines.runner import run_pipeline

    state = ctx.find_object(CliState)
    if as_json:
        reporter: RunReporter = RunReporter()
    elif sys.stdout.isatty() and not dry_run:
        reporter = LiveReporter()
    else:
        reporter = LineReporter()
    outcome = run_pipeline(
        project_root(), stages, module=module, force=force, jobs=jobs, keep_going=keep_going,
        dry_run=dry_run, executor=executor, track=not no_track, experiment=experiment,
        reporter=reporter, tracking_uri=state.tracking_uri if state else None,
    )  # fmt: skip
    if as_json:
        output.print_json(outcome.to_dict())
    else:
        for stage in outcome.stages:
            if stage.metrics and stage.status in ("ran", "cached"):
                values = ", ".join(f"{key}={value:g}" for key, value in stage.metrics.items())
                output.say(f"metrics  {stage.name}: {values}")
        output.note(summary(outcome))
    if not outcome.ok:
        ctx.exit(1)


@pipeline.command("status")
@stages_argument
@module_option
@json_option
def status_command(stages: tuple[str, ...], module: str | None, as_json: bool) -> None:
    """List each stale stage (of STAGEs and their upstream; default: all) and why."""
    from cairn.pipelines.status import pipeline_status

    statuses = pipeline_status(project_root(), stages, module=module)
    if as_json:
        output.print_json([status.to_dict() for status in statuses])
        return
    stale = [status for status in statuses if status.stale]
    if not stale:
        output.say("Pipeline is up to date." if statuses else "No stages.")
        return
    for status in stale:
        output.say(f"{status.name}:")
        for reason in status.reasons:
            output.say(f"    {reason}")
    fresh = len(statuses) - len(stale)
    output.note(f"{len(stale)} stale, {fresh} up to date")
