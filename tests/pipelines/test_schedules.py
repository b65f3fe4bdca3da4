"""Schedules: the catch-up rules, adding with checks, and `cairn schedule` as a user types it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cairn.entities import Schedule
from cairn.errors import InvalidInput, InvalidState, NotFound
from cairn.pipelines.schedules import GRACE_MS, add_schedule, mark_due_now, plan_slot, to_ms
from cairn.tracking.client import CairnClient
from cli_support import cairn

HOUR = 3_600_000
T0 = to_ms(datetime(2026, 11, 26, 0, 0, tzinfo=UTC))


def hourly(catch_up: str, due: int) -> Schedule:
    return Schedule("s", "0 * * * *", "/p", (), None, catch_up, True, "me", 0, due)


@pytest.mark.parametrize(
    ("catch_up", "now", "expected"),
    [
        # three slots missed: latest runs once and moves to the next regular slot
        ("latest", T0 + 3 * HOUR + 5, ("run", T0, T0 + 4 * HOUR)),
        # all runs each missed slot in turn
        ("all", T0 + 3 * HOUR + 5, ("run", T0, T0 + HOUR)),
        # skip drops a slot that is more than the grace late ...
        ("skip", T0 + 3 * HOUR + 5, ("skip", T0, T0 + 4 * HOUR)),
        # ... and runs one that is on time
        ("skip", T0 + GRACE_MS - 1, ("run", T0, T0 + HOUR)),
        ("latest", T0 + 10, ("run", T0, T0 + HOUR)),
    ],
)
def test_catch_up_policies(catch_up: str, now: int, expected: tuple[str, int, int]) -> None:
    slot = plan_slot(hourly(catch_up, T0), now)
    assert (slot.action, slot.due_time, slot.next_due_time) == expected


@pytest.fixture
def scheduled(three_stages: Path) -> Path:
    return three_stages


def test_add_checks_everything_before_storing(scheduled: Path, client: CairnClient) -> None:
    store = client.store
    with pytest.raises(InvalidInput, match="minute field '61'"):
        add_schedule(store, "n", "61 * * * *", scheduled)
    with pytest.raises(InvalidInput, match=r"--pipeline .*nowhere: no cairn.yaml in"):
        add_schedule(store, "n", "@daily", scheduled / "nowhere")
    with pytest.raises(NotFound, match="no stage 'trian'.*Did you mean 'train'"):
        add_schedule(store, "n", "@daily", scheduled, stages=["trian"])
    with pytest.raises(InvalidInput, match="catch-up policy 'never'"):
        add_schedule(store, "n", "@daily", scheduled, catch_up="never")
    assert store.schedules.list_schedules() == []

    added = add_schedule(store, "n", "@daily", scheduled / "cairn.yaml", stages=["train"])
    assert added.pipeline == str(scheduled.resolve())
    assert added.next_due_time > to_ms(datetime.now(tz=UTC))
    assert added.next_due_time % 86_400_000 == 0  # next UTC midnight


def test_mark_due_now_refuses_a_paused_schedule(scheduled: Path, client: CairnClient) -> None:
    store = client.store
    add_schedule(store, "n", "@daily", scheduled)
    assert mark_due_now(store, "n").next_due_time <= to_ms(datetime.now(tz=UTC))
    store.schedules.update_schedule("n", enabled=False)
    with pytest.raises(InvalidState, match="'n' is paused"):
        mark_due_now(store, "n")


def test_the_schedule_commands(scheduled: Path) -> None:
    added = cairn(
        "schedule", "add", "nightly", "--cron", "0 3 * * *", "--pipeline", str(scheduled),
        "--stage", "train", "--catch-up", "all", "--experiment", "pipes",
        "--start-at", "2026-12-01T03:00",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Scheduled 'nightly' (0 3 * * *); first run due in" in added.output
    assert "(2026-12-01T03:00:00.000+00:00)" in added.output

    listed = json.loads(cairn("schedule", "list", "--json").output)
    assert [(s["name"], s["stages"], s["catch_up"], s["next_due_iso"]) for s in listed] == [
        ("nightly", ["train"], "all", "2026-12-01T03:00:00.000+00:00")
    ]
    table = cairn("schedule", "list").output
    assert "nightly" in table and "enabled" in table and f"{scheduled} [train]" in table
    shown = cairn("schedule", "show", "nightly")
    assert shown.exit_code == 0 and "experiment: pipes" in shown.output
    assert json.loads(cairn("schedule", "show", "nightly", "--json").output)["runs"] == []

    duplicate = cairn("schedule", "add", "nightly", "--cron", "@daily", "--pipeline", ".")
    assert duplicate.exit_code == 1
    assert "a schedule named 'nightly' exists already" in duplicate.output
    bad_cron = cairn("schedule", "add", "other", "--cron", "0 3 * *", "--pipeline", ".")
    assert bad_cron.exit_code == 1 and "has 4 fields; it needs 5" in bad_cron.output
    bad_time = cairn(
        "schedule", "add", "other", "--cron", "@daily", "--pipeline", ".", "--start-at", "soon"
    )
    assert bad_time.exit_code == 2 and "'soon' is not an ISO time" in bad_time.output
    assert len(json.loads(cairn("schedule", "list", "--json").output)) == 1

    assert cairn("schedule", "pause", "nightly").output == "Paused schedule 'nightly'.\n"
    assert "paused" in cairn("schedule", "list").output
    resumed = cairn("schedule", "resume", "nightly").output
    assert resumed.startswith("Resumed schedule 'nightly'; next run due in")
    assert json.loads(cairn("schedule", "show", "nightly", "--json").output)["enabled"] is True

    unknown = cairn("schedule", "show", "nightlly")
    assert unknown.exit_code == 1 and "Did you mean 'nightly'" in unknown.output
    assert cairn("schedule", "remove", "nightly").output == "Removed schedule 'nightly'.\n"
    assert cairn("schedule", "remove", "nightly").exit_code == 1
    assert "No schedules yet" in cairn("schedule", "list").output
