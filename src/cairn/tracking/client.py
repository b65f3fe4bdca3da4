"""``CairnClient``: the tracking API with explicit ids (MLflow's ``MlflowClient`` shape)."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import blake3

from cairn import config
from cairn.artifacts.base import Artifacts
from cairn.artifacts.paths import file_facts, iter_local_files
from cairn.entities import (
    DatasetInput,
    DatasetSummary,
    DatasetVersion,
    Experiment,
    FileInfo,
    Metric,
    MetricHistory,
    Page,
    Param,
    Run,
    RunInfo,
    RunIO,
    RunStatus,
    RunTag,
    ViewType,
)
from cairn.errors import InvalidInput
from cairn.security.guard import check_path
from cairn.store import Store, open_store
from cairn.tracking.inputs import SupportsDatasetInput, as_dataset_input

_STORES: dict[tuple[str, str | None], Store] = {}


def _shared_store(uri: str, artifact_root: str | None) -> Store:
    """One store per (URI, artifact root) per process: engines and pools are reused."""
    key = (uri, artifact_root)
    if key not in _STORES:
        _STORES[key] = open_store(uri, artifact_root=artifact_root)
    return _STORES[key]


def close_shared_stores() -> None:
    """Dispose every cached store (tests, and before forking)."""
    while _STORES:
        _, store = _STORES.popitem()
        store.close()


class CairnClient:
    """Tracking with explicit experiment and run ids; every call is synchronous."""

    def __init__(self, tracking_uri: str | None = None) -> None:
        self.settings = config.resolve(tracking_uri)
        self.tracking_uri = self.settings.tracking_uri
        if self.settings.embedded:
            config.ensure_cairn_dir(self.settings.project_root)
        self.store = _shared_store(self.tracking_uri, self.settings.artifact_root)

    @property
    def spool_dir(self) -> Path:
        """Where this store's spool files live."""
        tag = blake3.blake3(self.tracking_uri.encode()).hexdigest()[:12]
        return self.settings.spool_dir / tag

    # -- experiments --------------------------------------------------------------------------

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
    ) -> str:
        """Create an experiment; return its id."""
        return self.store.experiments.create_experiment(
            name, artifact_location, {k: str(v) for k, v in (tags or {}).items()}
        )

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with that id."""
        return self.store.experiments.get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment:
        """The experiment with that name; NotFound (with suggestions) otherwise."""
        return self.store.experiments.get_experiment_by_name(name)

    def find_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with that name, or None."""
        return self.store.experiments.find_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        """A page of experiments."""
        return self.store.experiments.search_experiments(
            view_type, max_results, filter_string, order_by, page_token
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment."""
        self.store.experiments.rename_experiment(experiment_id, new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs."""
        self.store.experiments.delete_experiment(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment and the runs deleted with it."""
        self.store.experiments.restore_experiment(experiment_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set an experiment tag."""
        self.store.experiments.set_experiment_tag(experiment_id, key, str(value))

    # -- runs ---------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
        parent_run_id: str | None = None,
        user_id: str | None = None,
    ) -> Run:
        """Create a RUNNING run."""
        return self.store.runs.create_run(
            experiment_id,
            user_id=user_id if user_id is not None else self.store.actor,
            start_time=start_time,
            tags={k: str(v) for k, v in (tags or {}).items()},
            run_name=run_name,
            parent_run_id=parent_run_id,
        )

    def get_run(self, run_id: str) -> Run:
        """The run with its latest metrics, params and tags."""
        return self.store.runs.get_run(run_id)

    def update_run(
        self, run_id: str, status: str | None = None, name: str | None = None
    ) -> RunInfo:
        """Change a run's status or name."""
        return self.store.runs.update_run_info(run_id, status=status, run_name=name)

    def set_terminated(
        self, run_id: str, status: str = "FINISHED", end_time: int | None = None
    ) -> RunInfo:
        """End a run with a terminal status."""
        st = RunStatus.parse(status)
        if not st.is_terminal:
            raise InvalidInput(f"set_terminated needs FINISHED, FAILED or KILLED, got {status!r}")
        return self.store.runs.update_run_info(run_id, status=st.value, end_time=end_time)

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""
        self.store.runs.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        """Restore a deleted run."""
        self.store.runs.restore_run(run_id)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str | None = None,
        run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        """A page of runs matching the filter grammar."""
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        return self.store.runs.search_runs(
            ids, filter_string, run_view_type, max_results, order_by, page_token
        )

    # -- logging ------------------------------------------------------------------------------

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
    ) -> None:
        """Append one metric point."""
        ts = timestamp if timestamp is not None else int(time.time() * 1000)
        self.store.runs.log_metric(run_id, Metric(key, value, ts, step or 0))

    def log_param(self, run_id: str, key: str, value: Any) -> None:
        """Log a param (immutable once logged)."""
        self.store.runs.log_param(run_id, Param(key, _as_text(value)))

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        """Set a tag (a later value overwrites)."""
        self.store.runs.set_tag(run_id, RunTag(key, _as_text(value)))

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag."""
        self.store.runs.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Log metrics, params and tags in one transaction."""
        self.store.runs.log_batch(run_id, metrics=metrics, params=params, tags=tags)

    def get_metric_history(self, run_id: str, key: str) -> MetricHistory:
        """Every point of a metric, by step."""
        return self.store.runs.get_metric_history(run_id, key)

    # -- datasets -----------------------------------------------------------------------------

    def log_input(
        self,
        run_id: str,
        dataset: DatasetInput | SupportsDatasetInput,
        context: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> DatasetInput:
        """Record that the run read a dataset version (``cairn.data.dataset(...)`` or a
        ``DatasetInput``), in a role such as "training"; returns what was recorded."""
        recorded = as_dataset_input(dataset, context, tags)
        self.store.run_io.log_inputs(run_id, [recorded])
        return recorded

    def get_run_io(self, run_id: str) -> RunIO:
        """The datasets and logged models a run read, and the models it produced."""
        return self.store.run_io.get_run_io(run_id)

    def list_datasets(self, name_like: str | None = None) -> list[DatasetSummary]:
        """Dataset names that runs read, most recently used first."""
        return self.store.datasets.list_datasets(name_like=name_like)

    def get_dataset(self, name: str) -> list[DatasetVersion]:
        """Every version of a dataset with the runs that read it, newest first."""
        return self.store.datasets.get_dataset(name)

    # -- artifacts ----------------------------------------------------------------------------

    def artifact_store(self, run_id: str) -> Artifacts:
        """The artifact store rooted at the run's artifact URI."""
        info = self.get_run(run_id).info
        return self.store.artifact_store(info.artifact_uri, info.run_id)

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy a local file into the run's artifacts (under ``artifact_path``)."""
        check_path(local_path, f"artifact {Path(local_path).name}")  # sensitive-data policy
        rel = self.artifact_store(run_id).log_file(local_path, artifact_path)
        self.store.runs.record_artifacts(run_id, {rel: file_facts(Path(local_path))})

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy a local folder's files into the run's artifacts."""
        check_path(local_dir, f"artifacts {Path(local_dir).name}/")  # sensitive-data policy
        written = self.artifact_store(run_id).log_dir(local_dir, artifact_path)
        sources = [full for full, _ in iter_local_files(Path(local_dir))]
        facts = {rel: file_facts(full) for rel, full in zip(written, sources, strict=True)}
        self.store.runs.record_artifacts(run_id, facts)

    def log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> None:
        """Write bytes as one artifact file."""
        rel = self.artifact_store(run_id).log_bytes(data, artifact_file)
        facts = {"size": len(data), "blake3": blake3.blake3(data).hexdigest()}
        self.store.runs.record_artifacts(run_id, {rel: facts})

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Write text as an artifact file."""
        if not isinstance(text, str):
            raise InvalidInput(f"log_text needs a str, got {type(text).__name__}")
        self.log_bytes(run_id, text.encode("utf-8"), artifact_file)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Write a dict as JSON (or YAML for .yaml/.yml files)."""
        if artifact_file.endswith((".yaml", ".yml")):
            import yaml

            text = yaml.safe_dump(dictionary, sort_keys=False)
        else:
            try:
                text = json.dumps(dictionary, indent=2)
            except TypeError as exc:
                raise InvalidInput(f"log_dict: the value is not JSON-serialisable: {exc}") from exc
        self.log_text(run_id, text, artifact_file)

    def log_figure(self, run_id: str, figure: Any, artifact_file: str) -> None:
        """Save a matplotlib figure (format from the file's extension)."""
        if not hasattr(figure, "savefig"):
            raise InvalidInput(f"log_figure needs a matplotlib Figure, got {type(figure).__name__}")
        buffer = io.BytesIO()
        fmt = Path(artifact_file).suffix.lstrip(".") or "png"
        figure.savefig(buffer, format=fmt)
        self.log_bytes(run_id, buffer.getvalue(), artifact_file)

    def log_image(self, run_id: str, image: Any, artifact_file: str) -> None:
        """Save a numpy array (HxW, HxWx3, HxWx4) or PIL image as an image file."""
        from cairn.tracking.images import to_png_bytes

        self.log_bytes(run_id, to_png_bytes(image, artifact_file), artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """Files and folders directly under ``path`` in the run's artifacts."""
        return self.artifact_store(run_id).list(path)

    def download_artifacts(
        self, run_id: str, path: str | None = None, dst_path: str | os.PathLike[str] | None = None
    ) -> str:
        """Copy an artifact (file or folder) to a local folder; return the local path."""
        return str(self.artifact_store(run_id).download(path, dst_path))

    def read_artifact(self, run_id: str, path: str) -> bytes:
        """The content of one artifact file."""
        return self.artifact_store(run_id).read_bytes(path)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):
        try:
            return json.dumps(value, sort_keys=True)
        except TypeError:
            return str(value)
    return str(value)
