"""Checks of a sweep's input, and reading its target metric from the metrics files.

Everything a user can get wrong is checked before anything runs: the options, the ``--set``
keys against the params file, and the ``--optimize`` metric against the metrics files when
the workspace holds them already (otherwise after the combinations ran).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput, did_you_mean
from cairn.pipelines.outputs import read_metrics
from cairn.pipelines.params import lookup
from cairn.pipelines.sweep_grid import Space

if TYPE_CHECKING:
    from cairn.pipelines.sweep import SweepOutcome, SweepSpec

DIRECTIONS = ("max", "min")


def metric_value(by_file: Mapping[str, Mapping[str, float]], target: str) -> float | None:
    """The value of ``target`` among each metrics file's flattened metrics (a later file
    wins); ``<file stem>.<key>`` names a key of one file: ``metrics.f1`` is ``f1`` of
    ``metrics.json``."""
    value = None
    for rel, metrics in by_file.items():
        stem = Path(rel).name.rsplit(".", 1)[0]
        if target in metrics:
            value = metrics[target]
        elif target.startswith(f"{stem}.") and target[len(stem) + 1 :] in metrics:
            value = metrics[target[len(stem) + 1 :]]
    return value


def metrics_by_file(root: Path, paths: list[str]) -> dict[str, dict[str, float]]:
    """Each metrics file's flattened metrics (files that are missing give nothing)."""
    return {rel: read_metrics(root, [rel]) for rel in paths}


def merged(by_file: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """All metrics of the files, a later file winning."""
    result: dict[str, float] = {}
    for metrics in by_file.values():
        result.update(metrics)
    return result


def check_options(spec: SweepSpec, jobs: int) -> None:
    """The options must make sense together."""
    if jobs < 1:
        raise InvalidInput(f"--jobs must be at least 1, got {jobs}")
    if spec.direction not in DIRECTIONS:
        raise InvalidInput(f"--direction must be max or min, got {spec.direction!r}")
    if spec.random is not None and spec.optuna_trials is not None:
        raise InvalidInput("--random and --optuna choose combinations differently; pass one")
    if spec.optuna_trials is not None and not spec.optimize:
        raise InvalidInput("--optuna needs a metric to optimize: pass --optimize METRIC")


def check_keys(spaces: Sequence[Space], params: Mapping[str, Any], params_file: str) -> None:
    """Every ``--set`` key must name a param of the params file."""
    known = sorted(flatten_keys(params))
    for space in spaces:
        try:
            lookup(params, space.key)
        except KeyError:
            listed = ", ".join(known[:10]) or "none"
            raise InvalidInput(
                f"--set {space.key}: {params_file} has no param {space.key!r} "
                f"(it defines: {listed}).{did_you_mean(space.key, known)}"
            ) from None


def flatten_keys(params: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Every dotted key of a nested params mapping (sections and leaves)."""
    keys = []
    for key, value in params.items():
        name = f"{prefix}{key}"
        keys.append(name)
        if isinstance(value, Mapping):
            keys += flatten_keys(value, name + ".")
    return keys


def check_target_early(root: Path, metric_files: list[str], target: str) -> None:
    """When the workspace holds metrics files already, the target must be one of their keys."""
    if not metric_files:
        raise InvalidInput(
            f"--optimize {target}: no stage of the pipeline writes a metrics file; "
            "declare one under a stage's metrics:"
        )
    present = [rel for rel in metric_files if (root / rel).is_file()]
    if len(present) < len(metric_files):
        return  # not run yet: checked when the trials end
    by_file = metrics_by_file(root, metric_files)
    known = merged(by_file)
    if known and metric_value(by_file, target) is None:
        raise InvalidInput(
            f"--optimize {target}: the metrics files ({', '.join(metric_files)}) have no such "
            f"metric (they hold: {', '.join(sorted(known))}).{did_you_mean(target, list(known))}"
        )


def check_target_produced(outcome: SweepOutcome) -> None:
    """When some combinations succeeded, at least one must have produced the target."""
    target = outcome.target
    done = [t for t in outcome.trials if t.status == "ok"]
    if target and done and all(t.metric is None for t in done):
        seen = sorted({key for t in done for key in t.metrics})
        raise InvalidInput(
            f"--optimize {target}: no combination produced this metric (metrics produced: "
            f"{', '.join(seen) or 'none'}); sweep run {outcome.run_id}.{did_you_mean(target, seen)}"
        )
