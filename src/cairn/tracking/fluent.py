"""The fluent tracking API (``cairn.start_run``, ``cairn.log_metric`` ...), MLflow's shape.

A thin layer over :class:`CairnClient`. The active runs live in a ``ContextVar`` (a stack:
nested runs push), never in module globals. Metrics go through the run's durable spool
(:mod:`cairn.tracking.spool`). On a local store params and tags are written at once, so a
bad value fails at the call that logged it; on a remote server they are checked here and
then spooled too, with the run's end, so that a server outage never blocks or fails the
script (a param changed within this process still fails at once).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from cairn import config
from cairn.entities import (
    DatasetInput,
    Experiment,
    Metric,
    MetricHistory,
    Page,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from cairn.errors import InvalidInput, InvalidState, NotFound, ParamOverwrite
from cairn.store import validation as v
from cairn.tracking.client import CairnClient
from cairn.tracking.inputs import SupportsDatasetInput
from cairn.tracking.spool import RunEnd, Spool, recover

NOTE_TAG = "cairn.note.content"
ENV_EXPERIMENT_NAME = "CAIRN_EXPERIMENT_NAME"
ENV_EXPERIMENT_ID = "CAIRN_EXPERIMENT_ID"
ENV_RUN_ID = "CAIRN_RUN_ID"
ENV_SYSTEM_METRICS_INTERVAL = "CAIRN_SYSTEM_METRICS_INTERVAL"
ENV_CLOSE_TIMEOUT = "CAIRN_SPOOL_CLOSE_TIMEOUT"
# Set by multi-rank pipeline stages (cairn.pipelines.ranks): every rank logs into one run,
# rank > 0 writes its system metrics under system/rank<K>/ and its metrics only when
# CAIRN_METRICS_ALL_RANKS=1 (then under rank<K>/); rank 0 logs as usual.
ENV_RANK = "CAIRN_RANK"
ENV_METRICS_ALL_RANKS = "CAIRN_METRICS_ALL_RANKS"


class ActiveRun:
    """A run started by :func:`start_run`; a context manager that ends it."""

    def __init__(self, client: CairnClient, run: Run, spool: Spool, sampler: Any = None) -> None:
        self.client = client
        self._run = run
        self.spool = spool
        self.sampler = sampler
        self.params: dict[str, str] = {}  # logged by this process (remote runs check here)

    @property
    def info(self):  # type: ignore[no-untyped-def]
        """The run's info as it was at start."""
        return self._run.info

    @property
    def data(self):  # type: ignore[no-untyped-def]
        """The run's current metrics, params and tags (pending metrics shipped first)."""
        self.spool.flush()
        return self.client.get_run(self._run.info.run_id).data

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: object, tb: object) -> None:
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        _end(self, status.value)

    def __repr__(self) -> str:
        return f"<ActiveRun {self._run.info.run_id} ({self._run.info.run_name})>"


_active_runs: ContextVar[tuple[ActiveRun, ...]] = ContextVar("cairn_active_runs", default=())
_last_run_id: ContextVar[str | None] = ContextVar("cairn_last_run_id", default=None)
_experiment_id: ContextVar[str | None] = ContextVar("cairn_experiment_id", default=None)
_pending_seeds: ContextVar[dict[str, int] | None] = ContextVar("cairn_pending_seeds", default=None)
_tracking_uri: ContextVar[str | None] = ContextVar("cairn_tracking_uri", default=None)

_clients: dict[str, CairnClient] = {}
_recovered: set[str] = set()
_open_runs: list[ActiveRun] = []  # every run this process has open, for the exit hook
_lock = threading.Lock()
_env_run_taken: str | None = None  # the CAIRN_RUN_ID value this process has resumed


