"""The store interface every backend implements (SQL now, REST in the server issue).

Public methods validate their input once, here, and then call a private hook that a backend
implements; so every backend rejects the same bad input with the same error. Verbs are the
same everywhere: ``create_x``, ``get_x`` (raises NotFound), ``find_x`` (returns None),
``search_x`` (returns a :class:`~cairn.entities.Page`), ``update_x``, ``delete_x`` (soft),
``restore_x``, ``purge_x`` (for good).
"""

from __future__ import annotations

import abc
import time
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cairn.entities import (
    DatasetInput,
    DatasetSummary,
    DatasetVersion,
    Experiment,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    MetricHistory,
    ModelMetric,
    ModelOutput,
    Page,
    Param,
    Run,
    RunInfo,
    RunIO,
    RunTag,
    ViewType,
)
from cairn.errors import InvalidInput, NotFound
from cairn.store import model_validation as mv
from cairn.store import validation as v
from cairn.store.audit_repository import AuditRepository
from cairn.store.monitor_repository import MonitorRepository
from cairn.store.registry_repository import RegistryRepository
from cairn.store.schedule_repository import ScheduleRepository

if TYPE_CHECKING:
    from cairn.artifacts.base import Artifacts

acting_as: ContextVar[str | None] = ContextVar("cairn_acting_as", default=None)
"""Whom the writes of this context are for: the server sets it to the authenticated user of
each request, so the audit trail names them rather than the server's own account."""


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class SpoolMark:
    """Where a batch came from in a client's spool file: stored with the batch, atomically."""

    spool_id: str
    offset: int


class ExperimentRepository(abc.ABC):
    """Experiments: named groups of runs."""

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str:
        """Create an experiment and return its id; AlreadyExists if the name is taken."""
        name = v.validate_experiment_name(name)
        clean_tags = {
            v.validate_key(k, "experiment tag"): v.validate_tag_value(k, val)
            for k, val in (tags or {}).items()
        }
        return self._create_experiment(name, artifact_location, clean_tags)

    def get_experiment(self, experiment_id: str | int) -> Experiment:
        """The experiment with that id; NotFound otherwise."""
        return self._get_experiment(v.validate_experiment_id(experiment_id))

    def find_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with that name (active or deleted), or None."""
        return self._find_experiment_by_name(v.validate_experiment_name(name))

    def get_experiment_by_name(self, name: str) -> Experiment:
        """The experiment with that name; NotFound (with suggestions) otherwise."""
        found = self.find_experiment_by_name(name)
        if found is None:
            self._raise_unknown_experiment_name(name)
        return found  # type: ignore[return-value]

    def get_or_create_experiment(self, name: str) -> Experiment:
        """The experiment of that name, created if missing; atomic across processes."""
        return self._get_or_create_experiment(v.validate_experiment_name(name))

    def search_experiments(
        self,
        view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        """A page of experiments matching a filter (name, tags, times)."""
        return self._search_experiments(
            ViewType.parse(view_type),
            v.check_max_results(max_results),
            filter_string,
            list(order_by or []),
            page_token,
        )

    def rename_experiment(self, experiment_id: str | int, new_name: str) -> None:
        """Give an experiment a new, unused name."""
        self._rename_experiment(
            v.validate_experiment_id(experiment_id), v.validate_experiment_name(new_name)
        )

    def delete_experiment(self, experiment_id: str | int) -> None:
        """Soft-delete an experiment and its runs (restore brings them back)."""
        self._set_experiment_stage(v.validate_experiment_id(experiment_id), deleted=True)

    def restore_experiment(self, experiment_id: str | int) -> None:
        """Undo a soft delete."""
        self._set_experiment_stage(v.validate_experiment_id(experiment_id), deleted=False)

    def set_experiment_tag(self, experiment_id: str | int, key: str, value: str) -> None:
        """Set (or overwrite) an experiment tag."""
        key = v.validate_key(key, "experiment tag")
        self._set_experiment_tag(
            v.validate_experiment_id(experiment_id), key, v.validate_tag_value(key, value)
        )

    def purge_experiment(self, experiment_id: str | int) -> None:
        """Remove a deleted experiment and its runs' metadata for good (frees the name)."""
        self._purge_experiment(v.validate_experiment_id(experiment_id))

    def list_deleted_experiments(self, older_than_ms: int | None = None) -> list[Experiment]:
        """Deleted experiments, optionally only those deleted before a time."""
        return self._list_deleted_experiments(older_than_ms)

    def _raise_unknown_experiment_name(self, name: str) -> None:
        from cairn.errors import did_you_mean

        names = [e.name for e in self.search_experiments(max_results=1000).items]
        raise NotFound(f"no experiment is named {name!r}." + did_you_mean(name, names))

    @abc.abstractmethod
    def _create_experiment(
        self, name: str, artifact_location: str | None, tags: dict[str, str]
    ) -> str: ...
    @abc.abstractmethod
    def _get_experiment(self, experiment_id: int) -> Experiment: ...
    @abc.abstractmethod
    def _find_experiment_by_name(self, name: str) -> Experiment | None: ...
    @abc.abstractmethod
    def _get_or_create_experiment(self, name: str) -> Experiment: ...
    @abc.abstractmethod
    def _search_experiments(
        self,
        view_type: ViewType,
        max_results: int,
        filter_string: str | None,
        order_by: list[str],
        page_token: str | None,
    ) -> Page: ...
    @abc.abstractmethod
    def _rename_experiment(self, experiment_id: int, new_name: str) -> None: ...
    @abc.abstractmethod
    def _set_experiment_stage(self, experiment_id: int, deleted: bool) -> None: ...
    @abc.abstractmethod
    def _set_experiment_tag(self, experiment_id: int, key: str, value: str) -> None: ...
    @abc.abstractmethod
    def _purge_experiment(self, experiment_id: int) -> None: ...
    @abc.abstractmethod
    def _list_deleted_experiments(self, older_than_ms: int | None) -> list[Experiment]: ...


