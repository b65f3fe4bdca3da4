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
    AuditEvent,
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
    ModelVersion,
    Page,
    Param,
    RegisteredModel,
    Run,
    RunInfo,
    RunIO,
    RunTag,
    Schedule,
    ScheduleRun,
    ViewType,
)
from cairn.errors import InvalidInput, NotFound
from cairn.store import model_validation as mv
from cairn.store import registry_validation as rv
from cairn.store import schedule_validation as sv
from cairn.store import validation as v

if TYPE_CHECKING:
    from cairn.artifacts.base import Artifacts

MAX_RESULTS_LIMIT = 50_000

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


def _check_max_results(max_results: int) -> int:
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise InvalidInput(f"max_results must be a positive integer, got {max_results!r}")
    if max_results > MAX_RESULTS_LIMIT:
        raise InvalidInput(f"max_results {max_results} is over the limit of {MAX_RESULTS_LIMIT}")
    return max_results


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
            _check_max_results(max_results),
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
        from cairn.errors import NotFound, did_you_mean

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
        from cairn.errors import NotFound

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
            _check_max_results(max_results),
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
                experiment_ids, filter_string, run_view_type, MAX_RESULTS_LIMIT, [], token
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


class AuditRepository(abc.ABC):
    """Reads of the hash-chained audit trail (writes happen inside each store transaction)."""

    @abc.abstractmethod
    def list_events(
        self, after_seq: int = 0, limit: int = 1000, entity: str | None = None
    ) -> list[AuditEvent]:
        """Events in sequence order after a sequence number."""

    @abc.abstractmethod
    def head(self) -> tuple[int, str]:
        """The last sequence number and hash of the chain."""


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
            _check_max_results(max_results),
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
            _experiment_filter(experiment_ids), pattern, _check_max_results(max_results)
        )

    def get_dataset(
        self, name: str, experiment_ids: Sequence[str] | None = None
    ) -> list[DatasetVersion]:
        """Every version of a dataset with the runs that read it, newest first; NotFound if
        no (visible) run read a dataset of that name."""
        clean = mv.text(name, "dataset name", mv.MAX_DATASET_NAME_LENGTH)
        return self._get_dataset(clean, _experiment_filter(experiment_ids))

    @abc.abstractmethod
    def _list_datasets(
        self, experiment_ids: list[int] | None, name_like: str | None, max_results: int
    ) -> list[DatasetSummary]: ...
    @abc.abstractmethod
    def _get_dataset(self, name: str, experiment_ids: list[int] | None) -> list[DatasetVersion]: ...


def _experiment_filter(experiment_ids: Sequence[str] | None) -> list[int] | None:
    if experiment_ids is None:
        return None
    return [v.validate_experiment_id(e) for e in experiment_ids]


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
        return self._list_schedule_runs(name, _check_max_results(max_results))

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