# -- set-up ------------------------------------------------------------------------------------


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Use this store for what follows (a URI, or a folder/file path for SQLite)."""
    _tracking_uri.set(str(uri))
    _experiment_id.set(None)


def get_tracking_uri() -> str:
    """The tracking URI in force."""
    return config.resolve(_tracking_uri.get()).tracking_uri


def _client() -> CairnClient:
    uri = get_tracking_uri()
    with _lock:
        if uri not in _clients:
            _clients[uri] = CairnClient(uri)
        return _clients[uri]


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment the active one, creating it by name if needed (atomic)."""
    client = _client()
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidInput("set_experiment needs exactly one of experiment_name or experiment_id")
    if experiment_id is not None:
        experiment = client.get_experiment(experiment_id)
        if experiment.lifecycle_stage != "active":
            raise InvalidState(f"experiment {experiment_id} is deleted; restore it first")
    else:
        experiment = client.store.experiments.get_or_create_experiment(experiment_name)  # type: ignore[arg-type]
    _experiment_id.set(experiment.experiment_id)
    return experiment


def _current_experiment_id(client: CairnClient) -> str:
    chosen = _experiment_id.get()
    if chosen is not None:
        return chosen
    if os.environ.get(ENV_EXPERIMENT_ID):
        return os.environ[ENV_EXPERIMENT_ID]
    if os.environ.get(ENV_EXPERIMENT_NAME):
        return client.store.experiments.get_or_create_experiment(
            os.environ[ENV_EXPERIMENT_NAME]
        ).experiment_id
    return "0"


def seed_everything(seed: int, deterministic: bool = False) -> dict[str, int]:
    """Seed python/numpy (and torch/tensorflow if imported) and record the seeds on the run."""
    from cairn.tracking.seeds import seed_everything as _seed
    from cairn.tracking.seeds import seed_tags

    seeds = _seed(seed, deterministic=deterministic)
    stack = _active_runs.get()
    if stack:
        set_tags(seed_tags(seeds))
    else:
        _pending_seeds.set(dict(seeds))
    return seeds


# -- runs --------------------------------------------------------------------------------------


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool = False,
    parent_run_id: str | None = None,
) -> ActiveRun:
    """Start (or resume, with ``run_id``) a run and make it the active one."""
    client = _client()
    stack = _active_runs.get()
    if stack and not nested:
        raise InvalidState(
            f"run {stack[-1].info.run_id} is already active; end it with cairn.end_run(), or "
            "pass nested=True to start a child run"
        )
    _recover_once(client)
    if not run_id and not stack:
        run_id = _take_env_run_id()
    if run_id:
        run = _resume(client, run_id)
    else:
        run = _create(client, experiment_id, run_name, tags, description, stack, parent_run_id)
    spool = Spool(client.store, client.spool_dir, run.info.run_id)
    active = ActiveRun(client, run, spool)
    if log_system_metrics:
        from cairn.tracking.system_metrics import SystemMetricsSampler

        rank = _rank()
        node = f"system/rank{rank}/" if rank else "system/"

        def log_system(metrics: dict[str, float], step: int) -> None:
            now = int(time.time() * 1000)
            points = [Metric(k, float(val), now, step) for k, val in metrics.items()]
            if rank:
                points = [m._replace(key=node + m.key.removeprefix("system/")) for m in points]
            spool.append(points)

        interval = float(os.environ.get(ENV_SYSTEM_METRICS_INTERVAL, "10"))
        active.sampler = SystemMetricsSampler(log_system, interval=interval)
        active.sampler.start()
    _active_runs.set((*stack, active))
    with _lock:
        _open_runs.append(active)
    _install_exit_hooks()
    return active


def _take_env_run_id() -> str | None:
    """``CAIRN_RUN_ID`` (set by a pipeline stage, ``cairn run`` or ``cairn reproduce``) names
    the first top-level run of this process only; a script's later runs are new runs."""
    global _env_run_taken
    value = os.environ.get(ENV_RUN_ID) or None
    if value is None or value == _env_run_taken:
        return None
    _env_run_taken = value
    return value


