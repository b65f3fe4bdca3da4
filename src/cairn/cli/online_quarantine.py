"""``cairn online quarantine``: the batches the poisoning guard rejected.

Thin over :class:`cairn.online.quarantine.Quarantine`. The folder is ``--dir`` or
``.cairn/quarantine`` in the project (where :class:`cairn.online.OnlineTrainer` keeps them).
Exit codes: 0 ok, 1 the store failed, 2 bad input (an unknown model or id, a bad name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cairn.cli import get_client, output
from cairn.cli.experiments import json_option

_DIR = click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False),
    default=None,
    help="Quarantine folder (default: .cairn/quarantine in the project).",
)


def _quarantine(root: str | None, *, audited: bool = False) -> Any:
    from cairn.online.quarantine import Quarantine

    client = get_client()
    folder = Path(root) if root else client.settings.project_root / ".cairn" / "quarantine"
    return Quarantine(folder, client.store if audited else None)


def _row(entry: Any) -> dict[str, Any]:
    r = entry.record
    return {
        "model_name": r["model_name"],
        "id": r["id"],
        "status": r["status"],
        "stage": r["stage"],
        "batch_index": r["batch_index"],
        "source": r.get("source"),
        "rows": r["rows"],
        "quarantined_ms": r["quarantined_ms"],
        "reasons": r["reasons"],
    }


@click.group("quarantine")
def quarantine() -> None:
    """Batches the poisoning guard rejected: list, show, release or delete them."""


@quarantine.command("list")
@click.argument("model", required=False)
@_DIR
@json_option
@click.pass_context
def list_command(ctx: click.Context, model: str | None, root: str | None, as_json: bool) -> None:
    """List quarantined batches (of MODEL, or of every model), oldest first."""
    with output.check_exits(ctx):
        entries = _quarantine(root).list(model)
    rows = [_row(e) for e in entries]
    if as_json:
        output.print_json({"items": rows})
        return
    if not rows:
        output.note("no quarantined batches")
        return
    table = output.table("model", "id", "status", "stage", "batch", "source", "rows", "reason")
    for r in rows:
        table.add_row(
            output.esc(r["model_name"]),
            r["id"],
            r["status"],
            r["stage"],
            str(r["batch_index"]),
            output.esc(r["source"] or ""),
            str(r["rows"]),
            output.esc(r["reasons"][0] if r["reasons"] else ""),
        )
    output.show(table)


@quarantine.command("show")
@click.argument("model")
@click.argument("entry_id", metavar="ID")
@_DIR
@click.option("--head", type=click.IntRange(min=0), default=5, help="Rows of the batch to print.")
@json_option
@click.pass_context
def show_command(
    ctx: click.Context, model: str, entry_id: str, root: str | None, head: int, as_json: bool
) -> None:
    """Show one quarantined batch: reasons, scores, alerts and its first rows."""
    with output.check_exits(ctx):
        entry = _quarantine(root).show(model, entry_id)
        batch = entry.load()
    if as_json:
        rows = batch.X.head(head).assign(label=list(batch.y[:head]))
        output.print_json(dict(entry.record, head=rows.to_dict(orient="records")))
        return
    r = entry.record
    output.say(f"{r['model_name']} {r['id']}: {r['status']}, rejected at the {r['stage']} stage")
    output.say(f"batch {r['batch_index']}, {r['rows']} rows from {r.get('source') or '-'}")
    for reason in r["reasons"]:
        output.say(f"  - {reason}")
    scores = ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r["scores"].items()
    )
    output.say(f"scores: {scores}")
    for alert in r.get("alerts") or []:
        output.say(
            f"alert {alert['kind']} {alert['target']}: {alert['status']} ({alert['detail']})"
        )
    if head:
        output.say(batch.X.head(head).assign(label=list(batch.y[:head])).to_string())


@quarantine.command("release")
@click.argument("model")
@click.argument("entry_id", metavar="ID")
@_DIR
@click.option(
    "--to",
    type=click.Path(file_okay=False),
    default=None,
    help="Copy the batch there as Parquet (e.g. the trainer's source folder).",
)
@json_option
@click.pass_context
def release_command(
    ctx: click.Context, model: str, entry_id: str, root: str | None, to: str | None, as_json: bool
) -> None:
    """Mark a batch as judged clean (audited), optionally copying it back into a stream."""
    with output.check_exits(ctx):
        written = _quarantine(root, audited=True).release(model, entry_id, to=to)
    if as_json:
        output.print_json({"id": entry_id, "status": "released", "path": str(written)})
        return
    output.say(f"released {entry_id}" + (f" to {written}" if to else ""))


@quarantine.command("delete")
@click.argument("model")
@click.argument("entry_id", metavar="ID")
@_DIR
@json_option
@click.pass_context
def delete_command(
    ctx: click.Context, model: str, entry_id: str, root: str | None, as_json: bool
) -> None:
    """Delete a quarantined batch and its data (audited)."""
    with output.check_exits(ctx):
        _quarantine(root, audited=True).delete(model, entry_id)
    if as_json:
        output.print_json({"id": entry_id, "deleted": True})
        return
    output.say(f"deleted {entry_id}")
