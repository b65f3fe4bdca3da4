"""``cairn sweep``: run a pipeline once per combination of params, each in an isolated copy.

Every combination gets its own copy of the project (:mod:`cairn.pipelines.sweep_copy`) under
``.cairn/sweeps/<sweep id>/<n>/``, with the combination written into its params file, and
runs there through :func:`cairn.pipelines.runner.run_pipeline`, up to ``jobs`` at once; the
user's workspace is never written. A sweep is a run (tag ``cairn.run.kind=sweep``) and each
combination's pipeline run is nested under it. The target metric is read from the metrics
files the copy's stages wrote (``score.acc``, or ``metrics.score.acc`` naming the file
``metrics.json``); trials are ranked by it.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.config import CAIRN_DIR
from cairn.errors import CairnError
from cairn.pipelines.params import read_params
from cairn.pipelines.sweep_checks import (
    check_keys,
    check_options,
    check_target_early,
    check_target_produced,
    merged,
    metric_value,
    metrics_by_file,
)
from cairn.pipelines.sweep_copy import SWEEPS_DIR, make_copy, project_files
from cairn.pipelines.sweep_grid import Space, grid, parse_sets, sample
from cairn.pipelines.sweep_search import FixedSearch, OptunaSearch

KIND_TAG = "cairn.run.kind"


@dataclass
class Trial:
    """One combination: its params, its pipeline run, how it ended and its metrics."""

    index: int
    params: dict[str, Any]
    run_id: str | None = None
    status: str = "pending"  # ok | failed | error
    metric: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "index": self.index, "params": self.params, "run_id": self.run_id,
            "status": self.status, "metric": self.metric, "metrics": self.metrics,
            "error": self.error,
        }  # fmt: skip


@dataclass
class SweepOutcome:
    """A finished sweep: its id, parent run, target and trials (ranked by :meth:`ranked`)."""

    sweep_id: str
    run_id: str
    target: str | None
    direction: str
    trials: list[Trial]
    kept: Path | None = None

    def ranked(self) -> list[Trial]:
        """Trials best first by the target metric (those without it last, by index)."""
        sign = -1.0 if self.direction == "max" else 1.0
        return sorted(
            self.trials,
            key=lambda t: (t.metric is None, sign * (t.metric or 0.0), t.index),
        )

    @property
    def ok(self) -> bool:
        """Whether every combination's pipeline succeeded."""
        return all(trial.status == "ok" for trial in self.trials)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, trials ranked."""
        return {
            "sweep_id": self.sweep_id, "run_id": self.run_id, "target": self.target,
            "direction": self.direction, "ok": self.ok,
            "kept": str(self.kept) if self.kept else None,
            "trials": [trial.to_dict() for trial in self.ranked()],
        }  # fmt: skip


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep and how: the ``--set`` texts, the search and the target."""

    sets: Sequence[str]
    random: int | None = None
    optuna_trials: int | None = None
    seed: int | None = None
    optimize: str | None = None
    direction: str = "max"