class RunRepository(abc.ABC):
    """Runs and what they log: params, metrics, tags."""

    def create_run(
        self,
        experiment_id: str | int,
        user_id: str = "",
        start_time: int | None = None,
        tags: dict[str, str] | None = None,
        run_name: str | None = None,
        parent_run_id: str | None = None,
    ) -> Run:
        """Start a RUNNING run in an active experiment."""
        exp_id = v.validate_experiment_id(experiment_id)
        clean_tags = [
            RunTag(v.validate_key(k, "tag"), v.validate_tag_value(k, val))
            for k, val in (tags or {}).items()
        ]
        name = v.validate_run_name(run_name) if run_name else None
        parent = v.validate_run_id(parent_run_id) if parent_run_id else None
        start = v.validate_time("start_time", start_time) if start_time is not None else now_ms()
        return self._create_run(exp_id, user_id or "", start, clean_tags, name, parent)

    def get_run(self, run_id: str) -> Run:
        """The run with its latest metrics, params and tags; NotFound otherwise."""
        return self._get_run(v.validate_run_id(run_id))

    def update_run_info(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change a run's status, end time or name."""
        from cairn.entities import RunStatus

        st = RunStatus.parse(status).value if status is not None else None
        name = v.validate_run_name(run_name) if run_name is not None else None
        end = v.validate_time("end_time", end_time) if end_time is not None else None
        return self._update_run_info(v.validate_run_id(run_id), st, end, name)

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""
        self._set_run_stage(v.validate_run_id(run_id), deleted=True)

    def restore_run(self, run_id: str) -> None:
        """Undo a soft delete."""
        self._set_run_stage(v.validate_run_id(run_id), deleted=False)

    def purge_run(self, run_id: str) -> None:
        """Remove a run's metadata for good."""
        self._purge_run(v.validate_run_id(run_id))

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        spool: SpoolMark | None = None,
    ) -> None:
        """Log metrics, params and tags to a run in one transaction (all or nothing)."""
        run_id = v.validate_run_id(run_id)
        clean_metrics = [m if v.is_clean_metric(m) else v.clean_metric(m) for m in metrics]
        clean_params = [
            Param(v.validate_key(p.key, "param"), v.validate_param_value(p.key, p.value))
            for p in params
        ]
        _reject_conflicting_duplicates(clean_params)
        clean_tags = [
            RunTag(v.validate_key(t.key, "tag"), v.validate_tag_value(t.key, t.value)) for t in tags
        ]
        if spool is not None:
            v.validate_spool_id(spool.spool_id)
            if (
                isinstance(spool.offset, bool)
                or not isinstance(spool.offset, int)
                or spool.offset < 0
            ):
                raise InvalidInput(
                    f"spool offset must be a non-negative integer, got {spool.offset!r}"
                )
        if not (clean_metrics or clean_params or clean_tags or spool):
            return
        self._log_batch(run_id, clean_metrics, clean_params, clean_tags, spool)

    def log_metric(self, run_id: str, metric: Metric) -> None:
        """Append one metric point."""
        self.log_batch(run_id, metrics=[metric])

    def log_param(self, run_id: str, param: Param) -> None:
        """Log one param (the same value again is fine, another value is ParamOverwrite)."""
        self.log_batch(run_id, params=[param])

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        """Set (or overwrite) one tag."""
        self.log_batch(run_id, tags=[tag])

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag; NotFound if the run has no such tag."""
        self._delete_tag(v.validate_run_id(run_id), v.validate_key(key, "tag"))

    def get_metric_history(
        self, run_id: str, key: str, max_points: int | None = None
    ) -> MetricHistory:
        """Every point of a metric in step then timestamp order, or at most ``max_points``.

        Thinned histories keep each bucket's lowest and highest point (for charts).
        """
        from cairn.store.downsample import check_max_points

        run_id, key = v.validate_run_id(run_id), v.validate_key(key, "metric")
        if max_points is None:
            return self._get_metric_history(run_id, key)
        return self._get_sampled_history(run_id, key, check_max_points(max_points))

    def _get_sampled_history(self, run_id: str, key: str, max_points: int) -> MetricHistory:
        from cairn.store.downsample import downsample

        return downsample(self._get_metric_history(run_id, key), max_points)

    def get_latest_metrics(self, run_ids: Sequence[str]) -> dict[str, dict[str, Metric]]:
        """The point behind each value of ``Run.data.metrics`` (with its step and timestamp),
        per run; runs that do not exist map to no metrics."""
        return self._get_latest_metrics([v.validate_run_id(r) for r in run_ids])

    def _get_latest_metrics(self, run_ids: list[str]) -> dict[str, dict[str, Metric]]:
        """From the histories; a backend holding the latest points overrides this."""

        found: dict[str, dict[str, Metric]] = {}
        for run_id in run_ids:
            try:
                keys = list(self._get_run(run_id).data.metrics)
            except NotFound:
                keys = []
            found[run_id] = {
                k: max(self._get_metric_history(run_id, k), key=lambda m: (m.step, m.timestamp))
                for k in keys
            }
        return found

    def search_runs(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str | None = None,
        run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        """A page of runs matching MLflow's filter grammar (plus OR, NOT, parentheses)."""
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [experiment_ids]
        ids = [v.validate_experiment_id(e) for e in experiment_ids]
        return self._search_runs(
            ids,
            filter_string,
            ViewType.parse(run_view_type),
            v.check_max_results(max_results),
            list(order_by or []),
            page_token,
        )

    def count_runs(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str | None = None,
        run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    ) -> int:
        """How many runs :meth:`search_runs` would return over all its pages."""
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [experiment_ids]
        ids = [v.validate_experiment_id(e) for e in experiment_ids]
        return self._count_runs(ids, filter_string, ViewType.parse(run_view_type))

    def _count_runs(
        self, experiment_ids: list[int], filter_string: str | None, run_view_type: ViewType
    ) -> int:
        """By paging through the search; a backend that can count in one query overrides this."""
        total, token = 0, None
        while True:
            page = self._search_runs(
                experiment_ids, filter_string, run_view_type, v.MAX_RESULTS_LIMIT, [], token
            )
            total += len(page.items)
            token = page.next_page_token
            if not token:
                return total

    def record_artifacts(self, run_id: str, files: dict[str, dict[str, Any]]) -> None:
        """Note in the audit trail that files (path -> size and digest) were logged to a run."""
        from cairn.artifacts.paths import clean_artifact_path

        clean = {clean_artifact_path(path): dict(meta) for path, meta in files.items()}
        if clean:
            self._record_artifacts(v.validate_run_id(run_id), clean)

    def get_spool_offset(self, spool_id: str) -> int:
        """How many bytes of a spool file the store holds already (0 if none)."""
        return self._get_spool_offset(v.validate_spool_id(spool_id))

    def list_deleted_runs(self, older_than_ms: int | None = None) -> list[RunInfo]:
        """Deleted runs, optionally only those deleted before a time."""
        return self._list_deleted_runs(older_than_ms)

    @abc.abstractmethod
    def _create_run(
        self,
        experiment_id: int,
        user_id: str,
        start_time: int,
        tags: list[RunTag],
        run_name: str | None,
        parent_run_id: str | None,
    ) -> Run: ...
    @abc.abstractmethod
    def _get_run(self, run_id: str) -> Run: ...
    @abc.abstractmethod
    def _update_run_info(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> RunInfo: ...
    @abc.abstractmethod
    def _set_run_stage(self, run_id: str, deleted: bool) -> None: ...
    @abc.abstractmethod
    def _purge_run(self, run_id: str) -> None: ...
    @abc.abstractmethod
    def _log_batch(
        self,
        run_id: str,
        metrics: list[Metric],
        params: list[Param],
        tags: list[RunTag],
        spool: SpoolMark | None,
    ) -> None: ...
    @abc.abstractmethod
    def _delete_tag(self, run_id: str, key: str) -> None: ...
    @abc.abstractmethod
    def _get_metric_history(self, run_id: str, key: str) -> MetricHistory: ...
    @abc.abstractmethod
    def _search_runs(
        self,
        experiment_ids: list[int],
        filter_string: str | None,
        run_view_type: ViewType,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
    ) -> Page: ...
    @abc.abstractmethod
    def _record_artifacts(self, run_id: str, files: dict[str, dict[str, Any]]) -> None: ...
    @abc.abstractmethod
    def _get_spool_offset(self, spool_id: str) -> int: ...
    @abc.abstractmethod
    def _list_deleted_runs(self, older_than_ms: int | None) -> list[RunInfo]: ...


def _reject_conflicting_duplicates(params: list[Param]) -> None:
    seen: dict[str, str] = {}
    for p in params:
        if p.key in seen and seen[p.key] != p.value:
            raise InvalidInput(
                f"param {p.key!r} appears twice in one batch with different values "
                f"({seen[p.key]!r} and {p.value!r})"
            )
        seen[p.key] = p.value


class Store(abc.ABC):
    """A metadata store: small repositories sharing one database."""

    uri: str
    actor: str
    remote: bool = False  # True when the store is behind a server (writes may be queued)
    experiments: ExperimentRepository
    runs: RunRepository
    audit: AuditRepository
    logged_models: LoggedModelRepository
    run_io: RunIORepository
    datasets: DatasetRepository
    schedules: ScheduleRepository
    registry: RegistryRepository
    monitors: MonitorRepository

    @property
    @abc.abstractmethod
    def default_artifact_root(self) -> str:
        """Where new experiments keep their artifacts unless they name a location."""

    def artifact_store(self, artifact_uri: str, run_id: str) -> Artifacts:
        """Where a run's files are read and written: its artifact URI, opened directly.

        A store that cannot reach the files itself (``RestStore``) returns one that goes
        through the server's artifact proxy instead.
        """
        from cairn.artifacts import open_artifact_store

        return open_artifact_store(artifact_uri)

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LoggedModelRepository(abc.ABC):
    """Logged models (MLflow 3): a model logged from a run, with its own files, tags, params
    and metrics. ``get`` hides deleted models unless asked; writes to them are InvalidState."""

    def create_logged_model(
        self,
        experiment_id: str | int,
        name: str | None = None,
        source_run_id: str | None = None,
        model_type: str | None = None,
        tags: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> LoggedModel:
        """Create a PENDING logged model in an active experiment (a name is generated if none)."""
        return self._create_logged_model(
            v.validate_experiment_id(experiment_id),
            mv.optional_text(name, "logged model name", mv.MAX_MODEL_NAME_LENGTH),
            v.validate_run_id(source_run_id) if source_run_id else None,
            mv.optional_text(model_type, "model type", mv.MAX_MODEL_TYPE_LENGTH),
            mv.model_tags(tags or {}),
            mv.model_params(params or {}),
        )

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        """The logged model; NotFound if missing, or deleted unless ``allow_deleted``."""
        return self._get_logged_model(mv.validate_model_id(model_id), bool(allow_deleted))

    def search_logged_models(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str | None = None,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        datasets: Sequence[tuple[str, str | None]] = (),
    ) -> Page:
        """A page of active logged models matching a filter on attributes, tags, params and
        metrics (``datasets``: only metrics of these (name, digest or None) count)."""
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [experiment_ids]
        clean_datasets = [
            (
                mv.text(name, "dataset name", mv.MAX_DATASET_NAME_LENGTH),
                mv.optional_text(digest, "dataset digest", mv.MAX_DATASET_DIGEST_LENGTH),
            )
            for name, digest in datasets
        ]
        return self._search_logged_models(
            [v.validate_experiment_id(e) for e in experiment_ids],
            filter_string,
            v.check_max_results(max_results),
            list(order_by or []),
            page_token,
            clean_datasets,
        )

    def finalize_logged_model(
        self, model_id: str, status: LoggedModelStatus | str, status_message: str | None = None
    ) -> LoggedModel:
        """Set a logged model's status (READY once its files are uploaded, or FAILED)."""
        return self._finalize_logged_model(
            mv.validate_model_id(model_id),
            LoggedModelStatus.parse(status).value,
            mv.optional_text(status_message, "status message", mv.MAX_STATUS_MESSAGE_LENGTH),
        )

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, Any]) -> None:
        """Set (or overwrite) tags of a logged model."""
        clean = mv.model_tags(tags)
        if clean:
            self._set_logged_model_tags(mv.validate_model_id(model_id), clean)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Remove a tag; NotFound if the model has no such tag."""
        self._delete_logged_model_tag(
            mv.validate_model_id(model_id), v.validate_key(key, "logged model tag")
        )

    def log_logged_model_params(self, model_id: str, params: Mapping[str, Any]) -> None:
        """Log params (the same value again is fine, another value is ParamOverwrite)."""
        clean = mv.model_params(params)
        if clean:
            self._log_logged_model_params(mv.validate_model_id(model_id), clean)

    def log_logged_model_metrics(self, model_id: str, metrics: Sequence[ModelMetric]) -> None:
        """Record metric points of a logged model (a point already recorded is kept once)."""
        clean = [mv.model_metric(m) for m in metrics]
        if clean:
            self._log_logged_model_metrics(mv.validate_model_id(model_id), clean)

    def delete_logged_model(self, model_id: str) -> None:
        """Soft-delete a logged model; InvalidState if it is deleted already."""
        self._delete_logged_model(mv.validate_model_id(model_id))

    def record_logged_model_artifacts(
        self, model_id: str, files: dict[str, dict[str, Any]]
    ) -> None:
        """Note in the audit trail that files (path -> size and digest) were stored for a model."""
        from cairn.artifacts.paths import clean_artifact_path

        clean = {clean_artifact_path(path): dict(meta) for path, meta in files.items()}
        if clean:
            self._record_logged_model_artifacts(mv.validate_model_id(model_id), clean)

    @abc.abstractmethod
    def _create_logged_model(
        self,
        experiment_id: int,
        name: str | None,
        source_run_id: str | None,
        model_type: str | None,
        tags: dict[str, str],
        params: dict[str, str],
    ) -> LoggedModel: ...
    @abc.abstractmethod
    def _get_logged_model(self, model_id: str, allow_deleted: bool) -> LoggedModel: ...
    @abc.abstractmethod
    def _search_logged_models(
        self,
        experiment_ids: list[int],
        filter_string: str | None,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
        datasets: list[tuple[str, str | None]],
    ) -> Page: ...
    @abc.abstractmethod
    def _finalize_logged_model(
        self, model_id: str, status: str, status_message: str | None
    ) -> LoggedModel: ...
    @abc.abstractmethod
    def _set_logged_model_tags(self, model_id: str, tags: dict[str, str]) -> None: ...
    @abc.abstractmethod
    def _delete_logged_model_tag(self, model_id: str, key: str) -> None: ...
    @abc.abstractmethod
    def _log_logged_model_params(self, model_id: str, params: dict[str, str]) -> None: ...
    @abc.abstractmethod
    def _log_logged_model_metrics(self, model_id: str, metrics: list[ModelMetric]) -> None: ...
    @abc.abstractmethod
    def _delete_logged_model(self, model_id: str) -> None: ...
    @abc.abstractmethod
    def _record_logged_model_artifacts(
        self, model_id: str, files: dict[str, dict[str, Any]]
    ) -> None: ...


class RunIORepository(abc.ABC):
    """What runs read and produced: datasets and logged models (MLflow's run inputs/outputs)."""

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] = (),
        models: Sequence[str] = (),
    ) -> None:
        """Record datasets and logged models a run read; one already recorded (a dataset of
        the same name and digest, the same model) keeps what was logged first."""
        clean_datasets = [mv.dataset_input(d) for d in datasets]
        clean_models = [mv.validate_model_id(m) for m in models]
        if clean_datasets or clean_models:
            self._log_inputs(v.validate_run_id(run_id), clean_datasets, clean_models)

    def log_outputs(self, run_id: str, models: Sequence[ModelOutput]) -> None:
        """Record logged models a run produced; a model recorded already keeps its first step."""
        clean = mv.model_outputs(models)
        if clean:
            self._log_outputs(v.validate_run_id(run_id), clean)

    def get_run_io(self, run_id: str) -> RunIO:
        """A run's inputs and outputs; NotFound if the run does not exist."""
        return self._get_run_io(v.validate_run_id(run_id))

    def get_runs_io(self, run_ids: Sequence[str]) -> dict[str, RunIO]:
        """The inputs and outputs of many runs at once (runs with none map to an empty RunIO)."""
        return self._get_runs_io([v.validate_run_id(r) for r in run_ids])

    @abc.abstractmethod
    def _log_inputs(self, run_id: str, datasets: list[DatasetInput], models: list[str]) -> None: ...
    @abc.abstractmethod
    def _log_outputs(self, run_id: str, models: list[ModelOutput]) -> None: ...
    @abc.abstractmethod
    def _get_run_io(self, run_id: str) -> RunIO: ...
    @abc.abstractmethod
    def _get_runs_io(self, run_ids: list[str]) -> dict[str, RunIO]: ...


