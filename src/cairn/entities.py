"""The values cairn stores and returns: immutable, pure, no I/O.

Shapes follow MLflow's so that code written for one reads naturally with the other
(``run.info.run_id``, ``run.data.metrics``). Times are UTC epoch milliseconds.
"""

from __future__ import annotations

import enum
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import repeat
from typing import Any, NamedTuple, overload

__all__ = [
    "PARENT_TAG",
    "STAGES",
    "VERSION_STATUSES",
    "AuditEvent",
    "DatasetInput",
    "DatasetSummary",
    "DatasetUse",
    "DatasetVersion",
    "Experiment",
    "FileInfo",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelStatus",
    "Metric",
    "MetricHistory",
    "ModelMetric",
    "ModelOutput",
    "ModelVersion",
    "Page",
    "Param",
    "RegisteredModel",
    "Run",
    "RunData",
    "RunIO",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "Schedule",
    "ScheduleRun",
    "ViewType",
]

PARENT_TAG = "cairn.parentRunId"  # the system tag naming a nested run's parent


class LifecycleStage(enum.StrEnum):
    """Whether a row is live or soft-deleted."""

    ACTIVE = "active"
    DELETED = "deleted"


class ViewType(enum.StrEnum):
    """Which rows a listing returns."""

    ACTIVE_ONLY = "active_only"
    DELETED_ONLY = "deleted_only"
    ALL = "all"

    @classmethod
    def parse(cls, value: ViewType | str | int) -> ViewType:
        """Accept the enum, its name/value in any case, or MLflow's integers (1, 2, 3)."""
        if isinstance(value, ViewType):
            return value
        if isinstance(value, int):
            mapping = {1: cls.ACTIVE_ONLY, 2: cls.DELETED_ONLY, 3: cls.ALL}
            if value in mapping:
                return mapping[value]
        else:
            text = value.strip().lower()
            aliases = {"active": cls.ACTIVE_ONLY, "deleted": cls.DELETED_ONLY}
            if text in aliases:
                return aliases[text]
            for member in cls:
                if text == member.value:
                    return member
        from cairn.errors import InvalidInput

        raise InvalidInput(
            f"view type {value!r} is not one of 'active_only', 'deleted_only', 'all'"
        )

    def stages(self) -> tuple[str, ...]:
        """The lifecycle stages this view includes."""
        if self is ViewType.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE.value,)
        if self is ViewType.DELETED_ONLY:
            return (LifecycleStage.DELETED.value,)
        return (LifecycleStage.ACTIVE.value, LifecycleStage.DELETED.value)


class RunStatus(enum.StrEnum):
    """A run's state, as in MLflow."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @classmethod
    def parse(cls, value: RunStatus | str) -> RunStatus:
        """Accept the enum or its name in any case."""
        if isinstance(value, RunStatus):
            return value
        try:
            return cls(str(value).upper())
        except ValueError:
            from cairn.errors import InvalidInput, did_you_mean

            names = [m.value for m in cls]
            raise InvalidInput(
                f"run status {value!r} is not one of {', '.join(names)}."
                + did_you_mean(str(value).upper(), names)
            ) from None

    @property
    def is_terminal(self) -> bool:
        """True for FINISHED, FAILED and KILLED."""
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)


class Metric(NamedTuple):
    """One point of a metric. A named tuple, not a dataclass: histories hold 100,000s of them."""

    key: str
    value: float
    timestamp: int
    step: int = 0


class MetricHistory(Sequence[Metric]):
    """Every point of one metric, held as columns; indexing and iteration yield :class:`Metric`.

    Histories run to 100,000s of points: columns (``steps``, ``timestamps``, ``values``, as
    ``array`` objects) are what charts and downsampling want, and a :class:`Metric` is built
    only for the points a caller looks at. Compares equal to a list of the same metrics.
    """

    __slots__ = ("key", "steps", "timestamps", "values")

    def __init__(self, key: str, steps: array, timestamps: array, values: array) -> None:
        self.key = key
        self.steps = steps
        self.timestamps = timestamps
        self.values = values

    def __len__(self) -> int:
        return len(self.steps)

    @overload
    def __getitem__(self, index: int) -> Metric: ...
    @overload
    def __getitem__(self, index: slice) -> MetricHistory: ...
    def __getitem__(self, index: int | slice) -> Metric | MetricHistory:
        if isinstance(index, slice):
            return MetricHistory(
                self.key, self.steps[index], self.timestamps[index], self.values[index]
            )
        return Metric(self.key, self.values[index], self.timestamps[index], self.steps[index])

    def __iter__(self) -> Iterator[Metric]:
        return map(_as_metric, zip(repeat(self.key), self.values, self.timestamps, self.steps))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MetricHistory):
            return list(self) == list(other)
        if isinstance(other, (list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<MetricHistory {self.key!r}: {len(self)} points>"


_as_metric = partial(tuple.__new__, Metric)


@dataclass(frozen=True, slots=True)
class Param:
    """A run's parameter; immutable once logged."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunTag:
    """A run's tag; a later value overwrites."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Experiment:
    """A named group of runs."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE.value
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None

    def _repr_html_(self) -> str:
        from cairn.reprs import experiment_html

        return experiment_html(self)


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Everything about a run except its params, metrics and tags."""

    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str = LifecycleStage.ACTIVE.value

    @property
    def run_uuid(self) -> str:
        """MLflow's older name for ``run_id``."""
        return self.run_id


