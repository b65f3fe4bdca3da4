"""``cairn schedule``: pipelines run on a cron schedule; ``cairn scheduler``: the service
that runs them.

Thin over :mod:`cairn.pipelines.schedules` and :mod:`cairn.pipelines.scheduler`.
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from signal import SIGINT, SIGTERM
from typing import TYPE_CHECKING, Any

import click

from cairn.cli import SuggestingGroup, get_client, output
from cairn.cli.experiments import json_option

if TYPE_CHECKING:
    from cairn.entities import Schedule, ScheduleRun


def _start_at(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO time such as 2026-12-01T03:00") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _until(ms: int) -> str:
    left = ms - int(datetime.now(tz=UTC).timestamp() * 1000)
    return "now" if left <= 0 else f"in {output.format_duration(left)}"


def schedule_dict(schedule: Schedule) -> dict[str, Any]:
    """The JSON form of a schedule (epoch ms and ISO times)."""
    return {
        "name": schedule.name,
        "cron": schedule.cron,
        "pipeline": schedule.pipeline,
        "stages": list(schedule.stages),
        "experiment": schedule.experiment,
        "catch_up": schedule.catch_up,
        "enabled": schedule.enabled,
        "creator": schedule.creator,
        "creation_time": schedule.creation_time,
        "next_due_time": schedule.next_due_time,
        "next_due_iso": output.iso_utc(schedule.next_due_time),
        "last_start_time": schedule.last_start_time,
        "last_start_iso": output.iso_utc(schedule.last_start_time),
        "running": schedule.lease_owner is not None,
        "lease_owner": schedule.lease_owner,
    }


def run_dict(run: ScheduleRun) -> dict[str, Any]:
    """The JSON form of a schedule run."""
    return {
        "schedule_run_id": run.schedule_run_id,
        "schedule": run.schedule,
        "status": run.status,
        "due_time": run.due_time,
        "due_iso": output.iso_utc(run.due_time),
        "start_time": run.start_time,
        "end_time": run.end_time,
        "pipeline_run_id": run.pipeline_run_id,
        "runner": run.runner,
        "error": run.error,
    }


@click.group(cls=SuggestingGroup)
def schedule() -> None:
    """Pipelines run on a cron schedule (times in UTC) by `cairn scheduler`."""


@schedule.command("add")
@click.argument("name")
@click.option("--cron", required=True, metavar="EXPR", help="e.g. '0 3 * * *' or @daily (UTC).")
@click.option(
    "--pipeline", "pipeline_path", required=True, metavar="PATH",
    help="The project folder (or its cairn.yaml) on the scheduler's machine.",
)  # fmt: skip
@click.option("--stage", "stages", multiple=True, metavar="STAGE", help="Repeatable; default all.")
@click.option("--experiment", metavar="NAME", help="Experiment of the pipeline runs.")
@click.option(
    "--catch-up", type=click.Choice(["latest", "all", "skip"]), default="latest",
    show_default=True,
    help="Slots missed while no scheduler ran: one run for all (latest), one each (all), "
    "none (skip).",
)  # fmt: skip
@click.option(
    "--start-at", callback=_start_at, metavar="ISO",
    help="When the first run is due (default: the next cron time). UTC unless it says.",
)  # fmt: skip
@json_option
def add_schedule(
    name: str,
    cron: str,
    pipeline_path: str,
    stages: tuple[str, ...],
    experiment: str | None,
    catch_up: str,
    start_at: datetime | None,
    as_json: bool,
) -> None:
    """Schedule the pipeline at PATH as NAME."""
    from cairn.pipelines.schedules import add_schedule as add

    added = add(
        get_client().store, name, cron, pipeline_path,
        stages=stages, experiment=experiment, catch_up=catch_up, start_at=start_at,
    )  # fmt: skip
    if as_json:
        output.print_json(schedule_dict(added))
        return
    due = output.iso_utc(added.next_due_time)
    output.say(f"Scheduled {name!r} ({cron}); first run due {_until(added.next_due_time)} ({due}).")


@schedule.command("list")
@json_option
def list_schedules(as_json: bool) -> None:
    """List the schedules with when each is due next."""
    found = get_client().store.schedules.list_schedules()
    if as_json:
        output.print_json([schedule_dict(s) for s in found])
        return
    grid = output.table("name", "cron", "next due", "state", "catch-up", "pipeline")
    for item in found:
        state = "running" if item.lease_owner else ("enabled" if item.enabled else "paused")
        next_due = f"{_until(item.next_due_time)} ({output.iso_utc(item.next_due_time)})"
        pipeline = item.pipeline + (f" [{' '.join(item.stages)}]" if item.stages else "")
        grid.add_row(
            output.esc(item.name), output.esc(item.cron), next_due, state, item.catch_up,
            output.esc(pipeline),
        )  # fmt: skip
    output.show(grid)
    if not found:
        output.note("No schedules yet: cairn schedule add NAME --cron '0 3 * * *' --pipeline .")


@schedule.command("show")
@click.argument("name")
@click.option(
    "--runs", "max_runs", type=click.IntRange(min=1), default=10, show_default=True,
    metavar="N", help="Show the N most recent runs.",
)  # fmt: skip
@json_option
def show_schedule(name: str, max_runs: int, as_json: bool) -> None:
    """A schedule and its recent runs."""
    store = get_client().store
    found = store.schedules.get_schedule(name)
    runs = store.schedules.list_schedule_runs(name, max_runs)
    if as_json:
        output.print_json({**schedule_dict(found), "runs": [run_dict(r) for r in runs]})
        return
    for key, value in schedule_dict(found).items():
        if not key.endswith(("_time", "_iso")) and value not in (None, [], ""):
            shown = " ".join(value) if isinstance(value, list) else value
            output.say(f"{key:>12}: {shown}")
    output.say(
        f"{'next due':>12}: {_until(found.next_due_time)} ({output.iso_utc(found.next_due_time)})"
    )
    grid = output.table("run", "due", "status", "took", "pipeline run", "error", title="Runs")
    for run in runs:
        took = (
            "-"
            if run.status == "skipped"
            else output.format_duration(
                output.duration_ms(run.start_time, run.end_time, running=True)
            )
        )
        error = (run.error or "").strip().splitlines()[-1:] or [""]
        grid.add_row(
            str(run.schedule_run_id), output.iso_utc(run.due_time), run.status, took,
            run.pipeline_run_id or "-", output.esc(error[0][:80]),
        )  # fmt: skip
    output.show(grid)


@schedule.command("remove")
@click.argument("name")
def remove_schedule(name: str) -> None:
    """Remove a schedule and its run history (its pipeline runs stay)."""
    get_client().store.schedules.delete_schedule(name)
    output.say(f"Removed schedule {name!r}.")


@schedule.command("pause")
@click.argument("name")
def pause_schedule(name: str) -> None:
    """Stop the scheduler from starting a schedule (`schedule run --wait` still runs it)."""
    get_client().store.schedules.update_schedule(name, enabled=False)
    output.say(f"Paused schedule {name!r}.")


@schedule.command("resume")
@click.argument("name")
def resume_schedule(name: str) -> None:
    """Let the scheduler start a paused schedule again, from its next cron time."""
    from cairn.pipelines.cron import next_after
    from cairn.pipelines.schedules import to_ms

    store = get_client().store
    found = store.schedules.get_schedule(name)
    due = to_ms(next_after(found.cron, datetime.now(tz=UTC)))
    store.schedules.update_schedule(name, enabled=True, next_due_time=due)
    output.say(f"Resumed schedule {name!r}; next run due {_until(due)} ({output.iso_utc(due)}).")


@schedule.command("run")
@click.argument("name")
@click.option("--wait", is_flag=True, help="Run it here and now instead of by the scheduler.")
def run_schedule(name: str, wait: bool) -> None:
    """Start a schedule's pipeline now (by default: at the scheduler's next poll)."""
    from cairn.pipelines.scheduler import trigger

    ended = trigger(name, tracking_uri=get_client().tracking_uri, wait=wait)
    if ended is None:
        output.say(f"Schedule {name!r} is due now; the scheduler starts it at its next poll.")
        return
    output.say(f"Run {ended.schedule_run_id} of {name!r} {ended.status}.")
    if ended.status != "succeeded":
        raise click.exceptions.Exit(1)


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Start what is due, wait for it, and exit.")
@click.option(
    "--poll", type=click.FloatRange(min=0.05), default=10.0, show_default=True, metavar="SECONDS",
    help="How often to look for due schedules.",
)  # fmt: skip
def scheduler(once: bool, poll: float) -> None:
    """Run scheduled pipelines when they come due, until stopped (SIGTERM or Ctrl-C stop
    it cleanly: running pipelines are interrupted and recorded). Several schedulers may
    share a store: each slot starts once."""
    from cairn.pipelines.scheduler import Scheduler

    client = get_client()

    def say(message: str) -> None:
        output.say(f"{datetime.now(tz=UTC).strftime('%H:%M:%S')} {message}")

    service = Scheduler(client.store, client.tracking_uri, say=say)
    before = {s: signal.signal(s, lambda *_: service.stop()) for s in (SIGTERM, SIGINT)}
    say(f"scheduler {service.owner} on {client.tracking_uri}, polling every {poll:g} s")
    try:
        service.serve(poll, once=once)
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    say("scheduler stopped")
