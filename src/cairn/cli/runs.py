"""``cairn runs``: list, search, show, compare, delete and restore runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from cairn.cli import SuggestingGroup, get_client, output
from cairn.cli.experiments import VIEWS, json_option, resolve_experiment, search_all, view_option
from cairn.cli.run_views import render_comparison, render_run

if TYPE_CHECKING:
    from cairn.entities import Run
    from cairn.tracking.client import CairnClient

_HEX = frozenset("0123456789abcdef")
_PREFIXES = {"metrics": "metrics", "metric": "metrics", "params": "params", "param": "params",
             "tags": "tags", "tag": "tags"}  # fmt: skip
DEFAULT_KEY_COLUMNS = 4


def resolve_run_id(client: CairnClient, text: str) -> str:
    """A full run id from a full id or a unique prefix of at least 4 hex characters."""
    from cairn.errors import InvalidInput, NotFound

    short = text.strip().lower().replace("-", "")
    if len(short) == 32 or not (4 <= len(short) < 32 and set(short) <= _HEX):
        return text  # a full id, or not an id at all: the store's validation explains
    ids = [e.experiment_id for e in search_all(client, "all")[0]]
    page = client.search_runs(ids, f"attributes.run_id LIKE '{short}%'", "all", max_results=2)
    if not page.items:
        raise NotFound(f"no run id starts with {text!r}")
    if len(page.items) > 1:
        raise InvalidInput(
            f"run id prefix {text!r} is ambiguous (it matches {page.items[0].info.run_id} and "
            f"{page.items[1].info.run_id}); give more characters"
        )
    return page.items[0].info.run_id  # type: ignore[no-any-return]


def get_runs(client: CairnClient, run_ids: tuple[str, ...]) -> list[Run]:
    """The runs named (by id or unique prefix), all checked before anything is done."""
    return [client.get_run(resolve_run_id(client, text)) for text in run_ids]


def parse_columns(text: str | None) -> list[tuple[str, str]] | None:
    """``metrics.acc,params.lr`` as ``[("metrics", "acc"), ("params", "lr")]``."""
    if not text:
        return None
    columns = []
    for item in (part.strip() for part in text.split(",")):
        prefix, dot, key = item.partition(".")
        if not dot or not key or prefix not in _PREFIXES:
            raise click.BadParameter(
                f"{item!r} is not metrics.KEY, params.KEY or tags.KEY", param_hint="--columns"
            )
        columns.append((_PREFIXES[prefix], key))
    return columns


def default_columns(runs: list[Run]) -> list[tuple[str, str]]:
    """The metrics and params most common among the runs (up to 4 of each)."""
    chosen: list[tuple[str, str]] = []
    for kind in ("metrics", "params"):
        counts = Counter(k for run in runs for k in getattr(run.data, kind))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        chosen.extend((kind, key) for key, _ in ranked[:DEFAULT_KEY_COLUMNS])
    return chosen


def _listing_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("-e", "--experiment", "experiments", multiple=True, metavar="ID_OR_NAME",
                     help="Repeatable; default: every experiment."),
        view_option,
        click.option("--max-results", type=click.IntRange(min=1), default=50, show_default=True,
                     metavar="N", help="Show at most N runs."),
        click.option("--order-by", multiple=True, metavar="KEY [ASC|DESC]",
                     help="e.g. 'metrics.acc DESC'; repeatable."),
        click.option("--columns", metavar="LIST",
                     help="Extra columns, e.g. metrics.acc,params.lr (default: the most common)."),
        json_option,
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def list_runs(
    filter_string: str | None,
    experiments: tuple[str, ...],
    view: str,
    max_results: int,
    order_by: tuple[str, ...],
    columns: str | None,
    as_json: bool,
) -> None:
    """Search runs and print them as a table or JSON (``runs list`` and ``runs search``)."""
    chosen = parse_columns(columns)
    client = get_client()
    exps = [resolve_experiment(client, e) for e in experiments] or search_all(client, "all")[0]
    names = {e.experiment_id: e.name for e in exps}
    found: list[Run] = []
    token = None
    while len(found) < max_results:
        page = client.search_runs(
            list(names), filter_string, VIEWS[view], min(max_results - len(found), 50_000),
            order_by, token,
        )  # fmt: skip
        found.extend(page.items)
        token = page.next_page_token
        if token is None:
            break
    if as_json:
        output.print_json([output.run_dict(r, names.get(r.info.experiment_id)) for r in found])
    else:
        _print_runs(found, names, chosen if chosen is not None else default_columns(found))
    if token is not None:
        output.note(f"Showing the first {len(found)} runs; raise --max-results for more.")


def _print_runs(runs: list[Run], names: dict[str, str], columns: list[tuple[str, str]]) -> None:
    headers = ["run id", "name", "experiment", "status", "start", "duration"]
    grid = output.table(*headers, *(f"{kind}.{key}" for kind, key in columns))
    for run in runs:
        info = run.info
        running = info.status == "RUNNING"
        cells = [
            info.run_id[:8],
            output.esc(info.run_name),
            output.esc(names.get(info.experiment_id, info.experiment_id)),
            output.status_markup(info.status),
            output.iso_local(info.start_time),
            output.format_duration(output.duration_ms(info.start_time, info.end_time, running)),
        ]
        for kind, key in columns:
            cells.append(output.esc(output.format_value(getattr(run.data, kind).get(key))))
        grid.add_row(*cells)
    output.show(grid)


@click.group(cls=SuggestingGroup)
def runs() -> None:
    """Runs: what one execution logged."""


@runs.command("list")
@click.option("--filter", "filter_string", metavar="FILTER", help="As in `cairn runs search`.")
@_listing_options
def list_command(filter_string: str | None, **options: Any) -> None:
    """List runs, newest first."""
    list_runs(filter_string, **options)


@runs.command("search")
@click.option("--filter", "filter_string", required=True, metavar="FILTER",
              help="e.g. \"metrics.acc > 0.9 and params.model = 'cnn'\".")  # fmt: skip
@_listing_options
def search_command(filter_string: str, **options: Any) -> None:
    """Search runs with MLflow's filter grammar (plus OR, NOT and parentheses)."""
    list_runs(filter_string, **options)


