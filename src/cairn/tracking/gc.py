"""Garbage collection: purge soft-deleted runs and experiments and free their artifacts.

A run or experiment deleted (``delete_run``/``delete_experiment``) stays restorable until
:func:`collect_garbage` purges it: its artifact folder is removed first, then its metadata,
so a failure part-way never leaves metadata pointing at nothing worse than missing files.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from cairn.artifacts import open_artifact_store
from cairn.artifacts.base import Artifacts
from cairn.entities import Experiment, RunInfo
from cairn.errors import InvalidInput
from cairn.store.base import now_ms
from cairn.tracking.client import CairnClient

__all__ = ["GcReport", "collect_garbage", "parse_age"]

log = logging.getLogger(__name__)

_UNITS_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_age(text: str) -> int:
    """``'30d'`` as milliseconds; units s, m, h, d, w."""
    match = _AGE_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput(
            f"age {text!r} is not a duration: write a number and a unit (s, m, h, d or w), "
            "e.g. '30d', '12h' or '1.5w'"
        )
    return int(float(match.group(1)) * _UNITS_MS[match.group(2)])


@dataclass
class GcReport:
    """What a garbage collection purged (or would purge, in a dry run)."""

    run_ids: list[str] = field(default_factory=list)
    experiment_ids: list[str] = field(default_factory=list)
    bytes_freed: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)


def _size(store: Artifacts) -> int:
    return sum(info.file_size or 0 for info in store.walk())


def _run_folder(info: RunInfo) -> str:
    """The run's own folder: ``<location>/<run_id>`` when its artifacts sit in ``.../artifacts``."""
    uri = info.artifact_uri.rstrip("/")
    parent, _, last = uri.rpartition("/")
    if last == "artifacts" and parent.rpartition("/")[2] == info.run_id:
        return parent
    return uri


def _free(uri: str, dry_run: bool) -> int:
    """Remove everything under ``uri``; return the bytes it held."""
    return _empty(open_artifact_store(uri), dry_run)


def _empty(store: Artifacts, dry_run: bool) -> int:
    size = _size(store)
    if not dry_run:
        store.delete_all()
    return size


def _free_run(client: CairnClient, info: RunInfo, dry_run: bool) -> int:
    """Remove a deleted run's files: directly, or through the server's proxy when remote."""
    if client.store.remote:
        return _empty(client.store.artifact_store(info.artifact_uri, info.run_id), dry_run)
    return _free(_run_folder(info), dry_run)


def _purge_run(client: CairnClient, info: RunInfo, report: GcReport, dry_run: bool) -> None:
    # Re-read: the run may have been restored since it was listed.
    if not dry_run and client.store.runs.get_run(info.run_id).info.lifecycle_stage != "deleted":
        return
    report.bytes_freed += _free_run(client, info, dry_run)
    if not dry_run:
        client.store.runs.purge_run(info.run_id)
    report.run_ids.append(info.run_id)


def _experiment_runs(client: CairnClient, experiment_id: str) -> list[RunInfo]:
    infos: list[RunInfo] = []
    token = None
    while True:
        page = client.search_runs([experiment_id], None, "all", 50_000, None, token)
        infos.extend(run.info for run in page.items)
        token = page.next_page_token
        if token is None:
            return infos


def collect_garbage(
    client: CairnClient, older_than_ms: int | None = None, dry_run: bool = False
) -> GcReport:
    """Purge runs and experiments deleted more than ``older_than_ms`` ago (all when None)."""
    if older_than_ms is not None and older_than_ms < 0:
        raise InvalidInput(f"older_than_ms must be zero or more, got {older_than_ms}")
    cutoff = now_ms() - older_than_ms if older_than_ms is not None else None
    report = GcReport(dry_run=dry_run)
    experiments = client.store.experiments.list_deleted_experiments(cutoff)
    doomed = {e.experiment_id for e in experiments}
    for info in client.store.runs.list_deleted_runs(cutoff):
        if info.experiment_id not in doomed:
            _purge_run(client, info, report, dry_run)
    for exp in experiments:
        if not dry_run and client.get_experiment(exp.experiment_id).lifecycle_stage != "deleted":
            continue  # restored since it was listed
        infos = _experiment_runs(client, exp.experiment_id)
        report.bytes_freed += _free_experiment_files(client, exp, infos, dry_run)
        if not dry_run:
            client.store.experiments.purge_experiment(exp.experiment_id)
        report.run_ids.extend(info.run_id for info in infos)
        report.experiment_ids.append(exp.experiment_id)
    return report


def _free_experiment_files(
    client: CairnClient, exp: Experiment, infos: list[RunInfo], dry_run: bool
) -> int:
    """Remove the runs' folders, then the location unless the user chose it and it holds more."""
    location = exp.artifact_location.rstrip("/")
    if client.store.remote:
        # Only runs' files are reachable through the server; their folders go with them.
        return sum(_free_run(client, info, dry_run) for info in infos)
    freed = 0
    inside: list[str] = []
    for info in infos:
        folder = _run_folder(info)
        freed += _free(folder, dry_run)
        if folder.startswith(location + "/"):
            inside.append(folder[len(location) + 1 :] + "/")
    store = open_artifact_store(location)
    left = [f for f in store.walk() if not f.path.startswith(tuple(inside))]
    default = f"{client.store.default_artifact_root.rstrip('/')}/{exp.experiment_id}"
    if left and location != default:
        log.warning("cairn gc: kept %s: the user chose it and it holds files no run owns", location)
        return freed
    if not dry_run:
        store.delete_all()
    return freed + sum(f.file_size or 0 for f in left)
