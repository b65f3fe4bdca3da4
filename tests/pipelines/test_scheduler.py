"""The scheduler service end to end: real `cairn scheduler` processes on one store start a due
slot exactly once, record it, and stop cleanly on SIGTERM; failures, skipped slots, triggers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pipeline_helpers import ran_log, wait_for, write_project

from cairn.entities import ScheduleRun
from cairn.errors import InvalidState
from cairn.pipelines.scheduler import Scheduler, trigger
from cairn.pipelines.schedules import add_schedule
from cairn.store.base import now_ms
from cairn.tracking.client import CairnClient
from cli_support import CAIRN, cairn

PAST = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)


def scheduler_process(root: Path, uri: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CAIRN_TRACKING_URI": uri}
    return subprocess.Popen(
        [CAIRN, "scheduler", "--poll", "0.2", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s")
        time.sleep(0.1)


def ended(client: CairnClient, name: str) -> Callable[[], bool]:
    def check() -> bool:
        runs = client.store.schedules.list_schedule_runs(name)
        return bool(runs) and runs[0].status != "running"

    return check


HELLO = {
    "hello": {
        "cmd": "echo hello >> ran.log && echo hi > out.txt",
        "outs": ["out.txt"],
    }
}


@pytest.fixture
def hello(pipeline_project: Path) -> Path:
    write_project(pipeline_project, HELLO)
    return pipeline_project


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_uri(request: pytest.FixtureRequest, pipeline_project: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{pipeline_project}/.cairn/cairn.db"
        return
    from cairn.testing.plugin import unique_database_name

    cluster = request.getfixturevalue("postgres_cluster")
    name = unique_database_name()
    yield cluster.create_database(name)
    cluster.drop_database(name)


@pytest.mark.slow
def test_two_schedulers_start_a_due_slot_once(hello: Path, store_uri: str) -> None:
    client = CairnClient(store_uri)
    add_schedule(client.store, "nightly", "0 3 * * *", hello, start_at=PAST)
    first = scheduler_process(hello, store_uri)
    second = scheduler_process(hello, store_uri)
    try:
        until(ended(client, "nightly"))
        time.sleep(0.6)  # a few more polls of both
    finally:
        for process in (first, second):
            process.send_signal(signal.SIGTERM)
        outputs = [p.communicate(timeout=30)[0] for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    assert all("scheduler stopped" in out for out in outputs)
    assert sum("nightly: started run 1" in out for out in outputs) == 1

    (run,) = client.store.schedules.list_schedule_runs("nightly")
    assert (run.status, run.due_time, run.error) == ("succeeded", now_ms_of(PAST), None)
    assert ran_log(hello) == ["hello"]
    pipeline_run = client.get_run(str(run.pipeline_run_id))
    assert pipeline_run.data.tags["cairn.run.kind"] == "pipeline"
    assert pipeline_run.data.tags["cairn.schedule"] == "nightly"
    assert pipeline_run.data.tags["cairn.schedule.run_id"] == str(run.schedule_run_id)
    assert pipeline_run.info.status == "FINISHED"
    schedule = client.store.schedules.get_schedule("nightly")
    assert schedule.lease_owner is None and schedule.next_due_time > now_ms()
    log = hello / ".cairn" / "schedules" / "nightly" / "1.log"
    assert "1 stage: 1 ran" in log.read_text()


def now_ms_of(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


SLOW = {
    "slow": {
        "cmd": "python -c \"import time; open('started', 'w'); time.sleep(60)\"",
        "outs": ["never.txt"],
    }
}


def test_sigterm_interrupts_a_running_pipeline_and_records_it(pipeline_project: Path) -> None:
    write_project(pipeline_project, SLOW)
    uri = os.environ["CAIRN_TRACKING_URI"]
    client = CairnClient(uri)
    add_schedule(client.store, "slow", "@hourly", pipeline_project, start_at=PAST)
    process = scheduler_process(pipeline_project, uri)
    try:
        wait_for(pipeline_project / "started", timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        out = process.communicate(timeout=40)[0]
    assert process.returncode == 0, out
    (run,) = client.store.schedules.list_schedule_runs("slow")
    assert run.status == "failed"
    assert "stopped with the scheduler" in str(run.error)
    assert client.store.schedules.get_schedule("slow").lease_owner is None
    pipeline_run = client.get_run(str(run.pipeline_run_id))
    assert pipeline_run.info.status in ("FAILED", "KILLED")


def test_a_failing_pipeline_is_recorded_with_its_output(pipeline_project: Path) -> None:
    write_project(pipeline_project, {"boom": {"cmd": "echo kaputt >&2; exit 3"}})
    client = CairnClient()
    add_schedule(client.store, "boom", "@hourly", pipeline_project, start_at=PAST)
    service = Scheduler(client.store, client.tracking_uri)
    (claimed,) = service.poll()
    assert claimed.status == "running"
    assert service.poll() == []  # the lease holds it while it runs
    service.wait()
    (run,) = service.finished
    assert run.status == "failed"
    assert "cairn pipeline run exited with 1" in str(run.error)
    assert "kaputt" in str(run.error)


def test_missed_slots_of_a_skip_schedule_are_recorded_not_run(pipeline_project: Path) -> None:
    write_project(pipeline_project, SLOW)
    client = CairnClient()
    add_schedule(client.store, "late", "@hourly", pipeline_project, catch_up="skip", start_at=PAST)
    service = Scheduler(client.store, client.tracking_uri)
    begun: list[ScheduleRun] = service.poll()
    assert [r.status for r in begun] == ["skipped"]
    assert service.poll() == []
    assert not (pipeline_project / "started").exists()
    assert client.store.schedules.get_schedule("late").next_due_time > now_ms()


def test_trigger_runs_a_schedule_now(three_stages: Path) -> None:
    client = CairnClient()
    add_schedule(client.store, "adhoc", "0 0 1 1 *", three_stages, stages=["prepare"])
    slot = client.store.schedules.get_schedule("adhoc").next_due_time
    assert trigger("adhoc") is None  # queued for the service
    assert client.store.schedules.get_schedule("adhoc").next_due_time <= now_ms()

    client.store.schedules.update_schedule("adhoc", enabled=False, next_due_time=slot)
    run = trigger("adhoc", wait=True)  # paused schedules still run on demand
    assert run is not None and run.status == "succeeded"
    assert ran_log(three_stages) == ["prepare"]
    assert client.store.schedules.get_schedule("adhoc").next_due_time == slot

    client.store.schedules.claim_schedule(
        "adhoc",
        due_time=slot,
        next_due_time=slot,
        owner="other",
        lease_expiry_time=now_ms() + 60_000,
    )
    with pytest.raises(InvalidState, match="'adhoc' is running already"):
        trigger("adhoc", wait=True)


def test_a_schedule_with_an_unusable_cron_is_paused(pipeline_project: Path) -> None:
    client = CairnClient()
    client.store.schedules.create_schedule("odd", "61 * * * *", str(pipeline_project), 1_000)
    said: list[str] = []
    service = Scheduler(client.store, client.tracking_uri, say=said.append)
    assert service.poll() == []
    assert not client.store.schedules.get_schedule("odd").enabled
    assert said == [
        "odd: paused, its cron expression is unusable: cron expression '61 * * * *': "
        "minute field '61': 61 is outside 0-59"
    ]


def test_schedule_run_then_scheduler_once(hello: Path) -> None:
    added = cairn("schedule", "add", "hi", "--cron", "@yearly", "--pipeline", str(hello))
    assert added.exit_code == 0, added.output
    queued = cairn("schedule", "run", "hi")
    assert queued.output == "Schedule 'hi' is due now; the scheduler starts it at its next poll.\n"
    served = cairn("scheduler", "--once")
    assert served.exit_code == 0, served.output
    assert "hi: run 1 succeeded" in served.output
    shown = json.loads(cairn("schedule", "show", "hi", "--json").output)
    assert [r["status"] for r in shown["runs"]] == ["succeeded"]
    assert shown["runs"][0]["pipeline_run_id"] is not None
    assert shown["next_due_iso"].endswith("-01-01T00:00:00.000+00:00")
    waited = cairn("schedule", "run", "hi", "--wait")
    assert waited.output == "Run 2 of 'hi' succeeded.\n"  # nothing stale: no pipeline run
    assert ran_log(hello) == ["hello"]


def test_a_scheduler_on_a_cairn_server(hello: Path, cairn_server: str) -> None:
    client = CairnClient(cairn_server)
    add_schedule(client.store, "remote", "@daily", hello, start_at=PAST)
    service = Scheduler(client.store, client.tracking_uri)
    (claimed,) = service.poll()
    service.wait()
    (run,) = service.finished
    assert (run.schedule_run_id, run.status) == (claimed.schedule_run_id, "succeeded")
    pipeline_run = client.get_run(str(run.pipeline_run_id))
    assert pipeline_run.data.tags["cairn.schedule"] == "remote"
    assert client.store.schedules.get_schedule("remote").lease_owner is None