@runs.command("show")
@click.argument("run_id")
@json_option
def show_command(run_id: str, as_json: bool) -> None:
    """Show one run: info, params, latest metrics, tags and artifacts."""
    client = get_client()
    run = get_runs(client, (run_id,))[0]
    render_run(client, run, as_json)


@runs.command("compare")
@click.argument("run_ids", nargs=-1, required=True)
@json_option
def compare_command(run_ids: tuple[str, ...], as_json: bool) -> None:
    """Compare the params and metrics of two or more runs side by side."""
    if len(run_ids) < 2:
        raise click.UsageError("compare needs at least two run ids")
    render_comparison(get_runs(get_client(), run_ids), as_json)


def _change_stage(run_ids: tuple[str, ...], deleted: bool) -> None:
    from cairn.errors import InvalidState

    client = get_client()
    found = get_runs(client, run_ids)
    wrong = "deleted" if deleted else "active"
    for run in found:
        if run.info.lifecycle_stage == wrong:
            raise InvalidState(f"run {run.info.run_id} ({run.info.run_name!r}) is already {wrong}")
    for run in found:
        (client.delete_run if deleted else client.restore_run)(run.info.run_id)
        verb = "Deleted" if deleted else "Restored"
        output.say(f"{verb} run {run.info.run_id} ({run.info.run_name!r}).")


@runs.command("delete")
@click.argument("run_ids", nargs=-1, required=True)
def delete_command(run_ids: tuple[str, ...]) -> None:
    """Soft-delete runs (`cairn gc` purges them for good)."""
    _change_stage(run_ids, deleted=True)


@runs.command("restore")
@click.argument("run_ids", nargs=-1, required=True)
def restore_command(run_ids: tuple[str, ...]) -> None:
    """Restore deleted runs."""
    _change_stage(run_ids, deleted=False)