def _create(
    client: CairnClient,
    experiment_id: str | None,
    run_name: str | None,
    tags: dict[str, Any] | None,
    description: str | None,
    stack: tuple[ActiveRun, ...],
    parent_run_id: str | None,
) -> Run:
    from cairn.tracking.context import collect_run_context
    from cairn.tracking.seeds import seed_tags

    exp_id = experiment_id if experiment_id is not None else _current_experiment_id(client)
    context = collect_run_context(entry_point=sys.argv[0] if sys.argv else None)
    all_tags: dict[str, Any] = dict(context.tags)
    pending = _pending_seeds.get()
    if pending:
        all_tags.update(seed_tags(pending))
    all_tags.update(tags or {})
    if description is not None:
        all_tags[NOTE_TAG] = description
    parent = parent_run_id or (stack[-1].info.run_id if stack else None)
    run = client.create_run(exp_id, tags=all_tags, run_name=run_name, parent_run_id=parent)
    for path, content in context.artifacts.items():
        client.log_bytes(run.info.run_id, content, path)
    return run


def _resume(client: CairnClient, run_id: str) -> Run:
    run = client.get_run(run_id)
    if run.info.lifecycle_stage != "active":
        raise InvalidState(f"run {run_id} is deleted; restore it before resuming it")
    client.update_run(run.info.run_id, status=RunStatus.RUNNING.value)
    pending = _pending_seeds.get()
    if pending:  # seeded before a resumed run started (a stage, project run or reproduction)
        from cairn.tracking.seeds import seed_tags

        tags = [RunTag(key, value) for key, value in seed_tags(pending).items()]
        client.log_batch(run.info.run_id, tags=tags)
    return client.get_run(run.info.run_id)


def _recover_once(client: CairnClient) -> None:
    if client.tracking_uri in _recovered:
        return
    _recovered.add(client.tracking_uri)
    recover(client.store, client.spool_dir)


def active_run() -> ActiveRun | None:
    """The innermost active run of this context, or None."""
    stack = _active_runs.get()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run, else the run that ended last in this context."""
    current = active_run()
    run_id = current.info.run_id if current else _last_run_id.get()
    return _client().get_run(run_id) if run_id else None


def end_run(status: str = "FINISHED") -> None:
    """End the innermost active run (no-op when there is none)."""
    current = active_run()
    if current is not None:
        _end(current, RunStatus.parse(status).value)


def _end(run: ActiveRun, status: str) -> None:
    stack = _active_runs.get()
    if run in stack:
        position = stack.index(run)
        for child in reversed(stack[position + 1 :]):
            _finish(child, status)
        _active_runs.set(stack[:position])
    _finish(run, status)
    _last_run_id.set(run.info.run_id)


def _finish(run: ActiveRun, status: str) -> None:
    with _lock:
        if run not in _open_runs:
            return
        _open_runs.remove(run)
    if run.sampler is not None:
        run.sampler.stop()
    if run.client.store.remote:
        # The end travels in the spool, after everything logged: a server that is down now
        # gets it when it is back (next start of this project, or `cairn sync`).
        run.spool.append([RunEnd(status, int(time.time() * 1000))])
        run.spool.close(float(os.environ.get(ENV_CLOSE_TIMEOUT, "30")))
        return
    run.spool.close()
    run.client.set_terminated(run.info.run_id, status)


def reset() -> None:
    """End this context's active runs and forget its experiment, URI and cached stores.

    For test suites and long-lived notebooks that switch projects; ``cairn.testing``'s
    ``cairn_project`` fixture calls it after each test.
    """
    from cairn.tracking.client import close_shared_stores

    while active_run() is not None:
        end_run()
    for run in list(_open_runs):
        _finish(run, RunStatus.FINISHED.value)
    _tracking_uri.set(None)
    _experiment_id.set(None)
    _pending_seeds.set(None)
    _last_run_id.set(None)
    with _lock:
        _clients.clear()
        _recovered.clear()
    close_shared_stores()


# -- the exit hook -----------------------------------------------------------------------------

_hooks_installed = False
_uncaught: list[type[BaseException]] = []


def _install_exit_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    previous = sys.excepthook

    def remember(exc_type, exc, tb):  # type: ignore[no-untyped-def]
        _uncaught.append(exc_type)
        previous(exc_type, exc, tb)

    sys.excepthook = remember
    atexit.register(_end_all_at_exit)


def _end_all_at_exit() -> None:
    if not _uncaught:
        status = RunStatus.FINISHED.value
    elif issubclass(_uncaught[-1], KeyboardInterrupt):
        status = RunStatus.KILLED.value
    else:
        status = RunStatus.FAILED.value
    for run in reversed(list(_open_runs)):
        _finish(run, status)


# -- logging to the active run -----------------------------------------------------------------


def _ensure_run() -> ActiveRun:
    current = active_run()
    return current if current is not None else start_run()


def _rank() -> int:
    """This process's rank in a multi-rank stage (0 outside of one)."""
    text = os.environ.get(ENV_RANK, "0")
    return int(text) if text.isdigit() else 0


