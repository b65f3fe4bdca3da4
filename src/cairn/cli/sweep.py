"""``cairn sweep``: run the pipeline once per combination of params, each combination in an
isolated copy of the project, and rank the combinations by a metric.

Thin over :func:`cairn.pipelines.sweep.run_sweep`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cairn.cli import output
from cairn.cli.experiments import json_option
from cairn.cli.pipeline import module_option, project_root, stages_argument

if TYPE_CHECKING:
    from cairn.pipelines.sweep import SweepOutcome, Trial


@click.command("sweep")
@stages_argument
@click.option(
    "--set", "sets", multiple=True, required=True, metavar="KEY=VALUES",
    help="A param and its values: train.lr=0.1,0.01 | choice(a,b) | range(2,10[,step]) | "
    "uniform(a,b) | loguniform(1e-4,1e-1) (the last two with --random or --optuna). Repeatable.",
)  # fmt: skip
@click.option("--random", "random_n", type=int, metavar="N",
              help="Run N combinations drawn at random instead of the whole grid.")  # fmt: skip
@click.option("--optuna", is_flag=True,
              help="Let Optuna's TPE sampler choose the combinations (needs --optimize).")  # fmt: skip
@click.option("--trials", type=int, default=10, show_default=True, metavar="N",
              help="Combinations to run with --optuna.")  # fmt: skip
@click.option("--seed", type=int, help="Seed of --random and --optuna, for a repeatable sweep.")
@click.option("-j", "--jobs", type=int, default=1, show_default=True,
              help="Combinations to run at once.")  # fmt: skip
@click.option("--executor", default="local", show_default=True,
              metavar="local|dask-local|tcp://HOST:PORT", help="Where stages run.")  # fmt: skip
@click.option("--optimize", metavar="METRIC",
              help="Rank by this metric of the stages' metrics files (e.g. score.f1, or "
              "metrics.f1 for f1 in metrics.json).")  # fmt: skip
@click.option("--direction", type=click.Choice(["max", "min"]), default="max", show_default=True,
              help="Whether a larger or a smaller --optimize metric is better.")  # fmt: skip
@click.option("--keep", is_flag=True, help="Keep the copies under .cairn/sweeps/ afterwards.")
@click.option("--experiment", metavar="NAME", help="Experiment of the sweep's runs.")
@module_option
@json_option
@click.pass_context
def sweep(
    ctx: click.Context,
    stages: tuple[str, ...],
    sets: tuple[str, ...],
    random_n: int | None,
    optuna: bool,
    trials: int,
    seed: int | None,
    jobs: int,
    executor: str,
    optimize: str | None,
    direction: str,
    keep: bool,
    experiment: str | None,
    module: str | None,
    as_json: bool,
) -> None:
    """Run the pipeline (or the STAGEs and what they depend on) for each combination of the
    --set values, in isolated copies of the project, and print them ranked by --optimize.

    The workspace is not touched; each combination is a pipeline run nested under one sweep
    run. Exits 1 when a combination failed.
    """
    from cairn.cli import CliState
    from cairn.pipelines.sweep import SweepSpec, run_sweep

    state = ctx.find_object(CliState)
    spec = SweepSpec(sets, random_n, trials if optuna else None, seed, optimize, direction)
    with _Progress(enabled=not as_json) as progress:
        outcome = run_sweep(
            project_root(), spec, stages, jobs=jobs, executor=executor, keep=keep,
            module=module, experiment=experiment,
            tracking_uri=state.tracking_uri if state else None, on_trial=progress.advance,
        )  # fmt: skip
    if as_json:
        output.print_json(outcome.to_dict())
    else:
        _show(outcome)
    if not outcome.ok:
        ctx.exit(1)


class _Progress:
    """A progress bar of finished combinations on stderr (when it is a terminal)."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        console = output.console(stderr=True)
        self.bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                            console=console, transient=True,
                            disable=not (enabled and console.is_terminal))  # fmt: skip
        self.task: Any = None

    def __enter__(self) -> _Progress:
        self.bar.__enter__()
        self.task = self.bar.add_task("sweep", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def advance(self, trial: Trial, total: int) -> None:
        """One more combination ended."""
        self.bar.update(self.task, total=total, advance=1)


def _show(outcome: SweepOutcome) -> None:
    ranked = outcome.ranked()
    keys = list(dict.fromkeys(key for trial in ranked for key in trial.params))
    metric = outcome.target or "metric"
    title = f"sweep {outcome.sweep_id} (run {outcome.run_id})"
    table = output.table("#", *keys, metric, "status", "run", title=title)
    for trial in ranked:
        status = "ok" if trial.status == "ok" else f"[red]{trial.status}[/]"
        table.add_row(
            str(trial.index), *(output.esc(output.format_value(trial.params.get(k))) for k in keys),
            output.format_value(trial.metric), status, trial.run_id or "-",
        )  # fmt: skip
    output.show(table)
    for trial in ranked:
        if trial.error:
            output.note(f"#{trial.index}: {trial.error}")
    if outcome.kept:
        output.note(f"copies kept in {outcome.kept}")