def run_sweep(
    root: Path,
    spec: SweepSpec,
    targets: Sequence[str] = (),
    *,
    jobs: int = 1,
    executor: str = "local",
    keep: bool = False,
    module: str | None = None,
    experiment: str | None = None,
    tracking_uri: str | None = None,
    on_trial: Callable[[Trial, int], None] | None = None,
) -> SweepOutcome:
    """Run the sweep ``spec`` over the pipeline at ``root``; ``on_trial(trial, total)`` is
    called as each combination ends. Bad input raises before anything runs."""
    from cairn import config
    from cairn.pipelines.graph import Graph
    from cairn.pipelines.loading import load_pipeline
    from cairn.pipelines.runner import run_pipeline

    root = Path(root).resolve()
    spaces = parse_sets(spec.sets)
    check_options(spec, jobs)
    pipeline = load_pipeline(root, module)
    graph = Graph.build(pipeline)
    graph.order(list(targets) or None)
    check_keys(spaces, read_params(root, pipeline.params_file), pipeline.params_file)
    metric_files = [rel for stage in pipeline.stages.values() for rel in stage.metrics]
    if spec.optimize:
        check_target_early(root, metric_files, spec.optimize)
    search = _search(spaces, spec)
    uri = config.resolve(tracking_uri, cwd=root).tracking_uri
    sweep = _SweepRun(uri, experiment, spec, spaces, search.total)
    files = project_files(root)
    folder = root / CAIRN_DIR / SWEEPS_DIR / sweep.sweep_id
    trials: list[Trial] = []

    def run_one(trial: Trial) -> Trial:
        try:
            copy = make_copy(root, folder / str(trial.index), files, trial.params,
                             pipeline.params_file)  # fmt: skip
            outcome = run_pipeline(
                copy, targets, module=module, executor=executor, parent_run_id=sweep.run_id,
                experiment=experiment, tracking_uri=uri,
            )  # fmt: skip
            trial.run_id = outcome.run_id
            trial.status = "ok" if outcome.ok else "failed"
            failed = [s for s in outcome.stages if s.status in ("failed", "blocked")]
            trial.error = f"{failed[0].name}: {failed[0].reason}" if failed else None
            by_file = metrics_by_file(copy, metric_files)
            trial.metrics = merged(by_file)
            trial.metric = metric_value(by_file, spec.optimize) if spec.optimize else None
        except CairnError as exc:
            trial.status, trial.error = "error", exc.message
        if on_trial is not None:
            on_trial(trial, search.total)
        return trial

    # A fixed list goes to the pool at once; Optuna proposes ``jobs`` at a time, told the
    # results of a batch before proposing the next.
    size = jobs if isinstance(search, OptunaSearch) else max(search.total, 1)
    try:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="cairn-sweep") as pool:
            while batch := search.ask(size):
                start = len(trials)
                new = [Trial(start + k, combo) for k, combo in enumerate(batch)]
                trials += list(pool.map(run_one, new))
                search.tell([trial.metric for trial in new])
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
        outcome = SweepOutcome(sweep.sweep_id, sweep.run_id, spec.optimize, spec.direction,
                               trials, folder if keep else None)  # fmt: skip
        sweep.finish(outcome)
    check_target_produced(outcome)
    return outcome


def _search(spaces: list[Space], spec: SweepSpec) -> FixedSearch | OptunaSearch:
    if spec.optuna_trials is not None:
        return OptunaSearch(spaces, spec.optuna_trials, spec.direction, spec.seed)
    if spec.random is not None:
        return FixedSearch(sample(spaces, spec.random, spec.seed))
    return FixedSearch(grid(spaces))


class _SweepRun:
    """The sweep's parent run in the tracking store."""

    def __init__(
        self, uri: str, experiment: str | None, spec: SweepSpec, spaces: list[Space], total: int
    ) -> None:
        import secrets

        from cairn.tracking.client import CairnClient

        self.client = CairnClient(uri)
        self.sweep_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)
        exp_id = self._experiment_id(experiment)
        tags = {KIND_TAG: "sweep", "cairn.sweep.id": self.sweep_id,
                "cairn.sweep.search": _search_name(spec), "cairn.sweep.trials": str(total)}  # fmt: skip
        if spec.optimize:
            tags |= {"cairn.sweep.target": spec.optimize, "cairn.sweep.direction": spec.direction}
        run = self.client.create_run(exp_id, tags=tags, run_name=f"sweep-{self.sweep_id}")
        self.run_id = run.info.run_id
        for space in spaces:
            self.client.log_param(self.run_id, f"sweep.{space.key}", space.describe())

    def _experiment_id(self, name: str | None) -> str:
        """``--experiment``, else CAIRN_EXPERIMENT_ID / CAIRN_EXPERIMENT_NAME, else Default."""
        if name is None and os.environ.get("CAIRN_EXPERIMENT_ID"):
            return os.environ["CAIRN_EXPERIMENT_ID"]
        name = name or os.environ.get("CAIRN_EXPERIMENT_NAME")
        if name:
            return self.client.store.experiments.get_or_create_experiment(name).experiment_id
        return "0"

    def finish(self, outcome: SweepOutcome) -> None:
        """Record the best trial and end the run (FAILED when a combination failed)."""
        best = outcome.ranked()[0] if outcome.trials else None
        if outcome.target and best is not None and best.metric is not None:
            self.client.log_metric(self.run_id, f"best.{outcome.target}", best.metric)
            if best.run_id:
                self.client.set_tag(self.run_id, "cairn.sweep.best_run_id", best.run_id)
        complete = len(outcome.trials) > 0 and outcome.ok
        self.client.set_terminated(self.run_id, "FINISHED" if complete else "FAILED")


def _search_name(spec: SweepSpec) -> str:
    if spec.optuna_trials is not None:
        return "optuna"
    return "random" if spec.random is not None else "grid"
