"""``cairn online``: run an online trainer from a config file, show its checkpoints, roll back."""

from __future__ import annotations

import signal
from typing import Any

import click

from cairn.cli import get_client, output
from cairn.cli.experiments import json_option
from cairn.cli.online_quarantine import quarantine


@click.group("online")
def online() -> None:
    """Online (streaming) learning: a model that keeps learning from labelled batches."""


@online.command("run")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--max-batches", type=int, default=None, metavar="N", help="Stop after N batches.")
@click.option(
    "--stop-when-idle", type=float, default=None, metavar="SECONDS",
    help="Stop after this long without a new file (overrides source.stop_when_idle).",
)  # fmt: skip
@json_option
@click.pass_context
def run(
    ctx: click.Context,
    config: str,
    max_batches: int | None,
    stop_when_idle: float | None,
    as_json: bool,
) -> None:
    """Learn from the files arriving in the source folder of CONFIG (YAML).

    Each file is a batch: scored by the live model, screened by the guard when one is
    configured, learned from, logged as metrics of one run; every checkpoint_every accepted
    batches the model becomes a new version of model_name and the alias moves to it. Ends when
    the folder stays idle (stop_when_idle), after --max-batches, or on Ctrl-C / SIGTERM (then
    the pending checkpoint is written). See docs/online-learning.md for the file format.

    \b
    Exit status:
      0  the stream ended and the run finished
      1  the store or the model failed
      2  bad input: an invalid config file, an unknown model
    """
    from cairn.online.config import load_job

    with output.check_exits(ctx):
        job = load_job(config, tracking_uri=get_client().tracking_uri)
        if stop_when_idle is not None:
            if stop_when_idle < 0:
                raise click.BadParameter("must be >= 0", param_hint="--stop-when-idle")
            job.source.stop_when_idle = stop_when_idle
        limit = max_batches if max_batches is not None else job.max_batches
        previous = _stop_on_signals(job.source.stop)
        try:
            summary = job.trainer.run(job.source, max_batches=limit)
        finally:
            _restore(previous)
    if as_json:
        output.print_json(summary.to_dict())
        return
    output.say(
        f"{summary.batches} batches ({summary.accepted} accepted, {summary.rejected} rejected), "
        f"{summary.rows} rows learned; run {summary.run_id}"
    )
    if summary.checkpoints:
        versions = ", ".join(str(v) for v in summary.checkpoints)
        output.say(
            f"checkpoints: versions {versions} of {job.trainer.model_name}; "
            f"@{job.trainer.alias} -> {summary.live_version}"
        )
    else:
        output.say("no new checkpoint (nothing was learned)")


def _stop_on_signals(stop: Any) -> dict[int, Any]:
    """Make SIGINT and SIGTERM end the stream cleanly (main thread only)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda *_: stop())
    return previous


def _restore(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


@online.command("rollback")
@click.argument("name")
@click.argument("version")
@click.option("--alias", default="online", show_default=True, help="The alias to move back.")
@json_option
@click.pass_context
def rollback(ctx: click.Context, name: str, version: str, alias: str, as_json: bool) -> None:
    """Point NAME's alias back at checkpoint VERSION (checked to load; the move is audited).

    A server following models:/NAME@ALIAS swaps to it; restart a running `cairn online run`
    with model: models:/NAME@ALIAS to continue learning from it.
    """
    from cairn.online.checkpoints import rollback_to

    with output.check_exits(ctx):
        _model, found = rollback_to(get_client(), name, version, alias=alias)
    if as_json:
        output.print_json({"model_name": name, "alias": alias, "version": int(found.version)})
        return
    output.say(f"{name}@{alias} -> version {found.version}")


@online.command("status")
@click.argument("name")
@click.option("--alias", default="online", show_default=True, help="The trainer's alias.")
@json_option
@click.pass_context
def status(ctx: click.Context, name: str, alias: str, as_json: bool) -> None:
    """Show NAME's online checkpoints, the live version and each run's counts."""
    from cairn.online.status import online_status

    with output.check_exits(ctx):
        report = online_status(get_client(), name, alias)
    if as_json:
        output.print_json(report)
        return
    grid = output.table(
        "version", "batches", "rows", "run", "created", "live",
        title=f"{name}: online checkpoints (@{alias} -> {report['live_version'] or '-'})",
    )  # fmt: skip
    for row in report["checkpoints"]:
        grid.add_row(
            str(row["version"]),
            str(row["batches"]),
            str(row["rows"]),
            row["run_id"][:12],
            output.iso_local(row["created"]),
            "*" if row["live"] else "",
        )
    output.show(grid)
    runs = output.table("run", "status", "accepted", "rejected", "rolled back to", title="runs")
    for entry in report["runs"]:
        runs.add_row(
            entry["run_id"][:12],
            output.status_markup(entry["status"]),
            str(entry.get("accepted", "-")),
            str(entry.get("rejected", "-")),
            str(entry.get("rolled_back_to") or "-"),
        )
    output.show(runs)


online.add_command(quarantine)
