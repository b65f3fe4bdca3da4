"""``cairn data lineage``: the datasets runs read, their versions, and the runs behind each."""

from __future__ import annotations

from dataclasses import asdict

import click

from cairn.cli import get_client, output
from cairn.tracking.inputs import describe_dataset_input


@click.command("lineage")
@click.argument("name", required=False)
@click.option(
    "--like", "name_like", help="Only names matching this SQL LIKE pattern, e.g. 'train%'."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
def lineage(name: str | None, name_like: str | None, as_json: bool) -> None:
    """List the datasets runs have read; with NAME, its versions and the runs that read each."""
    client = get_client()
    if name is None:
        found = client.list_datasets(name_like)
        if as_json:
            output.print_json([asdict(s) for s in found])
            return
        if not found:
            output.note(
                "No run has logged a dataset yet: in a run, call "
                "cairn.log_input(cairn.data.dataset('data/train.csv'), context='training')."
            )
            return
        grid = output.table("name", "versions", "runs", "last used", title="Datasets")
        for s in found:
            grid.add_row(
                output.esc(s.name), str(s.versions), str(s.runs), output.iso_local(s.last_used)
            )
        output.show(grid)
        return
    versions = client.get_dataset(name)
    if as_json:
        output.print_json(
            {
                "name": name,
                "versions": [
                    {**asdict(v), "described": describe_dataset_input(v.to_dataset_input())}
                    for v in versions
                ],
            }
        )
        return
    for v in versions:
        facts = describe_dataset_input(v.to_dataset_input())
        size = output.format_size(facts["size"]) if facts["size"] is not None else "?"
        rows = f", {facts['rows']:,} rows" if facts["rows"] is not None else ""
        output.say(
            f"{name} @ {v.digest[:12]}  {facts['path'] or facts['source_type']}  {size}{rows}"
        )
        grid = output.table("run", "name", "experiment", "context", "started")
        for use in v.uses:
            grid.add_row(
                output.esc(use.run_id),
                output.esc(use.run_name),
                output.esc(use.experiment_id),
                output.esc(use.context or ""),
                output.iso_local(use.start_time),
            )
        output.show(grid)
        output.say("")
