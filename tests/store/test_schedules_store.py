"""Pipeline schedules on every backend (SQLite, PostgreSQL, MySQL and a live cairn server):
create/list/update/delete, due listing, claims that only one caller wins, leases, skipped
slots, ending runs, lost runs, bad input that leaves the store unchanged."""

from __future__ import annotations

import pytest

from cairn.errors import AlreadyExists, InvalidInput, InvalidState, NotFound
from cairn.store.base import now_ms

RUN_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def store(cairn_store):
    return cairn_store


def test_create_get_list_update_delete(store):
    made = store.schedules.create_schedule(
        "nightly",
        "0 3 * * *",
        "/srv/project",
        1_000,
        stages=["train", "eval"],
        experiment="pipes",
        catch_up="all",
    )
    assert (made.name, made.cron, made.pipeline, made.stages) == (
        "nightly",
        "0 3 * * *",
        "/srv/project",
        ("train", "eval"),
    )
    assert (made.experiment, made.catch_up, made.enabled, made.next_due_time) == (
        "pipes",
        "all",
        True,
        1_000,
    )
    assert made.creator and made.creation_time > 0 and made.lease_owner is None
    store.schedules.create_schedule("hourly", "@hourly", "/srv/other/cairn.yaml", 5_000)
    assert [s.name for s in store.schedules.list_schedules()] == ["hourly", "nightly"]
    assert store.schedules.get_schedule("nightly") == made

    paused = store.schedules.update_schedule("nightly", enabled=False, next_due_time=9_000)
    assert (paused.enabled, paused.next_due_time) == (False, 9_000)
    store.schedules.delete_schedule("nightly")
    assert store.schedules.find_schedule("nightly") is None
    assert [s.name for s in store.schedules.list_schedules()] == ["hourly"]


def test_unknown_and_duplicate_names(store):
    store.schedules.create_schedule("nightly", "0 3 * * *", "/p", 1_000)
    with pytest.raises(AlreadyExists, match="a schedule named 'nightly' exists already"):
        store.schedules.create_schedule("nightly", "0 4 * * *", "/q", 1_000)
    with pytest.raises(NotFound, match="no schedule named 'nighty'.*Did you mean 'nightly'"):
        store.schedules.get_schedule("nighty")
    for call in (
        lambda: store.schedules.update_schedule("nope", enabled=False),
        lambda: store.schedules.delete_schedule("nope"),
        lambda: store.schedules.list_schedule_runs("nope"),
    ):
        with pytest.raises(NotFound):
            call()
    assert store.schedules.get_schedule("nightly").cron == "0 3 * * *"


BAD_INPUT = [
    ({"name": "bad name"}, "schedule name 'bad name' is not allowed"),
    ({"name": ""}, "schedule name '' is not allowed"),
    ({"cron": ""}, "cron expression must not be empty"),
    ({"pipeline": ""}, "pipeline path must not be empty"),
    ({"next_due_time": -1}, "next due time must be epoch milliseconds"),
    ({"catch_up": "some"}, "catch-up policy 'some' is not one of latest, all, skip"),
    ({"stages": "train"}, "stages must be a list of stage names"),
]


def test_bad_input_is_refused_and_nothing_is_stored(store):
    for kwargs, message in BAD_INPUT:
        args = {"name": "ok", "cron": "0 3 * * *", "pipeline": "/p", "next_due_time": 1_000}
        args.update(kwargs)
        with pytest.raises(InvalidInput, match=message):
            store.schedules.create_schedule(
                args.pop("name"), args.pop("cron"), args.pop("pipeline"),
                args.pop("next_due_time"), **args,
            )  # fmt: skip
    assert store.schedules.list_schedules() == []