@dataclass(frozen=True, slots=True)
class RunData:
    """A run's latest metric values, params and tags, each as a dict."""

    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Run:
    """A run: its info and its data."""

    info: RunInfo
    data: RunData

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        from dataclasses import asdict

        return {"info": asdict(self.info), "data": asdict(self.data)}

    def _repr_html_(self) -> str:
        from cairn.reprs import run_html

        return run_html(self)


@dataclass(frozen=True, slots=True)
class FileInfo:
    """An artifact file or folder: path relative to the run's artifact root."""

    path: str
    is_dir: bool
    file_size: int | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One link of the hash-chained audit trail."""

    seq: int
    time: int
    actor: str
    action: str
    entity: str
    payload_hash: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing and the token for the next one (``None`` at the end)."""

    items: list[Any]
    next_page_token: str | None = None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Any:
        return self.items[index]

    def _repr_html_(self) -> str:
        from cairn.reprs import page_html

        return page_html(self)


class LoggedModelStatus(enum.StrEnum):
    """Where a logged model's upload stands."""

    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"

    @classmethod
    def parse(cls, value: LoggedModelStatus | str) -> LoggedModelStatus:
        """Accept the enum or its name in any case."""
        if isinstance(value, LoggedModelStatus):
            return value
        try:
            return cls(str(value).upper())
        except ValueError:
            from cairn.errors import InvalidInput

            raise InvalidInput(
                f"logged model status {value!r} is not one of PENDING, READY, FAILED"
            ) from None


@dataclass(frozen=True, slots=True)
class ModelMetric:
    """A metric point recorded for a logged model, with the run and dataset it came from."""

    key: str
    value: float
    timestamp: int
    step: int = 0
    run_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


@dataclass(frozen=True, slots=True)
class LoggedModel:
    """A model logged from a run (MLflow 3's logged model): its files live at ``artifact_location``."""

    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    status: str
    creation_time: int
    last_update_time: int
    source_run_id: str | None = None
    model_type: str | None = None
    status_message: str | None = None
    lifecycle_stage: str = LifecycleStage.ACTIVE.value
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[ModelMetric] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DatasetInput:
    """A dataset a run read, described as MLflow describes it, with the input's tags."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelOutput:
    """A logged model a run produced, at a step of its training."""

    model_id: str
    step: int = 0


@dataclass(frozen=True, slots=True)
class RunIO:
    """What a run read (datasets, logged models) and produced (logged models)."""

    datasets: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[str] = field(default_factory=list)
    model_outputs: list[ModelOutput] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DatasetUse:
    """One run that read a dataset version, and in what role (``context``: training, eval...)."""

    run_id: str
    run_name: str
    experiment_id: str
    start_time: int
    context: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """A dataset version (a name and a digest) as the first run to read it logged it, with
    every run that read it."""

    dataset: DatasetInput
    uses: list[DatasetUse] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The dataset's name."""
        return self.dataset.name

    @property
    def digest(self) -> str:
        """The version's digest."""
        return self.dataset.digest

    def to_dataset_input(self) -> DatasetInput:
        """This version as a run input (so another run can log that it read it too)."""
        return DatasetInput(
            self.dataset.name,
            self.dataset.digest,
            self.dataset.source_type,
            self.dataset.source,
            self.dataset.schema,
            self.dataset.profile,
        )

    @property
    def first_used(self) -> int:
        """When the earliest run that read this version started."""
        return min((u.start_time for u in self.uses), default=0)


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    """A dataset name across runs: how many versions and runs, and when it was last read."""

    name: str
    versions: int
    runs: int
    last_used: int


