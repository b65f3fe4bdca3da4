"""What an MLflow import will do, worked out before its first write.

:func:`plan_import` reads the source's experiments and runs and what earlier imports of the
same source left in cairn (found by the ``cairn.import.*`` tags), matches each MLflow
experiment to a cairn one, orders runs parents first, counts what cannot be copied yet, and
refuses (InvalidState) when a run would have to go into an experiment deleted in cairn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cairn.entities import Experiment, LifecycleStage, Run
from cairn.errors import InvalidState, NotFound, did_you_mean
from cairn.tracking.client import CairnClient
from cairn.tracking.mlflow_source import MlflowSource

__all__ = ["Plan", "PlannedExperiment", "PlannedRun", "plan_import"]

SOURCE_TAG = "cairn.import.source"
RUN_ID_TAG = "cairn.import.run_id"
EXPERIMENT_ID_TAG = "cairn.import.experiment_id"
COMPLETE_TAG = "cairn.import.complete"
MLFLOW_PARENT_TAG = "mlflow.parentRunId"
DELETED = LifecycleStage.DELETED.value


@dataclass
class PlannedExperiment:
    """An MLflow experiment and the cairn experiment that receives its runs."""

    source: Any  # mlflow.entities.Experiment
    target: Experiment | None  # the cairn experiment, when it exists
    ours: bool  # created by an import of this source: its lifecycle follows MLflow's
    target_id: str | None = None

    @property
    def deleted_in_mlflow(self) -> bool:
        """Whether MLflow has the experiment deleted."""
        return bool(self.source.lifecycle_stage == DELETED)


@dataclass
class PlannedRun:
    """An MLflow run and the copy an earlier import made of it, if any."""

    source: Any  # mlflow.entities.Run
    experiment: PlannedExperiment
    copy: Run | None  # the cairn run an earlier import made

    @property
    def complete(self) -> bool:
        """Whether an earlier import copied all of the run."""
        return self.copy is not None and self.copy.data.tags.get(COMPLETE_TAG) == "true"

    @property
    def deleted_alone(self) -> bool:
        """Deleted in MLflow, and not deleted in cairn together with its experiment."""
        deleted = self.source.info.lifecycle_stage == DELETED or self.experiment.deleted_in_mlflow
        return deleted and not (self.experiment.ours and self.experiment.deleted_in_mlflow)

    @property
    def label(self) -> str:
        """'experiment / run', for progress."""
        return f"{self.experiment.source.name} / {self.source.info.run_name}"


@dataclass
class Plan:
    """Everything an import does, in order."""

    experiments: list[PlannedExperiment]
    runs: list[PlannedRun]  # parents before children
    copies: dict[str, Run]  # MLflow run id -> the cairn run an earlier import made
    leftovers: dict[str, int]  # what cannot be copied yet -> how many


def plan_import(source: MlflowSource, client: CairnClient, names: Sequence[str]) -> Plan:
    """What to import and what earlier imports copied; InvalidState if it cannot be written."""
    chosen = _select(source.experiments(), names)
    copies = _imported_runs(client, source.recorded)
    exps = [PlannedExperiment(e, *_target(client, source.recorded, e)) for e in chosen]
    runs = [
        PlannedRun(r, exp, copies.get(r.info.run_id))
        for exp in exps
        for r in sorted(source.runs(exp.source.experiment_id), key=lambda r: r.info.start_time or 0)
    ]
    for run in runs:
        target = run.experiment.target
        if target is not None and target.lifecycle_stage == DELETED and not run.complete:
            raise InvalidState(
                f"experiment {target.name!r} (id {target.experiment_id}) is deleted in cairn, but "
                f"MLflow's experiment {run.experiment.source.name!r} has runs to copy into it; "
                f"restore it (cairn experiments restore {target.experiment_id}) or purge it "
                "(cairn gc), then import again"
            )
    leftovers = {
        "registered_models": source.count_registered_models(),
        "logged_models": source.count_logged_models([e.experiment_id for e in chosen]),
        "dataset_inputs": sum(len(run.source.inputs.dataset_inputs) for run in runs),
    }
    return Plan(exps, _parents_first(runs), copies, leftovers)


def _select(found: list[Any], names: Sequence[str]) -> list[Any]:
    if not names:
        return found
    by_name = {e.name: e for e in found}
    for name in names:
        if name not in by_name:
            raise NotFound(
                f"the MLflow source has no experiment named {name!r}." + did_you_mean(name, by_name)
            )
    return [by_name[name] for name in dict.fromkeys(names)]


def _imported_runs(client: CairnClient, recorded: str) -> dict[str, Run]:
    """Runs imported from this source before, by MLflow run id (a complete copy preferred)."""
    exp_ids = [e.experiment_id for e in _all(client.search_experiments, "all")]
    flt = f"tags.`{SOURCE_TAG}` = {_quote(recorded)}"
    copies: dict[str, Run] = {}
    for run in _all(client.search_runs, exp_ids, flt, "all"):
        key = run.data.tags.get(RUN_ID_TAG)
        old = copies.get(key) if key else None
        if key and (old is None or run.data.tags.get(COMPLETE_TAG) == "true"):
            copies[key] = run
    return copies


def _target(client: CairnClient, recorded: str, exp: Any) -> tuple[Experiment | None, bool]:
    """The cairn experiment for an MLflow one: made by an import of it, else of the same name."""
    flt = (
        f"tags.`{SOURCE_TAG}` = {_quote(recorded)} AND "
        f"tags.`{EXPERIMENT_ID_TAG}` = {_quote(exp.experiment_id)}"
    )
    made = client.search_experiments("all", 1, flt).items
    if made:
        return made[0], True
    return client.find_experiment_by_name(exp.name), False


def _parents_first(runs: list[PlannedRun]) -> list[PlannedRun]:
    by_id = {run.source.info.run_id: run for run in runs}
    ordered: list[PlannedRun] = []
    seen: set[str] = set()
    for run in runs:
        chain: list[PlannedRun] = []
        current: PlannedRun | None = run
        while current is not None and current.source.info.run_id not in seen:
            seen.add(current.source.info.run_id)
            chain.append(current)
            current = by_id.get(current.source.data.tags.get(MLFLOW_PARENT_TAG, ""))
        ordered.extend(reversed(chain))
    return ordered


# -- helpers ---------------------------------------------------------------------------------


def _all(search: Callable[..., Any], *args: Any) -> list[Any]:
    """Every item of a paged cairn search."""
    found: list[Any] = []
    token = None
    while True:
        page = search(*args, max_results=1000, page_token=token)
        found.extend(page.items)
        token = page.next_page_token
        if not token:
            return found


def _quote(text: str) -> str:
    """A string literal of the search grammar."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
