"""``cairn gate RUN_ID``: judge a run against the rules of ``gates.yaml``, for CI."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cairn.cli import get_client, output

if TYPE_CHECKING:
    from cairn.gates import GateReport


@click.command("gate")
@click.argument("run_id")
@click.option(
    "-f",
    "--file",
    "gates_file",
    default="gates.yaml",
    show_default=True,
    metavar="PATH",
    help="The gates file to apply.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def gate(ctx: click.Context, run_id: str, gates_file: str, as_json: bool) -> None:
    """Check run RUN_ID against the quality gates of a gates.yaml file.

    Prints each rule's numbers (value, threshold, champion's value, std over seeds, n) and
    verdict. Rules: absolute thresholds per slice (metric key METRIC/SLICE), relative to a
    registered champion (models:/NAME@ALIAS), stability across seeded child runs. See
    cairn.gates.spec for the format.

    \b
    Exit status:
      0  every rule passed
      1  at least one rule failed (or the store failed)
      2  bad input: unknown run or model, unreadable or invalid gates file
    """
    from cairn.gates import evaluate, load_gates

    with output.check_exits(ctx):
        spec = load_gates(gates_file)
        report = evaluate(run_id, spec, get_client().store)
    if as_json:
        output.print_json(report.to_dict())
    else:
        _render(report)
    if not report.passed:
        ctx.exit(output.EXIT_FAILED)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _render(report: GateReport) -> None:
    grid = output.table(
        "#",
        "rule",
        "slice",
        "metric",
        "value",
        "threshold",
        "champion",
        "std",
        "n",
        "verdict",
        title=f"gates {report.source} on run {report.run_id}",
    )
    for r in report.results:
        verdict = "[green]pass[/green]" if r.passed else "[red]FAIL[/red]"
        grid.add_row(
            str(r.rule),
            output.esc(r.text),
            output.esc(r.slice or "-"),
            output.esc(r.metric),
            _number(r.value),
            f"{r.op or ''} {_number(r.threshold)}".strip(),
            _number(r.champion_value),
            _number(r.std),
            "-" if r.n is None else str(r.n),
            verdict,
        )
    output.show(grid)
    for r in report.results:
        if not r.passed:
            output.say(f"FAIL rule {r.rule} [{r.slice or r.metric}]: {r.message}")
    failed = sum(not r.passed for r in report.results)
    total = len(report.results)
    output.say(f"{total - failed}/{total} checks passed" + ("" if failed else "; gate passed"))