def _rank_metrics(points: list[Metric]) -> list[Metric]:
    """The metric points this rank logs: all from rank 0; from another rank, none unless
    CAIRN_METRICS_ALL_RANKS=1, then under ``rank<K>/``."""
    rank = _rank()
    if not rank:
        return points
    if not config.env_flag(ENV_METRICS_ALL_RANKS):
        return []
    return [m._replace(key=f"rank{rank}/{m.key}") for m in points]


def log_metric(
    key: str, value: float, step: int | None = None, timestamp: int | None = None
) -> None:
    """Append a metric point to the active run; returns once it is on disk."""
    key = v.validate_key(key, "metric")
    metric = Metric(
        key,
        v.validate_metric_value(key, value),
        v.validate_timestamp(key, timestamp) if timestamp is not None else int(time.time() * 1000),
        v.validate_step(key, step) if step is not None else 0,
    )
    points = _rank_metrics([metric])
    if points:
        _ensure_run().spool.append([*points])


def log_metrics(
    metrics: dict[str, float], step: int | None = None, timestamp: int | None = None
) -> None:
    """Append several metric points at one step."""
    if not isinstance(metrics, dict):
        raise InvalidInput(
            f"log_metrics needs a dict of name -> number, got {type(metrics).__name__}"
        )
    now = v.validate_timestamp("*", timestamp) if timestamp is not None else int(time.time() * 1000)
    at = v.validate_step("*", step) if step is not None else 0
    points = []
    for key, value in metrics.items():
        key = v.validate_key(key, "metric")
        points.append(Metric(key, v.validate_metric_value(key, value), now, at))
    points = _rank_metrics(points)
    if points:
        _ensure_run().spool.append([*points])


def log_param(key: str, value: Any) -> Any:
    """Log a param to the active run (immutable: the same value again is fine)."""
    log_params({key: value})
    return value


def log_params(params: dict[str, Any]) -> None:
    """Log several params in one write."""
    if not isinstance(params, dict):
        raise InvalidInput(f"log_params needs a dict, got {type(params).__name__}")
    from cairn.tracking.client import _as_text

    run = _ensure_run()
    batch = [Param(k, _as_text(val)) for k, val in params.items()]
    if not run.client.store.remote:
        run.client.log_batch(run.info.run_id, params=batch)
        return
    checked = [
        Param(v.validate_key(p.key, "param"), v.validate_param_value(p.key, p.value)) for p in batch
    ]
    for param in checked:
        before = run.params.get(param.key)
        if before is not None and before != param.value:
            raise ParamOverwrite.of(run.info.run_id, param.key, before, param.value)
    run.spool.append(checked)
    run.params.update((p.key, p.value) for p in checked)


def set_tag(key: str, value: Any) -> None:
    """Set a tag on the active run."""
    set_tags({key: value})


def set_tags(tags: dict[str, Any]) -> None:
    """Set several tags in one write."""
    if not isinstance(tags, dict):
        raise InvalidInput(f"set_tags needs a dict, got {type(tags).__name__}")
    from cairn.tracking.client import _as_text

    run = _ensure_run()
    batch = [RunTag(k, _as_text(val)) for k, val in tags.items()]
    if run.client.store.remote:
        run.spool.append(
            [
                RunTag(v.validate_key(t.key, "tag"), v.validate_tag_value(t.key, t.value))
                for t in batch
            ]
        )
    else:
        run.client.log_batch(run.info.run_id, tags=batch)


