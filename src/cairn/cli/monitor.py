"""``cairn monitor``: model monitors (create, list, show, delete), their data (log, truth,
import-serving), computing windows (run), and what they found (status, report, alerts).

Thin over :mod:`cairn.monitoring`; tables and JSON forms live in
:mod:`cairn.cli.monitor_views`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from cairn.cli import SuggestingGroup, get_client, output
from cairn.cli import monitor_views as views
from cairn.cli.experiments import json_option
from cairn.errors import CairnError


@click.group("monitor", cls=SuggestingGroup)
def monitor() -> None:
    """Model monitors: quality over time, data quality, drift, segments and alerts."""


def _local_or_uri(path: str) -> str:
    """A local file as an absolute path (URIs such as runs:/ or s3:// as given)."""
    if "://" in path or path.startswith("runs:/"):
        return path
    return str(Path(path).expanduser().absolute())


@monitor.command("create")
@click.option(
    "-f", "--file", "spec_file", required=True, type=click.Path(dir_okay=False),
    help="The monitor's YAML definition (monitor.yaml).",
)  # fmt: skip
@click.option(
    "--reference", metavar="FILE",
    help="Reference data (CSV/Parquet path or URI), instead of the spec's reference.",
)  # fmt: skip
@json_option
def create(spec_file: str, reference: str | None, as_json: bool) -> None:
    """Create a monitor from a monitor.yaml; its reference is summarised once, now."""
    from cairn.monitoring.monitors import create_monitor
    from cairn.monitoring.spec import ReferenceSpec
    from cairn.monitoring.spec_parse import load_spec_file

    spec = load_spec_file(spec_file)
    if reference is not None:
        spec = dataclasses.replace(spec, reference=ReferenceSpec(path=_local_or_uri(reference)))
    made = create_monitor(spec, store=get_client().store)
    if as_json:
        output.print_json(views.monitor_json(made))
        return
    output.say(f"Created monitor {made.name!r} of model {made.model!r}.")


@monitor.command("list")
@click.option("--model", metavar="NAME", help="Only the monitors of this registered model.")
@json_option
def list_monitors(model: str | None, as_json: bool) -> None:
    """List the monitors."""
    found = get_client().store.monitors.list_monitors(model)
    if as_json:
        output.print_json([views.monitor_json(m, with_spec=False) for m in found])
        return
    grid = output.table("name", "model", "task", "window", "records", "created")
    for item in found:
        window = item.spec.get("window") or {}
        grid.add_row(
            output.esc(item.name), output.esc(item.model), str(item.spec.get("task", "")),
            f"{window.get('kind', '')} {window.get('size', '')}", str(item.records),
            output.iso_utc(item.creation_time) or "",
        )  # fmt: skip
    output.show(grid)
    if not found:
        output.note("No monitors yet: cairn monitor create -f monitor.yaml")


@monitor.command("show")
@click.argument("name")
@json_option
def show(name: str, as_json: bool) -> None:
    """A monitor's definition and counts."""
    import yaml

    store = get_client().store
    found = store.monitors.get_monitor(name)
    windows = store.monitors.list_windows(name)
    if as_json:
        output.print_json({**views.monitor_json(found), "windows": len(windows)})
        return
    for key, value in views.monitor_json(found, with_spec=False).items():
        if not key.endswith("_time") and value is not None:
            output.say(f"{key:>17}: {value}")
    output.say(f"{'windows':>17}: {len(windows)}")
    output.say(yaml.safe_dump({"spec": found.spec}, sort_keys=False).rstrip())


@monitor.command("delete")
@click.argument("name")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(name: str, yes: bool) -> None:
    """Delete a monitor with its records, windows and alerts."""
    from cairn.monitoring.monitors import delete_monitor

    store = get_client().store
    store.monitors.get_monitor(name)
    if not yes:
        click.confirm(f"Delete monitor {name!r} with its records, windows and alerts?", abort=True)
    delete_monitor(name, store=store)
    output.say(f"Deleted monitor {name!r}.")


@monitor.command("log")
@click.argument("name")
@click.argument("file")
@json_option
def log(name: str, file: str, as_json: bool) -> None:
    """Log the predictions in FILE (CSV/Parquet) to monitor NAME; rows holding the target
    column are labelled too."""
    from cairn.monitoring.ingest import log_file

    count = log_file(_local_or_uri(file), name, store=get_client().store)
    if as_json:
        output.print_json({"monitor": name, "records": count})
        return
    output.say(f"Logged {count} predictions to {name!r}.")


@monitor.command("truth")
@click.argument("name")
@click.argument("file")
@click.option(
    "--request-id-column", default="request_id", show_default=True, metavar="C",
    help="The column of FILE holding the request ids.",
)  # fmt: skip
@click.option(
    "--target-column", metavar="C", help="The column holding the labels (default: the target)."
)
@json_option
def truth(
    name: str, file: str, request_id_column: str, target_column: str | None, as_json: bool
) -> None:
    """Log ground truth from FILE, joined to the predictions by request id."""
    from cairn.monitoring.ingest import log_ground_truth
    from cairn.monitoring.reference_data import read_path

    store = get_client().store
    store.monitors.get_monitor(name)
    labels = read_path(store, _local_or_uri(file))
    matched, unknown = log_ground_truth(
        labels, monitor=name, request_id_column=request_id_column,
        target_column=target_column, store=store,
    )  # fmt: skip
    if as_json:
        output.print_json({"monitor": name, "matched": matched, "unknown": list(unknown)})
        return
    output.say(f"Matched {matched} labels to predictions of {name!r}.")
    if unknown:
        sample = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        output.note(f"{len(unknown)} labels name request ids no prediction has yet: {sample}")


@monitor.command("import-serving")
@click.argument("name")
@json_option
def import_serving(name: str, as_json: bool) -> None:
    """Import the new prediction logs of `cairn models serve` for NAME's model."""
    from cairn.monitoring.ingest import import_serving_logs

    count = import_serving_logs(name, store=get_client().store)
    if as_json:
        output.print_json({"monitor": name, "records": count})
        return
    output.say(f"Imported {count} served predictions to {name!r}.")


@monitor.command("run")
@click.argument("name", required=False)
@click.option("--no-actions", is_flag=True, help="Store alerts but run none of their actions.")
@json_option
def run(name: str | None, no_actions: bool, as_json: bool) -> None:
    """Compute the windows that are complete (of NAME, or of every monitor) and fire rules."""
    from cairn.monitoring.runner import RunSummary, run_monitor

    store = get_client().store
    names = [name] if name else [m.name for m in store.monitors.list_monitors()]
    if name:
        store.monitors.get_monitor(name)
    summaries: dict[str, Any] = {}

    def one(current: str) -> RunSummary:
        try:
            return run_monitor(current, store=store, run_actions=not no_actions)
        except CairnError as exc:  # one monitor failing does not stop the others
            if name:
                raise
            return RunSummary(current, problems=[exc.message])

    for current, summary in _with_progress(names, one):
        summaries[current] = summary
    if as_json:
        output.print_json({n: views.summary_json(s) for n, s in summaries.items()})
        return
    for summary in summaries.values():
        for line in views.summary_lines(summary):
            output.say(line)
    if not names:
        output.note("No monitors yet: cairn monitor create -f monitor.yaml")


def _with_progress(names: list[str], work: Any) -> list[tuple[str, Any]]:
    """``work(name)`` for each name under a progress bar on stderr (on a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = output.console(stderr=True)
    done = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True,
                  disable=not console.is_terminal) as progress:  # fmt: skip
        task = progress.add_task("monitors", total=len(names))
        for current in names:
            progress.update(task, description=f"monitor {current}")
            done.append((current, work(current)))
            progress.advance(task)
    return done


@monitor.command("status")
@click.argument("name", required=False)
@json_option
def status(name: str | None, as_json: bool) -> None:
    """A table of every monitor (or of NAME's windows): quality, drift, problems, alerts."""
    store = get_client().store
    found = [store.monitors.get_monitor(name)] if name else store.monitors.list_monitors()
    if as_json:
        from cairn.monitoring.report import monitor_status

        data = [monitor_status(store, m) for m in found]
        output.print_json(data[0] if name else data)
        return
    if name:
        views.windows_table(store, found[0])
        return
    views.status_table(store, found)
    if not found:
        output.note("No monitors yet: cairn monitor create -f monitor.yaml")


@monitor.command("report")
@click.argument("name")
@click.option("--windows", "last", type=click.IntRange(min=1), metavar="K", help="The last K.")
@click.option("--window", "window_id", type=int, metavar="ID", help="Only window ID.")
@click.option(
    "-o", "--output", "target", type=click.Path(dir_okay=False), metavar="FILE",
    help="Write the HTML report to FILE (default report.html; '-' for stdout).",
)  # fmt: skip
@json_option
def report(
    name: str, last: int | None, window_id: int | None, target: str | None, as_json: bool
) -> None:
    """Write a self-contained HTML report of NAME (or print its numbers with --json)."""
    from cairn.monitoring.report import get_report

    if last is not None and window_id is not None:
        raise click.UsageError("give --windows K or --window ID, not both")
    chosen = [window_id] if window_id is not None else last
    found = get_report(name, store=get_client().store, windows=chosen)
    if as_json and target is None:
        output.print_json(found.to_dict())
        return
    text = found.to_json() if as_json else found.to_html()
    destination = target or "report.html"
    if destination == "-":
        click.echo(text)
        return
    Path(destination).write_text(text, encoding="utf-8")
    windows = len(found.to_dict()["windows"])
    output.say(f"Wrote the report of {name!r} ({windows} windows) to {destination}.")


@monitor.command("alerts")
@click.argument("name", required=False)
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, metavar="N",
    help="Show at most N alerts.",
)  # fmt: skip
@json_option
def alerts(name: str | None, limit: int, as_json: bool) -> None:
    """Alerts fired by rules (of NAME, or of every monitor), newest first."""
    from cairn.monitoring.report import alert_dict

    store = get_client().store
    if name:
        store.monitors.get_monitor(name)
    found = store.monitors.list_alerts(name, limit=limit)
    if as_json:
        output.print_json([alert_dict(a) for a in found])
        return
    views.alerts_table(found)