def test_only_one_claim_of_a_slot_wins_and_the_lease_blocks_the_next(store):
    store.schedules.create_schedule("nightly", "0 3 * * *", "/p", 1_000)
    store.schedules.create_schedule("later", "0 3 * * *", "/p", now_ms() + 3_600_000)
    store.schedules.create_schedule("paused", "0 3 * * *", "/p", 1_000, enabled=False)
    now = now_ms()
    assert [s.name for s in store.schedules.list_due(now)] == ["nightly"]

    lease = now + 60_000
    first = store.schedules.claim_schedule(
        "nightly", due_time=1_000, next_due_time=2_000, owner="a", lease_expiry_time=lease
    )
    assert first is not None
    assert (first.schedule, first.due_time, first.status, first.runner) == (
        "nightly",
        1_000,
        "running",
        "a",
    )
    again = store.schedules.claim_schedule(
        "nightly", due_time=1_000, next_due_time=2_000, owner="b", lease_expiry_time=lease
    )
    assert again is None  # the slot moved on
    held = store.schedules.claim_schedule(
        "nightly", due_time=2_000, next_due_time=3_000, owner="b", lease_expiry_time=lease
    )
    assert held is None  # a's lease is live
    assert store.schedules.list_due(now_ms()) == []
    claimed = store.schedules.get_schedule("nightly")
    assert (claimed.lease_owner, claimed.lease_expiry_time, claimed.next_due_time) == (
        "a",
        lease,
        2_000,
    )
    assert store.schedules.renew_lease("nightly", owner="a", lease_expiry_time=lease + 1)
    assert not store.schedules.renew_lease("nightly", owner="b", lease_expiry_time=lease + 1)

    ended = store.schedules.end_schedule_run(
        first.schedule_run_id, status="succeeded", pipeline_run_id=RUN_ID
    )
    assert (ended.status, ended.pipeline_run_id) == ("succeeded", RUN_ID)
    assert ended.end_time is not None and ended.end_time >= ended.start_time
    released = store.schedules.get_schedule("nightly")
    assert (released.lease_owner, released.lease_expiry_time) == (None, None)
    with pytest.raises(InvalidState, match="ended already"):
        store.schedules.end_schedule_run(first.schedule_run_id, status="failed")
    with pytest.raises(InvalidInput, match="ends succeeded or failed, not 'done'"):
        store.schedules.end_schedule_run(first.schedule_run_id, status="done")
    with pytest.raises(NotFound, match="no schedule run 999"):
        store.schedules.end_schedule_run(999, status="failed")


def test_an_expired_lease_is_taken_over_and_its_run_marked_lost(store):
    store.schedules.create_schedule("nightly", "0 3 * * *", "/p", 1_000)
    dead = store.schedules.claim_schedule(
        "nightly", due_time=1_000, next_due_time=2_000, owner="dead", lease_expiry_time=1
    )
    assert dead is not None
    taken = store.schedules.claim_schedule(
        "nightly", due_time=2_000, next_due_time=3_000, owner="b", lease_expiry_time=now_ms() + 1
    )
    assert taken is not None
    runs = store.schedules.list_schedule_runs("nightly")
    assert [(r.due_time, r.status) for r in runs] == [(2_000, "running"), (1_000, "lost")]
    # the dead scheduler's late report still lands, without touching b's lease
    store.schedules.end_schedule_run(dead.schedule_run_id, status="failed", error="killed")
    assert store.schedules.get_schedule("nightly").lease_owner == "b"


def test_a_skipped_slot_is_recorded_once(store):
    store.schedules.create_schedule("nightly", "0 3 * * *", "/p", 1_000, catch_up="skip")
    skipped = store.schedules.skip_schedule("nightly", due_time=1_000, next_due_time=5_000)
    assert skipped is not None and skipped.status == "skipped"
    assert store.schedules.skip_schedule("nightly", due_time=1_000, next_due_time=5_000) is None
    assert store.schedules.get_schedule("nightly").next_due_time == 5_000
    assert [r.status for r in store.schedules.list_schedule_runs("nightly", max_results=5)] == [
        "skipped"
    ]
    store.schedules.delete_schedule("nightly")
    store.schedules.create_schedule("nightly", "0 3 * * *", "/p", 1_000)
    assert store.schedules.list_schedule_runs("nightly") == []
