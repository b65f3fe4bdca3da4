"""The scheduler service: claims due schedules and runs their pipelines.

Each poll lists the due schedules, decides each slot by its catch-up policy
(:func:`cairn.pipelines.schedules.plan_slot`), and claims it with the store's conditional
UPDATE, so that of several schedulers on one store exactly one starts a slot. A claimed
slot runs ``cairn pipeline run [STAGE ...]`` in the project folder as a subprocess of its
own session, with ``CAIRN_SCHEDULE`` / ``CAIRN_SCHEDULE_RUN`` set so the pipeline run is
tagged with the schedule; its output goes to ``.cairn/schedules/NAME/ID.log`` there. While
it runs the lease is renewed; when it ends the schedule run records the status, the pipeline
run and (on failure) the end of the output, and the lease is released. :meth:`Scheduler.stop`
(SIGTERM, Ctrl-C) stops polling, interrupts the running pipelines and records them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from cairn import config
from cairn.entities import Schedule, ScheduleRun
from cairn.errors import InvalidInput, InvalidState, StoreError
from cairn.pipelines.recording import ENV_SCHEDULE, ENV_SCHEDULE_RUN, SCHEDULE_RUN_TAG
from cairn.pipelines.schedules import from_ms, plan_slot
from cairn.store import Store
from cairn.store.base import now_ms

LEASE_MS = 300_000
ERROR_TAIL = 2000  # characters of a failed run's output kept as its error
STOP_GRACE_S = 30.0


def runner_id() -> str:
    """This process's name as a lease owner: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def pipeline_command(schedule: Schedule) -> list[str]:
    """The ``cairn pipeline run`` command line of ``schedule``, with this interpreter."""
    script = Path(sys.executable).parent / "cairn"
    if script.is_file():
        base = [str(script)]
    else:
        base = [sys.executable, "-c", "import sys; from cairn.cli import main; main(sys.argv[1:])"]
    command = [*base, "pipeline", "run", *schedule.stages]
    if schedule.experiment:
        command += ["--experiment", schedule.experiment]
    return command


def log_path(schedule: Schedule, schedule_run_id: int) -> Path:
    """Where the output of one run of ``schedule`` goes."""
    return Path(
        schedule.pipeline, config.CAIRN_DIR, "schedules", schedule.name, f"{schedule_run_id}.log"
    )


