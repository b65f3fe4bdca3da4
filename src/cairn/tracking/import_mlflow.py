"""Copy an MLflow tracking store into cairn, once: experiments, runs, metric histories, artifacts.

Experiments are matched by name (tags copied; one deleted in MLflow ends deleted in cairn).
Runs keep their name, user, status, start and end time, lifecycle, params, every metric point
(step and timestamp), tags and artifacts. MLflow's ``mlflow.*`` tags are kept as they are, and
those cairn has a name for are also set under it (:data:`UNDERSTOOD_TAGS`); a child run gets
its imported parent as cairn parent (parents are copied first).

Running it twice copies nothing twice. Each imported run carries ``cairn.import.source`` (the
normalised source URI) and ``cairn.import.run_id``, and ``cairn.import.complete`` once all of
it is copied. A run an interrupted import left without that mark is completed in place: params
and tags are written again (same values), each metric gets only the points past those stored
(points go out in one fixed order, in transactional batches, so what is stored is a prefix),
artifacts are uploaded again over the same paths. Experiments the import creates carry the
source and ``cairn.import.experiment_id``; their lifecycle follows MLflow's.

Registered models, MLflow 3 logged models and dataset inputs are counted and reported as not
copied until cairn has a registry, a model format and data versions (later issues): each is a
step of :meth:`_Import.leftovers` that the copying code replaces.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cairn.artifacts.paths import iter_local_files
from cairn.entities import Metric, Param, Run, RunStatus, RunTag
from cairn.tracking.client import CairnClient
from cairn.tracking.context_git import strip_credentials
from cairn.tracking.fluent import NOTE_TAG
from cairn.tracking.mlflow_plan import (
    COMPLETE_TAG,
    DELETED,
    EXPERIMENT_ID_TAG,
    MLFLOW_PARENT_TAG,
    RUN_ID_TAG,
    SOURCE_TAG,
    PlannedExperiment,
    PlannedRun,
    plan_import,
)
from cairn.tracking.mlflow_source import MlflowSource

__all__ = ["COMPLETE_TAG", "RUN_ID_TAG", "SOURCE_TAG", "Counts", "ImportReport", "import_mlflow"]

UNDERSTOOD_TAGS = {
    "mlflow.note.content": NOTE_TAG,
    "mlflow.source.name": "cairn.source.name",
    "mlflow.source.git.commit": "cairn.source.git.commit",
    "mlflow.source.git.branch": "cairn.source.git.branch",
    "mlflow.source.git.repoURL": "cairn.source.git.remote",
}
METRIC_BATCH = 5000
KEY_VALUE_BATCH = 1000
NOT_AVAILABLE = {
    "registered_models": "the registry is not available yet",
    "logged_models": "cairn's model format is not available yet",
    "dataset_inputs": "cairn's data versioning is not available yet",
}

Progress = Callable[[int, int, str], None]
"""Called with (runs done, runs in all, the run's label) before the first run and after each."""


@dataclass
class Counts:
    """Experiments, runs and their contents (``tags`` are the runs' own tags)."""

    experiments: int = 0
    runs: int = 0
    metric_points: int = 0
    params: int = 0
    tags: int = 0
    artifact_files: int = 0
    artifact_bytes: int = 0


@dataclass
class ImportReport:
    """What an import copied, found already there (``skipped``), deleted and left out."""

    source: str
    target: str
    dry_run: bool = False
    copied: Counts = field(default_factory=Counts)
    skipped: Counts = field(default_factory=Counts)
    completed_runs: int = 0  # left half-copied by an interrupted import; counted in copied
    deleted: dict[str, int] = field(default_factory=lambda: {"experiments": 0, "runs": 0})
    not_copied: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_ids: dict[str, str] = field(default_factory=dict)  # MLflow run id -> cairn run id

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)