@dataclass(frozen=True, slots=True)
class Schedule:
    """A pipeline to run on a cron schedule, and where the scheduler stands with it.

    ``pipeline`` is the project folder (or its ``cairn.yaml``) on the scheduler's machine;
    ``catch_up`` says what happens to slots missed while no scheduler ran: "latest" (one run
    for all of them), "all" (one run each) or "skip" (none). ``lease_expiry_time`` and
    ``lease_owner`` are set while a scheduler runs it.
    """

    name: str
    cron: str
    pipeline: str
    stages: tuple[str, ...]
    experiment: str | None
    catch_up: str
    enabled: bool
    creator: str
    creation_time: int
    next_due_time: int
    last_start_time: int | None = None
    lease_expiry_time: int | None = None
    lease_owner: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleRun:
    """One start of a schedule's pipeline (or a slot it skipped): when it was due, when it
    ran, how it ended ("running", "succeeded", "failed", "skipped" or "lost" when its
    scheduler died), and the pipeline run it made."""

    schedule_run_id: int
    schedule: str
    due_time: int
    start_time: int
    status: str
    runner: str
    end_time: int | None = None
    pipeline_run_id: str | None = None
    error: str | None = None


STAGES = ("None", "Staging", "Production", "Archived")
VERSION_STATUSES = ("READY", "PENDING_REGISTRATION", "FAILED_REGISTRATION")


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One version of a registered model: where its files are (``source``), the run that made
    it, its legacy stage (``current_stage``: "None", "Staging", "Production" or "Archived"),
    its status ("READY"), tags, the aliases pointing at it and the logged model it came from."""

    name: str
    version: int
    creation_time: int
    last_updated_time: int
    source: str
    run_id: str | None = None
    description: str | None = None
    status: str = "READY"
    current_stage: str = "None"
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    model_id: str | None = None
    user_id: str = ""


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A named model in the registry: its description, tags, aliases (alias -> version) and
    the latest version in each stage (``latest_versions``)."""

    name: str
    creation_time: int
    last_updated_time: int
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    latest_versions: list[ModelVersion] = field(default_factory=list)
    user_id: str = ""


@dataclass(frozen=True, slots=True)
class Monitor:
    """A monitor watching a registered model: ``spec`` is its validated definition as JSON
    (see :class:`cairn.monitoring.spec.MonitorSpec`); ``reference_digest`` names the stored
    reference summary it compares windows against."""

    name: str
    model: str
    spec: dict[str, Any]
    reference_digest: str | None
    creator: str
    creation_time: int
    last_updated_time: int
    records: int = 0


@dataclass(frozen=True, slots=True)
class MonitorRecord:
    """Where one ingested prediction sits: its sequence number in the monitor, its request
    id (None when it came without one), when it was predicted and its ground truth (JSON
    text, None until it arrives)."""

    seq: int
    request_id: str | None
    time: int
    label: str | None = None


@dataclass(frozen=True, slots=True)
class MonitorWindow:
    """One computed window: the records ``first_seq..last_seq`` predicted between
    ``start_time`` and ``end_time`` (ms), and what was measured on them (``results``, the JSON
    shape of :mod:`cairn.monitoring.results`)."""

    monitor: str
    window_id: int
    start_time: int
    end_time: int
    first_seq: int
    last_seq: int
    rows: int
    labelled_rows: int
    model_version: int | None
    results: dict[str, Any]
    computed_time: int


@dataclass(frozen=True, slots=True)
class MonitorAlert:
    """A rule that fired on a window, and what its actions did (each action a dict with
    ``kind``, ``target``, ``status`` ("ok", "failed", "pending") and ``detail``)."""

    alert_id: int
    monitor: str
    rule: str
    window_id: int
    time: int
    value: float | None
    message: str
    actions: list[dict[str, Any]] = field(default_factory=list)