class DatasetRepository(abc.ABC):
    """Datasets as the runs that read them recorded them: names, versions (digests) and uses.

    A version is a (name, digest) pair; the runs that logged it as an input are its uses.
    Deleted runs do not count. ``experiment_ids`` narrows everything to those experiments
    (the server passes what the caller may read); None means all.
    """

    def list_datasets(
        self,
        experiment_ids: Sequence[str] | None = None,
        name_like: str | None = None,
        max_results: int = 1000,
    ) -> list[DatasetSummary]:
        """Dataset names with their version and run counts, most recently used first."""
        pattern = None
        if name_like is not None:
            pattern = mv.text(name_like, "dataset name filter", mv.MAX_DATASET_NAME_LENGTH)
        return self._list_datasets(
            _experiment_filter(experiment_ids), pattern, v.check_max_results(max_results)
        )

    def get_dataset(
        self, name: str, experiment_ids: Sequence[str] | None = None
    ) -> list[DatasetVersion]:
        """Every version of a dataset with the runs that read it, newest first; NotFound if
        no (visible) run read a dataset of that name."""
        clean = mv.text(name, "dataset name", mv.MAX_DATASET_NAME_LENGTH)
        return self._get_dataset(clean, _experiment_filter(experiment_ids))

    def get_dataset_versions(
        self, digest: str, experiment_ids: Sequence[str] | None = None
    ) -> list[DatasetVersion]:
        """The versions (of any name) whose digest is ``digest`` or starts with it (8 or more
        lowercase hex characters), with the runs that read or wrote each, newest first (at
        most 1000 uses); NotFound if no (visible) run logged such a version."""
        return self._get_dataset_versions(
            mv.digest_prefix(digest), _experiment_filter(experiment_ids)
        )

    @abc.abstractmethod
    def _list_datasets(
        self, experiment_ids: list[int] | None, name_like: str | None, max_results: int
    ) -> list[DatasetSummary]: ...
    @abc.abstractmethod
    def _get_dataset(self, name: str, experiment_ids: list[int] | None) -> list[DatasetVersion]: ...
    @abc.abstractmethod
    def _get_dataset_versions(
        self, digest: str, experiment_ids: list[int] | None
    ) -> list[DatasetVersion]: ...


def _experiment_filter(experiment_ids: Sequence[str] | None) -> list[int] | None:
    if experiment_ids is None:
        return None
    return [v.validate_experiment_id(e) for e in experiment_ids]