class Scheduler:
    """Claims and runs due schedules of one store (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        tracking_uri: str,
        *,
        lease_ms: int = LEASE_MS,
        say: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.store = store
        self.tracking_uri = tracking_uri
        self.lease_ms = lease_ms
        self.say = say
        self.owner = runner_id()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._processes: dict[int, subprocess.Popen[bytes]] = {}
        self.finished: list[ScheduleRun] = []

    def poll(self) -> list[ScheduleRun]:
        """Skip or start every due schedule this scheduler can claim; return their runs."""
        begun = []
        now = now_ms()
        for schedule in self.store.schedules.list_due(now):
            try:
                slot = plan_slot(schedule, now)
            except InvalidInput as exc:  # stored by a client that skipped the cron check
                self.store.schedules.update_schedule(schedule.name, enabled=False)
                self.say(f"{schedule.name}: paused, its cron expression is unusable: {exc}")
                continue
            if slot.action == "skip":
                run = self.store.schedules.skip_schedule(
                    schedule.name, due_time=slot.due_time, next_due_time=slot.next_due_time
                )
                if run is not None:
                    self.say(f"{schedule.name}: skipped the missed slot {_iso(slot.due_time)}")
                    begun.append(run)
                continue
            claimed = self.store.schedules.claim_schedule(
                schedule.name,
                due_time=slot.due_time,
                next_due_time=slot.next_due_time,
                owner=self.owner,
                lease_expiry_time=now_ms() + self.lease_ms,
            )
            if claimed is not None:  # else another scheduler was first
                self.start(schedule, claimed)
                begun.append(claimed)
        return begun

    def start(self, schedule: Schedule, run: ScheduleRun) -> threading.Thread:
        """Run the claimed ``run`` of ``schedule`` in a supervising thread."""
        thread = threading.Thread(
            target=self._supervise, args=(schedule, run), name=f"schedule {schedule.name}"
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return thread

    def serve(self, poll: float, *, once: bool = False) -> None:
        """Poll every ``poll`` seconds until :meth:`stop` (``once``: poll one time and wait
        for what it started); then interrupt and record what still runs."""
        while not self._stopping.is_set():
            try:
                self.poll()
            except StoreError as exc:  # the database or server is away: try again later
                self.say(f"could not poll the store: {exc}")
            if once:
                break
            self._stopping.wait(poll)
        while any(thread.is_alive() for thread in self._threads):
            if self._stopping.wait(0.2):
                self._interrupt()
                break
        self.wait()

    def stop(self) -> None:
        """Ask :meth:`serve` to stop (safe from a signal handler)."""
        self._stopping.set()

    def wait(self) -> None:
        """Wait for the pipelines this scheduler started to end."""
        for thread in list(self._threads):
            thread.join()
        self._threads.clear()

    def _interrupt(self) -> None:
        for process in list(self._processes.values()):
            _signal_group(process, signal.SIGINT)
        for thread in list(self._threads):
            thread.join(STOP_GRACE_S)
        for process in list(self._processes.values()):
            _signal_group(process, signal.SIGKILL)

    def _supervise(self, schedule: Schedule, run: ScheduleRun) -> None:
        self.say(f"{schedule.name}: started run {run.schedule_run_id} ({_iso(run.due_time)} slot)")
        try:
            code, tail = self._execute(schedule, run)
        except OSError as exc:
            code, tail = None, f"could not start the pipeline in {schedule.pipeline}: {exc}"
        error = None
        if code != 0:
            stopped = " (stopped with the scheduler)" if self._stopping.is_set() else ""
            error = f"cairn pipeline run exited with {code}{stopped}\n{tail}".strip()
        ended = self.store.schedules.end_schedule_run(
            run.schedule_run_id,
            status="succeeded" if code == 0 else "failed",
            pipeline_run_id=self._pipeline_run(schedule, run),
            error=error[-ERROR_TAIL:] if error else None,
        )
        self.finished.append(ended)
        self.say(f"{schedule.name}: run {run.schedule_run_id} {ended.status}")

    def _execute(self, schedule: Schedule, run: ScheduleRun) -> tuple[int, str]:
        env = {
            **os.environ,
            config.ENV_TRACKING_URI: self.tracking_uri,
            ENV_SCHEDULE: schedule.name,
            ENV_SCHEDULE_RUN: str(run.schedule_run_id),
        }
        if not Path(schedule.pipeline).is_dir():
            raise FileNotFoundError(f"the folder {schedule.pipeline} does not exist any more")
        path = log_path(schedule, run.schedule_run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as log:
            process = subprocess.Popen(
                pipeline_command(schedule),
                cwd=schedule.pipeline,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self._processes[run.schedule_run_id] = process
            try:
                code = self._wait_renewing(schedule, process)
            finally:
                del self._processes[run.schedule_run_id]
        return code, path.read_text("utf-8", errors="replace")[-ERROR_TAIL:]

    def _wait_renewing(self, schedule: Schedule, process: subprocess.Popen[bytes]) -> int:
        while True:
            try:
                return process.wait(timeout=self.lease_ms / 3000)
            except subprocess.TimeoutExpired:
                self.store.schedules.renew_lease(
                    schedule.name, owner=self.owner, lease_expiry_time=now_ms() + self.lease_ms
                )

    def _pipeline_run(self, schedule: Schedule, run: ScheduleRun) -> str | None:
        """The tracking run the pipeline recorded (none when nothing was stale)."""
        experiments = self.store.experiments
        if schedule.experiment:
            found = experiments.find_experiment_by_name(schedule.experiment)
            ids = [found.experiment_id] if found is not None else []
        else:
            ids = [e.experiment_id for e in experiments.search_experiments(max_results=1000).items]
        if not ids:
            return None
        query = (
            f"tags.`{SCHEDULE_RUN_TAG}` = '{run.schedule_run_id}' "
            "and tags.`cairn.run.kind` = 'pipeline'"
        )
        page = self.store.runs.search_runs(ids, query, max_results=1)
        return page.items[0].info.run_id if page.items else None


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.killpg(process.pid, signum)


def _iso(ms: int) -> str:
    return from_ms(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


def trigger(
    name: str, *, tracking_uri: str | None = None, wait: bool = False
) -> ScheduleRun | None:
    """Start schedule ``name``'s pipeline now, through the scheduler's own path.

    By default the schedule is made due at once and the running scheduler service starts it
    at its next poll (returns None). ``wait=True`` claims and runs it in this process and
    returns the ended schedule run; InvalidState when a scheduler is running it already.
    """
    from cairn.pipelines.schedules import mark_due_now
    from cairn.tracking.client import CairnClient

    client = CairnClient(tracking_uri)
    store = client.store
    if not wait:
        mark_due_now(store, name)
        return None
    now = now_ms()
    held = store.schedules.get_schedule(name)
    if held.lease_expiry_time is not None and held.lease_expiry_time > now:
        raise InvalidState(f"schedule {name!r} is running already (held by {held.lease_owner})")
    schedule = store.schedules.update_schedule(name, next_due_time=now)
    scheduler = Scheduler(store, client.tracking_uri)
    slot = plan_slot(schedule, now)
    claimed = store.schedules.claim_schedule(
        name,
        due_time=slot.due_time,
        next_due_time=slot.next_due_time,
        owner=scheduler.owner,
        lease_expiry_time=now + scheduler.lease_ms,
    )
    if claimed is None:
        raise InvalidState(f"schedule {name!r} was just started by another scheduler")
    scheduler.start(schedule, claimed).join()
    return scheduler.finished[-1]
