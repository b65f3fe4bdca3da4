"""The store interface of pipeline schedules (see :mod:`cairn.store.base` for the verbs).

Public methods validate their input once, here, and call a private hook a backend implements.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from cairn.entities import Schedule, ScheduleRun
from cairn.store import model_validation as mv
from cairn.store import schedule_validation as sv
from cairn.store import validation as v


class ScheduleRepository(abc.ABC):
    """Pipeline schedules and their runs, as the scheduler service claims and ends them.

    The cron arithmetic stays with the caller (:mod:`cairn.pipelines.schedules`): the store
    only keeps the next due time it is given. A due slot is claimed with one conditional
    UPDATE (the next due time must still be the one the caller saw, and no lease may be
    live), so of two schedulers racing for a slot exactly one gets it.
    """

    def create_schedule(
        self,
        name: str,
        cron: str,
        pipeline: str,
        next_due_time: int,
        *,
        stages: Sequence[str] = (),
        experiment: str | None = None,
        catch_up: str = "latest",
        enabled: bool = True,
    ) -> Schedule:
        """Add a schedule; AlreadyExists when the name is taken."""
        return self._create_schedule(
            sv.schedule_name(name),
            mv.text(cron, "cron expression", sv.MAX_CRON_LENGTH),
            mv.text(pipeline, "pipeline path", sv.MAX_PATH_LENGTH),
            sv.time_ms(next_due_time, "next due time"),
            sv.stage_names(stages),
            mv.optional_text(experiment, "experiment", sv.MAX_NAME_LENGTH),
            sv.catch_up(catch_up),
            bool(enabled),
        )

    def get_schedule(self, name: str) -> Schedule:
        """The schedule called ``name``; NotFound (naming close matches) otherwise."""
        found = self.find_schedule(name)
        if found is None:
            names = [s.name for s in self.list_schedules()]
            raise sv.unknown_schedule(name, names)
        return found

    def find_schedule(self, name: str) -> Schedule | None:
        """The schedule called ``name``, or None."""
        return self._find_schedule(sv.schedule_name(name))

    def list_schedules(self) -> list[Schedule]:
        """Every schedule, by name."""
        return self._list_schedules()

    def update_schedule(
        self, name: str, *, enabled: bool | None = None, next_due_time: int | None = None
    ) -> Schedule:
        """Pause/resume a schedule or move its next due time."""
        due = sv.time_ms(next_due_time, "next due time") if next_due_time is not None else None
        self.get_schedule(name)
        return self._update_schedule(name, None if enabled is None else bool(enabled), due)

    def delete_schedule(self, name: str) -> None:
        """Remove a schedule and its run history (the pipeline runs stay in tracking)."""
        self.get_schedule(name)
        self._delete_schedule(name)

    def list_due(self, now: int) -> list[Schedule]:
        """Enabled schedules whose next due time has come and that no scheduler holds."""
        return self._list_due(sv.time_ms(now, "now"))

    def claim_schedule(
        self, name: str, *, due_time: int, next_due_time: int, owner: str, lease_expiry_time: int
    ) -> ScheduleRun | None:
        """Take the lease on ``name`` for the slot ``due_time`` (its current next due time),
        move its next due time on and open a "running" schedule run; None when another
        scheduler was first or the lease is held. Runs a dead scheduler left "running"
        become "lost"."""
        return self._claim_schedule(
            sv.schedule_name(name),
            sv.time_ms(due_time, "due time"),
            sv.time_ms(next_due_time, "next due time"),
            mv.text(owner, "lease owner", sv.MAX_NAME_LENGTH),
            sv.time_ms(lease_expiry_time, "lease expiry time"),
        )

    def skip_schedule(self, name: str, *, due_time: int, next_due_time: int) -> ScheduleRun | None:
        """Record the slot ``due_time`` as skipped and move the next due time on; None when
        another scheduler moved it first."""
        return self._skip_schedule(
            sv.schedule_name(name),
            sv.time_ms(due_time, "due time"),
            sv.time_ms(next_due_time, "next due time"),
        )

    def renew_lease(self, name: str, *, owner: str, lease_expiry_time: int) -> bool:
        """Extend the lease ``owner`` holds; False when it holds none any more."""
        return self._renew_lease(
            sv.schedule_name(name),
            mv.text(owner, "lease owner", sv.MAX_NAME_LENGTH),
            sv.time_ms(lease_expiry_time, "lease expiry time"),
        )

    def end_schedule_run(
        self,
        schedule_run_id: int,
        *,
        status: str,
        pipeline_run_id: str | None = None,
        error: str | None = None,
    ) -> ScheduleRun:
        """Close a running schedule run with "succeeded" or "failed" and release its lease."""
        return self._end_schedule_run(
            sv.run_number(schedule_run_id),
            sv.end_status(status),
            v.validate_run_id(pipeline_run_id) if pipeline_run_id else None,
            mv.optional_text(error, "error", sv.MAX_ERROR_LENGTH),
        )

    def list_schedule_runs(self, name: str, max_results: int = 20) -> list[ScheduleRun]:
        """The schedule's runs, newest first."""
        self.get_schedule(name)
        return self._list_schedule_runs(name, v.check_max_results(max_results))

    @abc.abstractmethod
    def _create_schedule(
        self,
        name: str,
        cron: str,
        pipeline: str,
        next_due_time: int,
        stages: tuple[str, ...],
        experiment: str | None,
        catch_up: str,
        enabled: bool,
    ) -> Schedule: ...
    @abc.abstractmethod
    def _find_schedule(self, name: str) -> Schedule | None: ...
    @abc.abstractmethod
    def _list_schedules(self) -> list[Schedule]: ...
    @abc.abstractmethod
    def _update_schedule(
        self, name: str, enabled: bool | None, next_due_time: int | None
    ) -> Schedule: ...
    @abc.abstractmethod
    def _delete_schedule(self, name: str) -> None: ...
    @abc.abstractmethod
    def _list_due(self, now: int) -> list[Schedule]: ...
    @abc.abstractmethod
    def _claim_schedule(
        self, name: str, due_time: int, next_due_time: int, owner: str, lease_expiry_time: int
    ) -> ScheduleRun | None: ...
    @abc.abstractmethod
    def _skip_schedule(
        self, name: str, due_time: int, next_due_time: int
    ) -> ScheduleRun | None: ...
    @abc.abstractmethod
    def _renew_lease(self, name: str, owner: str, lease_expiry_time: int) -> bool: ...
    @abc.abstractmethod
    def _end_schedule_run(
        self, schedule_run_id: int, status: str, pipeline_run_id: str | None, error: str | None
    ) -> ScheduleRun: ...
    @abc.abstractmethod
    def _list_schedule_runs(self, name: str, max_results: int) -> list[ScheduleRun]: ...