def delete_tag(key: str) -> None:
    """Remove a tag from the active run."""
    run = _ensure_run()
    run.client.delete_tag(run.info.run_id, key)


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Copy a local file into the active run's artifacts."""
    run = _ensure_run()
    run.client.log_artifact(run.info.run_id, local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Copy a local folder into the active run's artifacts."""
    run = _ensure_run()
    run.client.log_artifacts(run.info.run_id, local_dir, artifact_path)


def log_text(text: str, artifact_file: str) -> None:
    """Write text as an artifact of the active run."""
    run = _ensure_run()
    run.client.log_text(run.info.run_id, text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str) -> None:
    """Write a dict as JSON/YAML artifact of the active run."""
    run = _ensure_run()
    run.client.log_dict(run.info.run_id, dictionary, artifact_file)


def log_figure(figure: Any, artifact_file: str) -> None:
    """Save a matplotlib figure as an artifact of the active run."""
    run = _ensure_run()
    run.client.log_figure(run.info.run_id, figure, artifact_file)


def log_image(image: Any, artifact_file: str) -> None:
    """Save an image (numpy array or PIL) as an artifact of the active run."""
    run = _ensure_run()
    run.client.log_image(run.info.run_id, image, artifact_file)


def log_input(
    dataset: DatasetInput | SupportsDatasetInput,
    context: str | None = None,
    tags: dict[str, Any] | None = None,
) -> DatasetInput:
    """Record that the active run read a dataset version, e.g.
    ``cairn.log_input(cairn.data.dataset("data/train.csv"), context="training")``."""
    run = _ensure_run()
    return run.client.log_input(run.info.run_id, dataset, context, tags)


# -- reads -------------------------------------------------------------------------------------


def _flush_all() -> None:
    for run in list(_open_runs):
        run.spool.flush()


def get_run(run_id: str) -> Run:
    """A run with its latest metrics, params and tags."""
    _flush_all()
    return _client().get_run(run_id)


def get_metric_history(run_id: str, key: str) -> MetricHistory:
    """Every point of a run's metric."""
    _flush_all()
    return _client().get_metric_history(run_id, key)


def delete_run(run_id: str) -> None:
    """Soft-delete a run."""
    _client().delete_run(run_id)


def restore_run(run_id: str) -> None:
    """Restore a deleted run."""
    _client().restore_run(run_id)


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
) -> str:
    """Create an experiment; return its id."""
    return _client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with that id."""
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment:
    """The experiment with that name (NotFound with suggestions otherwise)."""
    return _client().get_experiment_by_name(name)


def search_experiments(
    view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """All experiments matching a filter (paged through internally)."""
    client = _client()
    found: list[Experiment] = []
    token = None
    while True:
        page = client.search_experiments(view_type, 1000, filter_string, order_by, token)
        found.extend(page.items)
        token = page.next_page_token
        if token is None or (max_results is not None and len(found) >= max_results):
            return found[:max_results] if max_results is not None else found


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str | None = None,
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> Any:
    """Runs matching a filter, as a pandas DataFrame (or a list of Run with output_format='list')."""
    if output_format not in ("pandas", "list"):
        raise InvalidInput(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    client = _client()
    _flush_all()
    ids = _experiment_ids(client, experiment_ids, experiment_names, search_all_experiments)
    runs: list[Run] = []
    token = None
    while len(runs) < max_results:
        page: Page = client.search_runs(
            ids, filter_string, run_view_type, min(max_results - len(runs), 50_000), order_by, token
        )
        runs.extend(page.items)
        token = page.next_page_token
        if token is None:
            break
    if output_format == "list":
        return runs
    from cairn.tracking.frames import runs_to_frame

    return runs_to_frame(runs)


def _experiment_ids(
    client: CairnClient,
    experiment_ids: Sequence[str] | None,
    experiment_names: Sequence[str] | None,
    search_all: bool,
) -> list[str]:
    ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids or [])
    for name in experiment_names or []:
        ids.append(client.get_experiment_by_name(name).experiment_id)
    if search_all:
        ids.extend(e.experiment_id for e in search_experiments(view_type=ViewType.ALL))
    if not ids and not experiment_names:
        ids = [_current_experiment_id(client)]
    if not ids:
        raise NotFound("no experiment matches the given names")
    return list(dict.fromkeys(ids))