class RegistryRepository(abc.ABC):
    """The model registry: registered models, their versions, tags, aliases and legacy stages.

    Checks happen here, once for every backend; the private hooks persist. Every write
    appends an audit event (``registered_model.*``, ``model_version.*``) with the actor in
    the same transaction. Version numbers come from a per-model counter bumped inside the
    creating transaction, so concurrent creates never share a number and a deleted
    version's number is never reused.
    """

    def create_registered_model(
        self, name: str, description: str | None = None, tags: Mapping[str, str] | None = None
    ) -> RegisteredModel:
        """Add a registered model; AlreadyExists when the name is taken."""
        return self._create_registered_model(
            rv.model_name(name), rv.description(description), rv.tags(tags)
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The registered model called ``name``; NotFound (naming close matches) otherwise."""
        found = self.find_registered_model(name)
        if found is None:
            raise rv.unknown_model(name, self._model_names())
        return found

    def find_registered_model(self, name: str) -> RegisteredModel | None:
        """The registered model called ``name``, or None."""
        return self._find_registered_model(rv.model_name(name))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model (its versions, tags and aliases follow)."""
        new_name = rv.model_name(new_name, "new registered model name")
        self.get_registered_model(name)
        return self._rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set (or clear, with None) a model's description."""
        text = rv.description(description)
        self.get_registered_model(name)
        return self._update_registered_model(name, text)

    def delete_registered_model(self, name: str) -> None:
        """Remove a model with its versions, tags and aliases (the runs stay)."""
        self.get_registered_model(name)
        self._delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        """A page of registered models matching an MLflow filter (``name LIKE 'churn%'``,
        ``tags.team = 'growth'``), by name unless ``order_by`` says otherwise."""
        from cairn.store.search import decode_page_token
        from cairn.store.search.parser import parse_filter_with, parse_order_by_with

        parse_filter_with(filter_string, rv.REGISTERED_MODELS)
        parse_order_by_with(list(order_by or []), rv.REGISTERED_MODELS)
        decode_page_token(page_token)
        return self._search_registered_models(
            filter_string or None, _check_max_results(max_results), list(order_by or []), page_token
        )

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        """Set a tag on a registered model."""
        key, value = rv.tag_key(key), rv.tag_value(value)
        self.get_registered_model(name)
        self._set_registered_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model; NotFound when it has no such tag."""
        key = rv.tag_key(key)
        if key not in self.get_registered_model(name).tags:
            raise NotFound(f"registered model {name!r} has no tag {key!r}")
        self._delete_registered_model_tag(name, key)

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Add the next version of ``name`` (READY, stage "None") made from ``source``."""
        checked = (
            rv.source(source),
            v.validate_run_id(run_id) if run_id else None,
            rv.description(description),
            rv.tags(tags),
            mv.validate_model_id(model_id) if model_id else None,
        )
        self.get_registered_model(name)
        return self._create_model_version(name, *checked)

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """Version ``version`` of ``name``; NotFound otherwise."""
        number = rv.version_number(version)
        found = self._find_model_version(rv.model_name(name), number)
        if found is None:
            self.get_registered_model(name)
            raise rv.unknown_version(name, number)
        return found

    def update_model_version(
        self, name: str, version: int | str, description: str | None
    ) -> ModelVersion:
        """Set (or clear) a version's description."""
        text = rv.description(description)
        found = self.get_model_version(name, version)
        return self._update_model_version(name, found.version, text)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Remove a version with its tags and the aliases pointing at it."""
        found = self.get_model_version(name, version)
        self._delete_model_version(name, found.version)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        """A page of versions matching an MLflow filter (``name = 'churn'``, ``run_id = '...'``,
        ``tags.k = 'v'``), by name then newest version unless ``order_by`` says otherwise."""
        from cairn.store.search import decode_page_token
        from cairn.store.search.parser import parse_filter_with, parse_order_by_with

        parse_filter_with(filter_string, rv.MODEL_VERSIONS)
        parse_order_by_with(list(order_by or []), rv.MODEL_VERSIONS)
        decode_page_token(page_token)
        return self._search_model_versions(
            filter_string or None, _check_max_results(max_results), list(order_by or []), page_token
        )

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: str) -> None:
        """Set a tag on a model version."""
        key, value = rv.tag_key(key), rv.tag_value(value)
        found = self.get_model_version(name, version)
        self._set_model_version_tag(name, found.version, key, value)

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Remove a tag from a model version; NotFound when it has no such tag."""
        key = rv.tag_key(key)
        found = self.get_model_version(name, version)
        if key not in found.tags:
            raise NotFound(f"version {found.version} of {name!r} has no tag {key!r}")
        self._delete_model_version_tag(name, found.version, key)

    def set_alias(self, name: str, alias: str, version: int | str) -> ModelVersion:
        """Point ``alias`` at ``version`` (moving it from another version in one transaction)."""
        alias = rv.alias_name(alias)
        found = self.get_model_version(name, version)
        self._set_alias(name, alias, found.version)
        return self.get_model_version(name, found.version)

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove an alias; NotFound when the model has no such alias."""
        alias = rv.alias_name(alias)
        aliases = self.get_registered_model(name).aliases
        if alias not in aliases:
            raise rv.unknown_alias(name, alias, aliases)
        self._delete_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at; NotFound otherwise."""
        alias = rv.alias_name(alias)
        aliases = self.get_registered_model(name).aliases
        if alias not in aliases:
            raise rv.unknown_alias(name, alias, aliases)
        return self.get_model_version(name, aliases[alias])

    def transition_stage(
        self, name: str, version: int | str, stage: str, archive_existing: bool = False
    ) -> ModelVersion:
        """Move a version to a legacy stage; with ``archive_existing`` the other versions in
        that stage (Staging or Production) move to Archived in the same transaction."""
        stage = rv.stage_name(stage)
        found = self.get_model_version(name, version)
        return self._transition_stage(name, found.version, stage, bool(archive_existing))

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (default: every stage), by version."""
        wanted = rv.stage_names(stages)
        self.get_registered_model(name)
        return self._get_latest_versions(name, wanted)

    def _model_names(self) -> list[str]:
        return [m.name for m in self.search_registered_models(max_results=1000)]

    @abc.abstractmethod
    def _create_registered_model(
        self, name: str, description: str | None, tags: dict[str, str]
    ) -> RegisteredModel: ...
    @abc.abstractmethod
    def _find_registered_model(self, name: str) -> RegisteredModel | None: ...
    @abc.abstractmethod
    def _rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...
    @abc.abstractmethod
    def _update_registered_model(self, name: str, description: str | None) -> RegisteredModel: ...
    @abc.abstractmethod
    def _delete_registered_model(self, name: str) -> None: ...
    @abc.abstractmethod
    def _search_registered_models(
        self,
        filter_string: str | None,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
    ) -> Page: ...
    @abc.abstractmethod
    def _set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...
    @abc.abstractmethod
    def _delete_registered_model_tag(self, name: str, key: str) -> None: ...
    @abc.abstractmethod
    def _create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        description: str | None,
        tags: dict[str, str],
        model_id: str | None,
    ) -> ModelVersion: ...
    @abc.abstractmethod
    def _find_model_version(self, name: str, version: int) -> ModelVersion | None: ...
    @abc.abstractmethod
    def _update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion: ...
    @abc.abstractmethod
    def _delete_model_version(self, name: str, version: int) -> None: ...
    @abc.abstractmethod
    def _search_model_versions(
        self,
        filter_string: str | None,
        max_results: int,
        order_by: list[str],
        page_token: str | None,
    ) -> Page: ...
    @abc.abstractmethod
    def _set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None: ...
    @abc.abstractmethod
    def _delete_model_version_tag(self, name: str, version: int, key: str) -> None: ...
    @abc.abstractmethod
    def _set_alias(self, name: str, alias: str, version: int) -> None: ...
    @abc.abstractmethod
    def _delete_alias(self, name: str, alias: str) -> None: ...
    @abc.abstractmethod
    def _transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool
    ) -> ModelVersion: ...
    @abc.abstractmethod
    def _get_latest_versions(self, name: str, stages: tuple[str, ...]) -> list[ModelVersion]: ...
