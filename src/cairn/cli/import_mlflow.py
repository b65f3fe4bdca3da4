"""``cairn import-mlflow SOURCE``: copy an MLflow tracking store into cairn."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from cairn.cli import CliState, output
from cairn.cli.experiments import json_option

if TYPE_CHECKING:
    from cairn.tracking.import_mlflow import ImportReport, Progress

ROWS = (
    ("experiments", "experiments"),
    ("runs", "runs"),
    ("metric points", "metric_points"),
    ("params", "params"),
    ("tags", "tags"),
    ("artifact files", "artifact_files"),
    ("artifact bytes", "artifact_bytes"),
)


@click.command("import-mlflow", short_help="Copy experiments, runs and artifacts from MLflow.")
@click.argument("source")
@click.option(
    "--experiment", "-e", "experiments", multiple=True, metavar="NAME",
    help="Import only this MLflow experiment (repeatable). Default: all, deleted ones included.",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Report what would be copied; change nothing.")
@click.option(
    "--tracking-uri", "target", metavar="URI",
    help="The cairn store to import into. Default: as for every command (the root option, CAIRN_TRACKING_URI, the project's .cairn/).",
)  # fmt: skip
@json_option
@click.pass_obj
def import_mlflow(
    state: CliState,
    source: str,
    experiments: tuple[str, ...],
    dry_run: bool,
    target: str | None,
    as_json: bool,
) -> None:
    """Copy experiments, runs and artifacts from an MLflow tracking store into cairn.

    SOURCE is an MLflow tracking URI: an mlruns folder (./mlruns or file:///path/mlruns), an
    MLflow database (sqlite:///mlflow.db, postgresql://user@host/db) or an MLflow server
    (http://host:5000; a login is read from MLFLOW_TRACKING_USERNAME/PASSWORD or _TOKEN).

    Runs keep their name, user, status, times, lifecycle, params, every metric point, tags
    (mlflow.* as they are, plus the cairn names of note, parent, git and source) and artifacts.
    Running it again copies only what is new, and completes a run that an interrupted import
    left half-copied. Registered models are counted but not copied yet.
    """
    from cairn.tracking.import_mlflow import import_mlflow as run_import
    from cairn.tracking.mlflow_source import open_source

    with open_source(source) as mlflow_store:  # a bad SOURCE fails before cairn's store opens
        client = CliState(tracking_uri=target).client() if target else state.client()
        with _progress_bar() as progress:
            report = run_import(mlflow_store, client, experiments, dry_run, progress)
    if as_json:
        output.print_json(report.to_dict())
    else:
        _render(report)


@contextmanager
def _progress_bar() -> Iterator[Progress]:
    """A progress bar over runs on stderr (only on a terminal), fed by the import's callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = output.console(stderr=True)
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.description}"))  # fmt: skip
    with Progress(*columns, console=console, transient=True,
                  disable=not console.is_terminal) as bar:  # fmt: skip
        task = bar.add_task("", total=None)

        def advance(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=output.esc(label))

        yield advance


def _render(report: ImportReport) -> None:
    verb = "Would import" if report.dry_run else "Imported"
    output.say(f"{verb} from {report.source} into {report.target}")
    grid = output.table("", "would copy" if report.dry_run else "copied", "already there")
    for label, name in ROWS:
        copied, skipped = getattr(report.copied, name), getattr(report.skipped, name)
        if name == "artifact_bytes":
            copied, skipped = output.format_size(copied), output.format_size(skipped)
        grid.add_row(label, str(copied), str(skipped))
    output.show(grid)
    if report.completed_runs:
        output.say(
            f"Completed {report.completed_runs} run(s) an interrupted import left half-copied."
        )
    deleted = report.deleted
    if any(deleted.values()):
        what = "Would delete" if report.dry_run else "Deleted"
        output.say(f"{what} {deleted['experiments']} experiment(s) and {deleted['runs']} run(s) "
                   "in cairn, as they are deleted in MLflow.")  # fmt: skip
    for what, item in report.not_copied.items():
        if item["count"]:
            output.say(f"Not copied: {what.replace('_', ' ')} ({item['count']}): {item['reason']}.")
