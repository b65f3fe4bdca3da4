"""The store reads of a lineage walk, each batched over a frontier and cached for the walk.

Everything the caller may not read comes back as absent (a run of an experiment outside
:class:`~cairn.lineage.visibility.Visibility`, one the server refuses, one that does not
exist), so the builder draws it as a hidden node.
"""

from __future__ import annotations

from collections.abc import Sequence

from cairn.entities import (
    DatasetVersion,
    ModelVersion,
    Monitor,
    MonitorAlert,
    MonitorWindow,
    Run,
    RunIO,
    ViewType,
)
from cairn.errors import NotFound, PermissionDenied
from cairn.lineage.facts import PARENT_TAGS, monitor_targets
from cairn.lineage.refs import Ref
from cairn.lineage.visibility import Visibility
from cairn.store import Store

CHUNK = 100  # ids per IN (...) query
MAX_ALERTS = 20  # newest alerts shown per monitor
MAX_VERSIONS = 1000  # model versions registered from one hop's runs


def _quoted(ids: Sequence[str]) -> str:
    return ", ".join(f"'{i}'" for i in ids)  # ids are checked hex: nothing to escape


class Sources:
    """Cached, visibility-aware reads for one walk."""

    def __init__(self, store: Store, visibility: Visibility) -> None:
        self.store = store
        self.visibility = visibility
        self.versions: dict[str, ModelVersion] = {}  # model node id -> version
        self._runs: dict[str, Run | None] = {}
        self._experiment: dict[str, str] = {}
        self._digests: dict[str, list[DatasetVersion]] = {}
        self._monitors: list[Monitor] | None = None
        self._windows: dict[tuple[str, int], MonitorWindow | None] = {}

    def hint(self, run_id: str, experiment_id: str) -> None:
        """Note the experiment of a run, so that reading it can be batched."""
        self._experiment.setdefault(run_id, experiment_id)

    def known_run(self, run_id: str) -> Run | None:
        """A run read already (None if hidden or never read)."""
        return self._runs.get(run_id)

    def runs(self, run_ids: Sequence[str]) -> dict[str, Run | None]:
        """The readable runs among ``run_ids`` (None for the others): one search per 100
        runs of known experiments, one ``get_run`` for each run of an unknown experiment."""
        wanted = [r for r in dict.fromkeys(run_ids) if r not in self._runs]
        hinted = [r for r in wanted if r in self._experiment]
        for start in range(0, len(hinted), CHUNK):
            chunk = hinted[start : start + CHUNK]
            experiments = sorted({self._experiment[r] for r in chunk})
            visible = [e for e in experiments if self.visibility.run(e)]
            if not visible:
                continue
            try:
                page = self.store.runs.search_runs(
                    visible,
                    f"attributes.run_id IN ({_quoted(chunk)})",
                    run_view_type=ViewType.ALL,
                    max_results=len(chunk),
                )
            except PermissionDenied:
                continue  # a server refusing one experiment: read these runs one by one
            for run in page.items:
                self._runs[run.info.run_id] = run
        for run_id in wanted:
            if run_id not in self._runs:
                self._runs[run_id] = self._get_run(run_id)
        return {r: self._runs[r] for r in run_ids}

    def _get_run(self, run_id: str) -> Run | None:
        try:
            run = self.store.runs.get_run(run_id)
        except (NotFound, PermissionDenied):
            return None
        return run if self.visibility.run(run.info.experiment_id) else None

    def runs_io(self, run_ids: Sequence[str]) -> dict[str, RunIO]:
        """Inputs and outputs of the readable runs among ``run_ids``, in one call."""
        readable = [r for r in run_ids if self._runs.get(r) is not None]
        return self.store.run_io.get_runs_io(readable) if readable else {}

    def stages_of(self, pipeline: Run) -> list[Run]:
        """The stage runs of a pipeline run (its children)."""
        found: list[Run] = []
        for tag in PARENT_TAGS:
            page = self.store.runs.search_runs(
                [pipeline.info.experiment_id],
                f"tags.`{tag}` = '{pipeline.info.run_id}'",
                run_view_type=ViewType.ALL,
            )
            found += [r for r in page.items if r.info.run_id not in {f.info.run_id for f in found}]
        for run in found:
            self._runs.setdefault(run.info.run_id, run)
        return sorted(found, key=lambda r: (r.info.start_time, r.info.run_id))

    def by_digest(self, digest: str, missing_ok: bool = False) -> list[DatasetVersion]:
        """Dataset versions whose digest starts with ``digest``, with their uses."""
        if digest not in self._digests:
            try:
                self._digests[digest] = self.store.datasets.get_dataset_versions(
                    digest, self.visibility.experiment_filter()
                )
            except NotFound:
                if not missing_ok:
                    raise
                self._digests[digest] = []
        return self._digests[digest]

    def by_name(self, name: str) -> list[DatasetVersion]:
        """Every version of a dataset name."""
        return self.store.datasets.get_dataset(name, self.visibility.experiment_filter())

    def model_version(self, ref: Ref) -> ModelVersion:
        """The version a ``models:/`` ref names; NotFound when the caller may not read it."""
        if not self.visibility.model(ref.name):
            raise NotFound(f"no registered model is named {ref.name!r}")
        if ref.alias:
            return self.store.registry.get_model_version_by_alias(ref.name, ref.alias)
        return self.store.registry.get_model_version(ref.name, ref.version)

    def registered_from(self, run_ids: Sequence[str]) -> list[ModelVersion]:
        """Model versions whose source run is one of ``run_ids``."""
        found: list[ModelVersion] = []
        for start in range(0, len(run_ids), CHUNK):
            chunk = run_ids[start : start + CHUNK]
            token = None
            while len(found) < MAX_VERSIONS:
                page = self.store.registry.search_model_versions(
                    f"run_id IN ({_quoted(chunk)})", max_results=CHUNK, page_token=token
                )
                found += page.items
                token = page.next_page_token
                if not token:
                    break
        return sorted(found, key=lambda v: (v.name, v.version))

    def monitors_of(self, version: ModelVersion) -> list[Monitor]:
        """Monitors whose model reference covers ``version``."""
        if self._monitors is None:
            self._monitors = self.store.monitors.list_monitors()
        return [m for m in self._monitors if monitor_targets(m, version)]

    def alerts_of(self, monitor: str) -> list[tuple[MonitorAlert, MonitorWindow | None]]:
        """The newest alerts of a monitor with the window each judged."""
        found = []
        for alert in self.store.monitors.list_alerts(monitor, MAX_ALERTS):
            key = (monitor, alert.window_id)
            if key not in self._windows:
                try:
                    self._windows[key] = self.store.monitors.get_window(monitor, alert.window_id)
                except NotFound:
                    self._windows[key] = None
            found.append((alert, self._windows[key]))
        return found
