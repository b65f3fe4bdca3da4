"""Pipeline schedules: adding them, and deciding what a due slot means.

A schedule runs ``cairn pipeline run [STAGE ...]`` in a project folder whenever its cron
expression comes due (times are UTC). The scheduler service (:mod:`cairn.pipelines.scheduler`)
starts the runs; this module holds the rules it follows.

Missed slots (no scheduler was running, or the previous run was still going) follow the
schedule's catch-up policy:

- ``latest`` (default): one run for any number of missed slots, then the next regular slot;
- ``all``: one run per missed slot, one after the other, until it has caught up;
- ``skip``: a slot more than :data:`GRACE_MS` late is recorded as "skipped" and not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cairn.entities import Schedule
from cairn.errors import InvalidInput, InvalidState
from cairn.pipelines.cron import next_after, parse
from cairn.pipelines.model import PIPELINE_FILE
from cairn.store import Store
from cairn.store.base import now_ms

GRACE_MS = 60_000  # how late a slot may start and still count as on time ("skip")


@dataclass(frozen=True)
class Slot:
    """What to do about a schedule's due slot: ``run`` or ``skip`` it, and the next due time."""

    action: str
    due_time: int
    next_due_time: int


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of ``moment`` (a naive one is UTC)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return int(aware.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """The UTC time of epoch milliseconds."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def pipeline_folder(path: str | Path) -> Path:
    """The absolute project folder of ``path`` (the folder itself, or its ``cairn.yaml``)."""
    given = Path(path).expanduser().resolve()
    folder = given.parent if given.name == PIPELINE_FILE else given
    if not (folder / PIPELINE_FILE).is_file():
        raise InvalidInput(
            f"--pipeline {path}: no {PIPELINE_FILE} in {folder}; name a project folder holding "
            f"{PIPELINE_FILE} (or the file itself)"
        )
    return folder


def _check_stages(folder: Path, stages: Sequence[str]) -> None:
    if not stages:
        return
    from cairn.pipelines.loading import load_pipeline

    pipeline = load_pipeline(folder)
    for name in stages:
        pipeline.stage(name)  # NotFound names the stages there are


def add_schedule(
    store: Store,
    name: str,
    cron: str,
    pipeline: str | Path,
    *,
    stages: Sequence[str] = (),
    experiment: str | None = None,
    catch_up: str = "latest",
    start_at: datetime | None = None,
) -> Schedule:
    """Add a schedule of the pipeline at ``pipeline``; its first run is due at ``start_at``
    (default: the expression's next time from now). Everything is checked before anything
    is stored."""
    parse(cron)
    folder = pipeline_folder(pipeline)
    _check_stages(folder, stages)
    first = to_ms(start_at) if start_at is not None else to_ms(next_after(cron, from_ms(now_ms())))
    return store.schedules.create_schedule(
        name,
        cron,
        str(folder),
        first,
        stages=list(stages),
        experiment=experiment,
        catch_up=catch_up,
    )


def plan_slot(schedule: Schedule, now: int) -> Slot:
    """Whether to run or skip ``schedule``'s due slot at ``now``, and its next due time."""
    due = schedule.next_due_time
    if schedule.catch_up == "all":
        return Slot("run", due, to_ms(next_after(schedule.cron, from_ms(due))))
    following = to_ms(next_after(schedule.cron, from_ms(max(now, due))))
    if schedule.catch_up == "skip" and now - due > GRACE_MS:
        return Slot("skip", due, following)
    return Slot("run", due, following)


def mark_due_now(store: Store, name: str) -> Schedule:
    """Make ``name`` due at once, so the scheduler service starts it at its next poll."""
    schedule = store.schedules.get_schedule(name)
    if not schedule.enabled:
        raise InvalidState(
            f"schedule {name!r} is paused, so the scheduler will not start it; "
            "run it here with trigger(name, wait=True)"
        )
    return store.schedules.update_schedule(name, next_due_time=now_ms())