def import_mlflow(
    source: MlflowSource,
    client: CairnClient,
    experiments: Sequence[str] = (),
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Copy what ``source`` holds (or only the named experiments) that cairn does not have yet.

    Everything is read and checked before the first write, so an unknown experiment name or an
    experiment deleted in cairn that has runs to receive changes nothing. With ``dry_run`` the
    report says what would be copied and nothing is written.
    """
    plan = plan_import(source, client, experiments)
    job = _Import(source, client, ImportReport(source.recorded, client.tracking_uri, dry_run))
    job.run_ids.update({key: run.info.run_id for key, run in plan.copies.items()})
    for exp in plan.experiments:
        job.experiment(exp)
    if progress:
        progress(0, len(plan.runs), "")
    for done, run in enumerate(plan.runs, 1):
        job.run(run)
        if progress:
            progress(done, len(plan.runs), run.label)
    for exp in plan.experiments:
        job.finish(exp)
    job.leftovers(plan.leftovers)
    return job.report


class _Import:
    """One import's writes and counts; with ``dry_run`` only the counts."""

    def __init__(self, source: MlflowSource, client: CairnClient, report: ImportReport) -> None:
        self.source = source
        self.client = client
        self.report = report
        self.dry_run = report.dry_run
        self.run_ids: dict[str, str] = {}  # MLflow run id -> cairn run id, to find parents

    def experiment(self, exp: PlannedExperiment) -> None:
        if exp.target is not None:
            self.report.skipped.experiments += 1
            exp.target_id = exp.target.experiment_id
            return
        self.report.copied.experiments += 1
        exp.ours = True
        if not self.dry_run:
            own, derived = _split_tags(exp.source.tags)
            markers = {
                SOURCE_TAG: self.source.recorded,
                EXPERIMENT_ID_TAG: exp.source.experiment_id,
            }
            tags = {**derived, **own, **markers}
            exp.target_id = self.client.create_experiment(exp.source.name, tags=tags)

    def run(self, run: PlannedRun) -> None:
        if run.complete and run.copy is not None:
            self._skip(run, run.copy)
            return
        src = run.source
        counts = self.report.copied
        counts.runs += 1
        if run.copy is not None:
            self.report.completed_runs += 1
        run_id = self._open(run)
        own, derived = _split_tags(src.data.tags)
        params = [Param(k, v) for k, v in sorted(src.data.params.items())]
        tags = [RunTag(k, v) for k, v in {**derived, **own}.items()]
        counts.params += len(params)
        counts.tags += len(own)
        writing = None if self.dry_run else run_id  # the run written to, None in a dry run
        if writing is not None:
            for chunk in _chunks(params, KEY_VALUE_BATCH):
                self.client.log_batch(writing, params=chunk)
            for chunk in _chunks(tags, KEY_VALUE_BATCH):
                self.client.log_batch(writing, tags=chunk)
        self._metrics(src, run_id, resuming=run.copy is not None)
        self._artifacts(src.info.run_id, run_id)
        if writing is not None:
            self._status(src, writing)
            self.client.set_tag(writing, COMPLETE_TAG, "true")
            self._remember(src.info.run_id, writing)
        if run.deleted_alone:
            self.report.deleted["runs"] += 1
            if writing is not None:
                self.client.delete_run(writing)

    def _open(self, run: PlannedRun) -> str | None:
        """The cairn run to write to: the half-copied one, or a new one (None in a dry run)."""
        if run.copy is not None:
            if run.copy.info.lifecycle_stage == DELETED and not self.dry_run:
                self.client.restore_run(run.copy.info.run_id)
            return run.copy.info.run_id
        if self.dry_run:
            return None
        info = run.source.info
        parent = self.run_ids.get(run.source.data.tags.get(MLFLOW_PARENT_TAG, ""))
        markers = {SOURCE_TAG: self.source.recorded, RUN_ID_TAG: info.run_id}
        created = self.client.create_run(
            run.experiment.target_id or "",
            start_time=info.start_time,
            tags=markers,
            run_name=info.run_name or None,
            parent_run_id=parent,
            user_id=info.user_id or "",
        )
        return created.info.run_id

    def _metrics(self, src: Any, run_id: str | None, resuming: bool) -> None:
        pending: list[Metric] = []
        for key in sorted(src.data.metrics):
            points = self.source.metric_history(src.info.run_id, key)
            if resuming and run_id is not None:
                points = points[len(self.client.get_metric_history(run_id, key)) :]
            self.report.copied.metric_points += len(points)
            if run_id is None or self.dry_run:
                continue
            pending.extend(points)
            while len(pending) >= METRIC_BATCH:
                self.client.log_batch(run_id, metrics=pending[:METRIC_BATCH])
                del pending[:METRIC_BATCH]
        if pending and run_id is not None:
            self.client.log_batch(run_id, metrics=pending)

    def _artifacts(self, source_run_id: str, run_id: str | None) -> None:
        counts = self.report.copied
        if self.dry_run:
            files = self.source.artifact_files(source_run_id)
            counts.artifact_files += len(files)
            counts.artifact_bytes += sum(size for _, size in files)
            return
        if run_id is None or not self.source.has_artifacts(source_run_id):
            return
        with tempfile.TemporaryDirectory(prefix="cairn-import-") as tmp:
            local = self.source.download_artifacts(source_run_id, Path(tmp))
            found = iter_local_files(local)
            self.client.log_artifacts(run_id, local)
            counts.artifact_files += len(found)
            counts.artifact_bytes += sum(path.stat().st_size for path, _ in found)

    def _status(self, src: Any, run_id: str) -> None:
        status = RunStatus.parse(src.info.status)
        if status.is_terminal:
            self.client.set_terminated(run_id, status.value, end_time=src.info.end_time)
        elif status is not RunStatus.RUNNING:
            self.client.update_run(run_id, status=status.value)

    def _skip(self, run: PlannedRun, copy: Run) -> None:
        """Count what an earlier import copied; delete it if MLflow deleted it and cairn did not."""
        copy_id = copy.info.run_id
        counts = self.report.skipped
        counts.runs += 1
        counts.params += len(run.source.data.params)
        counts.tags += len(_split_tags(run.source.data.tags)[0])
        for key in run.source.data.metrics:
            counts.metric_points += len(self.client.get_metric_history(copy_id, key))
        for size in _artifact_sizes(self.client, copy_id):
            counts.artifact_files += 1
            counts.artifact_bytes += size
        self._remember(run.source.info.run_id, copy_id)
        if run.deleted_alone and copy.info.lifecycle_stage != DELETED:
            self.report.deleted["runs"] += 1  # an import stopped between its mark and the delete
            if not self.dry_run:
                self.client.delete_run(copy_id)

    def _remember(self, source_run_id: str, run_id: str) -> None:
        self.run_ids[source_run_id] = run_id
        self.report.run_ids[source_run_id] = run_id

    def finish(self, exp: PlannedExperiment) -> None:
        """Delete an experiment the import made when MLflow has it deleted (runs follow it)."""
        active = exp.target is None or exp.target.lifecycle_stage != DELETED
        if exp.ours and exp.deleted_in_mlflow and active:
            self.report.deleted["experiments"] += 1
            if not self.dry_run and exp.target_id is not None:
                self.client.delete_experiment(exp.target_id)

    def leftovers(self, counts: dict[str, int]) -> None:
        """What cairn cannot hold yet: reported with its count, never dropped silently.

        The registry's issue replaces the ``registered_models`` entry with a step that copies
        them, mapping their versions' source runs through :attr:`run_ids`.
        """
        self.report.not_copied = {
            what: {"count": count, "reason": NOT_AVAILABLE[what]} for what, count in counts.items()
        }


# -- planning: every read and check before the first write ------------------------------------


# -- helpers -----------------------------------------------------------------------------------


def _split_tags(tags: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The source's own tags (import marks dropped) and the cairn names of those cairn knows."""
    own = {k: v for k, v in tags.items() if not k.startswith("cairn.import.")}
    derived = {cairn: own[name] for name, cairn in UNDERSTOOD_TAGS.items() if name in own}
    if "cairn.source.git.remote" in derived:
        derived["cairn.source.git.remote"] = strip_credentials(derived["cairn.source.git.remote"])
    return own, derived


def _artifact_sizes(client: CairnClient, run_id: str, path: str | None = None) -> Iterator[int]:
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            yield from _artifact_sizes(client, run_id, info.path)
        else:
            yield info.file_size or 0


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
