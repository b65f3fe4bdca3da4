"""Shared rendering for the CLI: consoles, tables, JSON, times, durations and status colours.

Rich is imported inside the functions so that ``cairn --help`` stays fast. Consoles are built
per call on the current ``sys.stdout``/``sys.stderr``: when those are not terminals rich emits
no colour codes, and ``NO_COLOR`` is honoured.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from cairn.humanize import format_bytes, iso_utc

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from cairn.entities import Experiment, Run

STATUS_STYLES = {
    "RUNNING": "bold blue",
    "SCHEDULED": "cyan",
    "FINISHED": "green",
    "FAILED": "bold red",
    "KILLED": "yellow",
}
# Piped output is not wrapped at 80 columns: tables stay one row per line for grep and awk.
PIPE_WIDTH = 240


def console(stderr: bool = False) -> Console:
    """A rich console on the current stdout (or stderr)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    is_tty = stream.isatty() if hasattr(stream, "isatty") else False
    width = None if is_tty else PIPE_WIDTH
    return Console(file=stream, stderr=stderr, highlight=False, width=width)


def error(message: str) -> None:
    """Print ``Error: <message>`` (the prefix in red) to stderr."""
    from rich.markup import escape

    console(stderr=True).print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)


# Exit codes of the commands that check something (gate, lineage, run, reproduce, audit):
# 1 means "the check failed", so bad input needs a code of its own.
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


@contextmanager
def check_exits(ctx: click.Context, *, errors_exit: int = EXIT_FAILED) -> Iterator[None]:
    """Around a checking command's work: bad input (``InvalidInput``, ``NotFound``) prints its
    message and exits 2, any other cairn error exits ``errors_exit``."""
    from cairn.errors import CairnError, InvalidInput, NotFound

    try:
        yield
    except (InvalidInput, NotFound) as err:
        error(err.message)
        ctx.exit(EXIT_BAD_INPUT)
    except CairnError as err:
        error(err.message)
        ctx.exit(errors_exit)


def note(message: str) -> None:
    """Print a remark for people (not data) to stderr, dimmed on a terminal.

    Plain click output, not rich: most commands print only remarks and lines, and loading
    rich would cost them ~40 ms of start-up."""
    click.echo(click.style(message, dim=True), err=True)


def say(message: str) -> None:
    """Print a line of plain text to stdout (no markup interpreted)."""
    click.echo(message)


def table(*columns: str, title: str | None = None) -> Table:
    """A table with the house style and these column headers."""
    from rich import box
    from rich.table import Table

    grid = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        title_justify="left",
        title_style="bold",
    )
    for name in columns:
        grid.add_column(name, overflow="fold")
    return grid


def esc(text: Any) -> str:
    """User text made safe to put in a table cell (no rich markup interpreted)."""
    from rich.markup import escape

    return escape(str(text))


def show(renderable: Any) -> None:
    """Render a table (or any rich renderable) to stdout; piped, without trailing blanks."""
    out = console()
    if out.is_terminal:
        out.print(renderable)
        return
    with out.capture() as captured:
        out.print(renderable)
    click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


# -- JSON ----------------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        # Protobuf's JSON mapping: keep the value, stay valid JSON.
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def print_json(data: Any) -> None:
    """Write ``data`` as indented, valid JSON to stdout."""
    import json

    click.echo(json.dumps(_clean(data), indent=2, allow_nan=False))


# -- times and values ----------------------------------------------------------------------------


def iso_local(ms: int | None) -> str:
    """Epoch milliseconds as local ISO 8601 to the second (for tables), or '-'."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def duration_ms(start: int | None, end: int | None, running: bool = False) -> int | None:
    """Milliseconds from start to end (to now while running), or None."""
    if start is None:
        return None
    if end is None:
        return int(time.time() * 1000) - start if running else None
    return max(end - start, 0)


def format_duration(ms: int | None) -> str:
    """A short human duration: '850ms', '12.3s', '4m 05s', '2h 03m', '3d 04h'."""
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def format_value(value: Any) -> str:
    """A metric or param value for a table cell."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def format_size(size: int | None) -> str:
    """Bytes as '512 B', '1.5 KiB', '3.2 MiB' ... ('-' for None)."""
    return "-" if size is None else format_bytes(size)


def status_markup(status: str) -> str:
    """A run status wrapped in its colour's markup."""
    style = STATUS_STYLES.get(status, "")
    return f"[{style}]{status}[/]" if style else status


# -- entity dicts --------------------------------------------------------------------------------


def experiment_dict(exp: Experiment) -> dict[str, Any]:
    """The JSON form of an experiment (epoch ms and ISO times)."""
    return {
        "experiment_id": exp.experiment_id,
        "name": exp.name,
        "lifecycle_stage": exp.lifecycle_stage,
        "artifact_location": exp.artifact_location,
        "creation_time": exp.creation_time,
        "creation_time_iso": iso_utc(exp.creation_time),
        "last_update_time": exp.last_update_time,
        "last_update_time_iso": iso_utc(exp.last_update_time),
        "tags": dict(exp.tags),
    }


def is_system_tag(key: str) -> bool:
    """Tags cairn (or MLflow) sets itself, shown apart from the user's tags."""
    return key.startswith(("cairn.", "mlflow."))


def run_dict(run: Run, experiment_name: str | None = None) -> dict[str, Any]:
    """The JSON form of a run: its info flattened, plus metrics, params and tags."""
    info = run.info
    tags = run.data.tags
    data: dict[str, Any] = {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
    }
    if experiment_name is not None:
        data["experiment_name"] = experiment_name
    data.update(
        {
            "status": info.status,
            "lifecycle_stage": info.lifecycle_stage,
            "user_id": info.user_id,
            "start_time": info.start_time,
            "start_time_iso": iso_utc(info.start_time),
            "end_time": info.end_time,
            "end_time_iso": iso_utc(info.end_time),
            "duration_ms": duration_ms(info.start_time, info.end_time),
            "artifact_uri": info.artifact_uri,
            "metrics": dict(run.data.metrics),
            "params": dict(run.data.params),
            "tags": {k: v for k, v in tags.items() if not is_system_tag(k)},
            "system_tags": {k: v for k, v in tags.items() if is_system_tag(k)},
        }
    )
    return data
