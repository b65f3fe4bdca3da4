"""``cairn reproduce RUN_ID``: re-run a run at its commit on its data and compare the metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cairn.cli import output

if TYPE_CHECKING:
    from cairn.projects.reproduce_report import ReproductionReport

EXIT_DIFFERENT = 1


@click.command("reproduce")
@click.argument("run_id")
@click.option(
    "--tolerance",
    "atol",
    type=float,
    default=1e-6,
    show_default=True,
    metavar="FLOAT",
    help="Absolute tolerance: |original - reproduced| <= tolerance + rtol * |original|.",
)
@click.option(
    "--rtol",
    type=float,
    default=0.0,
    show_default=True,
    metavar="FLOAT",
    help="Relative tolerance (of the original value).",
)
@click.option(
    "--repo",
    metavar="PATH",
    help="The git checkout holding the run's commit and data cache. Default: the current one.",
)
@click.option(
    "--env-manager",
    type=click.Choice(["local", "virtualenv", "uv"]),
    help="The environment to re-run in. Default: the project run's own; the current "
    "interpreter for script and stage runs.",
)
@click.option("--keep-worktree", is_flag=True, help="Keep the temporary worktree for a look.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def reproduce(
    ctx: click.Context,
    run_id: str,
    atol: float,
    rtol: float,
    repo: str | None,
    env_manager: str | None,
    keep_worktree: bool,
    as_json: bool,
) -> None:
    """Re-run run RUN_ID at its commit, on its data, and compare every metric.

    Checks the run's commit out in a temporary git worktree (with its recorded uncommitted
    diff applied when it ran dirty), restores its versioned data from the cache or a data
    remote, re-runs the same entry point (project runs), command (script runs) or stage
    (pipeline stage runs) with the same params into a new run tagged
    cairn.reproduction.of, then compares metrics, datasets read, seeds and commit. The
    re-run's output goes to stderr.

    \b
    Exit status:
      0  reproduced: every metric within tolerance, same data, seeds and commit
      1  differences: a metric beyond tolerance or missing, different data or seeds,
         or the re-run's command failed (its exit code is reported)
      2  could not reproduce: unknown run, no commit recorded, commit missing from the
         repository, a data version in neither the cache nor any remote, a diff that
         does not apply, bad options
    """
    from cairn.cli import CliState
    from cairn.projects.reproduce import reproduce as run_reproduction

    state = ctx.find_object(CliState)
    with output.check_exits(ctx, errors_exit=output.EXIT_BAD_INPUT):
        report = run_reproduction(
            run_id,
            tracking_uri=state.tracking_uri if state else None,
            repo=repo,
            atol=atol,
            rtol=rtol,
            env_manager=env_manager,
            keep_worktree=keep_worktree,
            echo=_to_stderr if as_json else None,
        )
    if as_json:
        output.print_json(report.to_dict())
    else:
        _render(report)
    if not report.passed:
        ctx.exit(EXIT_DIFFERENT)


def _to_stderr(line: str) -> None:
    click.echo(line, err=True)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def _render(report: ReproductionReport) -> None:
    ok, bad = "[green]yes[/green]", "[red]NO[/red]"
    grid = output.table(
        "metric", "original", "reproduced", "difference", "within tolerance",
        title=f"run {report.run_id} reproduced as {report.reproduction_run_id}",
    )  # fmt: skip
    for m in report.metrics:
        grid.add_row(
            output.esc(m.key),
            _number(m.original),
            _number(m.reproduced),
            _number(m.difference),
            ok if m.within_tolerance else bad,
        )
    output.show(grid)
    if report.datasets:
        data = output.table("dataset", "path", "original", "reproduced", "verdict")
        for d in report.datasets:
            data.add_row(
                output.esc(d.name),
                output.esc(d.path),
                output.esc((d.original or "-")[:12]),
                output.esc((d.reproduced or "-")[:12]),
                "[green]same data[/green]" if d.same else f"[red]{output.esc(d.message)}[/red]",
            )
        output.show(data)
    for name, (a, b) in report.seeds.items():
        output.say(f"seed {name}: original {a or '-'}, reproduced {b or '-'}")
    dirty = " (+ recorded uncommitted diff)" if report.dirty else ""
    output.say(f"commit {report.commit}{dirty}; command: {report.command}")
    output.say(f"exit code {report.exit_code}; tolerance {report.atol:g} + {report.rtol:g}*|x|")
    if report.worktree:
        output.say(f"worktree kept at {report.worktree}")
    for note in report.notes:
        output.note(note)
    for problem in report.problems:
        output.say(f"DIFFERENT: {problem}")
    output.say("reproduced" if report.passed else "NOT reproduced")
