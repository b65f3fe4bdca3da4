"""``cairn experiments``: list, create, rename, delete and restore experiments."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cairn.cli import SuggestingGroup, get_client, output

if TYPE_CHECKING:
    from cairn.entities import Experiment
    from cairn.tracking.client import CairnClient

VIEWS = {"active": "active_only", "deleted": "deleted_only", "all": "all"}
view_option = click.option(
    "--view",
    type=click.Choice(list(VIEWS)),
    default="active",
    show_default=True,
    help="Which lifecycle stages to include.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")


def resolve_experiment(client: CairnClient, id_or_name: str) -> Experiment:
    """The experiment named by an id (all digits) or a name; NotFound otherwise."""
    text = id_or_name.strip()
    if text.isascii() and text.isdigit():
        return client.get_experiment(text)
    return client.get_experiment_by_name(id_or_name)


def parse_tags(pairs: tuple[str, ...], param: str = "--tag") -> dict[str, str]:
    """``k=v`` strings as a dict; a usage error names the one without ``=``."""
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint=param)
        tags[key] = value
    return tags


def search_all(
    client: CairnClient,
    view: str = "all",
    filter_string: str | None = None,
    order_by: tuple[str, ...] = (),
    max_results: int | None = None,
) -> tuple[list[Experiment], bool]:
    """Experiments matching a filter, paged through; and whether more were left out."""
    found: list[Experiment] = []
    token = None
    while True:
        want = 1000 if max_results is None else min(1000, max_results - len(found))
        page = client.search_experiments(
            VIEWS.get(view, view), want, filter_string, order_by, token
        )
        found.extend(page.items)
        token = page.next_page_token
        if token is None:
            return found, False
        if max_results is not None and len(found) >= max_results:
            return found, True


@click.group(cls=SuggestingGroup)
def experiments() -> None:
    """Experiments: named groups of runs."""


@experiments.command("list")
@view_option
@click.option("--filter", "filter_string", metavar="FILTER", help="e.g. \"name LIKE 'bert%'\".")
@click.option("--order-by", multiple=True, metavar="KEY [ASC|DESC]", help="Repeatable.")
@click.option(
    "--max-results", type=click.IntRange(min=1), default=1000, show_default=True, metavar="N",
    help="Show at most N experiments.",
)  # fmt: skip
@json_option
def list_experiments(
    view: str, filter_string: str | None, order_by: tuple[str, ...], max_results: int, as_json: bool
) -> None:
    """List experiments."""
    found, more = search_all(get_client(), view, filter_string, order_by, max_results)
    if as_json:
        output.print_json([output.experiment_dict(e) for e in found])
        return
    grid = output.table("id", "name", "lifecycle", "created", "artifact location")
    for exp in found:
        stage = (
            exp.lifecycle_stage
            if exp.lifecycle_stage == "active"
            else f"[red]{exp.lifecycle_stage}[/]"
        )
        grid.add_row(
            exp.experiment_id,
            output.esc(exp.name),
            stage,
            output.iso_local(exp.creation_time),
            output.esc(exp.artifact_location),
        )
    output.show(grid)
    if more:
        output.note(f"Showing the first {len(found)} experiments; raise --max-results for more.")


@experiments.command("create")
@click.argument("name")
@click.option("--artifact-location", metavar="URI", help="Where its runs keep artifacts.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
def create_experiment(name: str, artifact_location: str | None, tags: tuple[str, ...]) -> None:
    """Create an experiment and print its id."""
    clean_tags = parse_tags(tags)
    experiment_id = get_client().create_experiment(name, artifact_location, clean_tags)
    output.say(f"Created experiment {name!r} with id {experiment_id}.")


@experiments.command("rename")
@click.argument("id_or_name")
@click.argument("new_name")
def rename_experiment(id_or_name: str, new_name: str) -> None:
    """Give an experiment a new name."""
    client = get_client()
    exp = resolve_experiment(client, id_or_name)
    client.rename_experiment(exp.experiment_id, new_name)
    output.say(f"Renamed experiment {exp.experiment_id} from {exp.name!r} to {new_name!r}.")


@experiments.command("delete")
@click.argument("id_or_name")
def delete_experiment(id_or_name: str) -> None:
    """Soft-delete an experiment and its runs (`cairn gc` purges them for good)."""
    client = get_client()
    exp = resolve_experiment(client, id_or_name)
    client.delete_experiment(exp.experiment_id)
    output.say(f"Deleted experiment {exp.experiment_id} ({exp.name!r}).")


@experiments.command("restore")
@click.argument("id_or_name")
def restore_experiment(id_or_name: str) -> None:
    """Restore a deleted experiment and the runs deleted with it."""
    client = get_client()
    exp = resolve_experiment(client, id_or_name)
    client.restore_experiment(exp.experiment_id)
    output.say(f"Restored experiment {exp.experiment_id} ({exp.name!r}).")
