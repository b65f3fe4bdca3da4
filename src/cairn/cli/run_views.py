"""How ``cairn runs show`` and ``cairn runs compare`` render a run and a comparison."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.cli import output
from cairn.tracking.inputs import describe_dataset_input

if TYPE_CHECKING:
    from cairn.entities import Run
    from cairn.tracking.client import CairnClient

MAX_ARTIFACTS_SHOWN = 50


def render_run(client: CairnClient, run: Run, as_json: bool) -> None:
    """Print one run in full."""
    from rich.table import Table

    info = run.info
    exp_name = client.get_experiment(info.experiment_id).name
    files = client.artifact_store(info.run_id).walk()
    data = output.run_dict(run, exp_name)
    data["datasets"] = [describe_dataset_input(d) for d in client.get_run_io(info.run_id).datasets]
    if as_json:
        data["artifacts"] = [{"path": f.path, "file_size": f.file_size} for f in files]
        output.print_json(data)
        return
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column(overflow="fold")
    running = info.status == "RUNNING"
    for label, value in (
        ("run id", output.esc(info.run_id)),
        ("name", output.esc(info.run_name)),
        ("experiment", output.esc(f"{exp_name} ({info.experiment_id})")),
        ("status", output.status_markup(info.status)),
        ("lifecycle", info.lifecycle_stage),
        ("user", output.esc(info.user_id)),
        ("start", output.iso_local(info.start_time)),
        ("end", output.iso_local(info.end_time)),
        ("duration", output.format_duration(output.duration_ms(info.start_time, info.end_time, running))),
        ("artifact uri", output.esc(info.artifact_uri)),
    ):  # fmt: skip
        head.add_row(label, value)
    output.show(head)
    for title, values in (("Params", data["params"]), ("Metrics", data["metrics"]),
                          ("Tags", data["tags"]), ("System tags", data["system_tags"])):  # fmt: skip
        if values:
            output.say("")
            grid = output.table("key", "value", title=title)
            for key, value in sorted(values.items()):
                grid.add_row(output.esc(key), output.esc(output.format_value(value)))
            output.show(grid)
    if data["datasets"]:
        output.say("")
        output.show(dataset_table(data["datasets"]))
    if files:
        output.say("")
        grid = output.table("path", "size", title="Artifacts")
        for f in files[:MAX_ARTIFACTS_SHOWN]:
            grid.add_row(output.esc(f.path), output.format_size(f.file_size))
        output.show(grid)
        if len(files) > MAX_ARTIFACTS_SHOWN:
            left = len(files) - MAX_ARTIFACTS_SHOWN
            output.note(f"... and {left} more files: see `cairn artifacts list {info.run_id}`")


def dataset_table(datasets: list[dict[str, Any]], title: str = "Datasets") -> Any:
    """The datasets a run read: name, role, digest, path, size, files and rows."""
    grid = output.table("name", "context", "digest", "path", "size", "files", "rows", title=title)
    for d in datasets:
        grid.add_row(
            output.esc(d["name"]),
            output.esc(d["context"] or ""),
            output.esc(d["digest"][:12]),
            output.esc(d["path"] or ""),
            output.format_size(d["size"]),
            "" if d["files"] is None else str(d["files"]),
            "" if d["rows"] is None else f"{d['rows']:,}",
        )
    return grid


def comparison_rows(found: list[Run]) -> list[dict[str, Any]]:
    """One row per param and metric key: each run's value, whether they differ, who lacks it."""
    rows = []
    for kind in ("params", "metrics"):
        keys = sorted({k for run in found for k in getattr(run.data, kind)})
        for key in keys:
            values = {r.info.run_id: getattr(r.data, kind).get(key) for r in found}
            missing = [rid for rid, value in values.items() if value is None]
            present = {repr(v) for v in values.values() if v is not None}
            rows.append({"kind": kind, "key": key, "values": values,
                         "differs": len(present) > 1 or bool(missing), "missing_in": missing})  # fmt: skip
    return rows


def render_comparison(found: list[Run], as_json: bool) -> None:
    """Print the runs side by side, differing rows highlighted."""
    rows = comparison_rows(found)
    if as_json:
        heads = [{"run_id": r.info.run_id, "run_name": r.info.run_name,
                  "experiment_id": r.info.experiment_id} for r in found]  # fmt: skip
        output.print_json({"runs": heads, "rows": rows})
        return
    names = (f"{r.info.run_id[:8]}\n{output.esc(r.info.run_name)}" for r in found)
    grid = output.table("kind", "key", *names, "diff")
    for row in rows:
        style = "bold yellow" if row["differs"] else ""
        cells = []
        for value in row["values"].values():
            text = output.esc(output.format_value(value)) if value is not None else "[dim]-[/]"
            cells.append(f"[{style}]{text}[/]" if style and value is not None else text)
        present = {repr(v) for v in row["values"].values() if v is not None}
        marks = ["differs"] if len(present) > 1 else []
        if row["missing_in"]:
            marks.append(f"only in {len(found) - len(row['missing_in'])} of {len(found)}")
        mark = ", ".join(marks)
        key = output.esc(row["key"])
        grid.add_row(row["kind"], f"[{style}]{key}[/]" if style else key, *cells, mark)
    output.show(grid)
