"""``cairn data scan PATH``: report the columns of a table (or a folder of tables) that hold
sensitive data, and optionally write a redacted copy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cairn.cli import output

if TYPE_CHECKING:
    from cairn.security.scan import ScanReport


@click.command("scan")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--sample", default=10_000, show_default=True, type=click.IntRange(min=1), metavar="N",
    help="Rows per table whose values are checked (sampled with a fixed seed).",
)  # fmt: skip
@click.option(
    "--redact", "how", type=click.Choice(["hash", "drop"]),
    help="Write a copy of the table with the flagged columns hashed (keyed BLAKE3) or dropped.",
)  # fmt: skip
@click.option(
    "-o", "--output", "out", type=click.Path(path_type=Path), metavar="OUT",
    help="Where --redact writes the copy (its suffix picks the format).",
)  # fmt: skip
@click.pass_context
def scan_command(
    ctx: click.Context, path: Path, as_json: bool, sample: int, how: str | None, out: Path | None
) -> None:
    """Find columns of PATH holding sensitive data: identifiers (emails, phones, national ids,
    cards, IBANs, IP addresses...), quasi-identifiers (dates of birth, postcodes, locations),
    protected attributes (gender, religion, ethnicity, sexual orientation, health) and secrets.

    PATH is a CSV, TSV, parquet or JSON-lines file, or a folder of them. Examples are masked.

    \b
    Exit status:
      0  nothing sensitive found (or --redact wrote its copy)
      1  sensitive columns found
      2  bad input: missing or unreadable file, unknown format, bad options
    """
    from cairn.security.redaction import output_format, redact, write_table
    from cairn.security.scan import read_table, scan_frame, scan_path

    with output.check_exits(ctx):
        if (how is None) != (out is None):
            raise click.UsageError("--redact and -o/--output go together", ctx=ctx)
        if how is not None and path.is_dir():
            raise click.UsageError("--redact works on one table file, not a folder", ctx=ctx)
        if how is None or out is None:
            report = scan_path(path, sample=sample)
        else:
            output_format(out)
            frame = read_table(path)
            report = scan_frame(frame, sample=sample)
            write_table(redact(frame, report, how=how), out)
    if as_json:
        found = report.to_dict()
        if out is not None:
            found["redacted"] = {"how": how, "output": str(out), "columns": report.columns}
        output.print_json(found)
    else:
        _render(report, path)
        if out is not None:
            verb = "hashed" if how == "hash" else "dropped"
            output.note(f"Wrote {out} with {len(report.columns)} column(s) {verb}.")
    if report.sensitive and out is None:
        ctx.exit(output.EXIT_FAILED)


def _render(report: ScanReport, path: Path) -> None:
    if not report.sensitive:
        output.say(
            f"No sensitive columns in {path} ({report.scanned_columns} columns, "
            f"{report.sampled} of {report.rows} rows checked)."
        )
        return
    several = any(f.file for f in report.findings)
    headers = ("file",) if several else ()
    grid = output.table(
        *headers, "column", "kind", "category", "evidence", "share", "examples",
        title=f"Sensitive columns in {path}",
    )  # fmt: skip
    for f in report.findings:
        cells = (f.file or "",) if several else ()
        grid.add_row(
            *map(output.esc, cells), output.esc(f.column), f.kind, f.category, f.evidence,
            f"{f.share:.0%}", output.esc(", ".join(f.examples)),
        )  # fmt: skip
    output.show(grid)
    output.note(
        f"{len(report.findings)} sensitive column(s); {report.sampled} of {report.rows} rows "
        "checked. Redact with --redact hash|drop -o OUT, or cairn.security.redact(df)."
    )
