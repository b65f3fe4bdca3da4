"""What the compare page shows of 2-50 runs: a params diff, latest metrics, and the choices of
its charts (overlaid metrics, parallel coordinates, scatter), all from the query string.

Pure: :mod:`cairn.ui.pages.compare` reads the runs and renders what this builds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cairn.config import parse_flag
from cairn.entities import Run

MIN_RUNS = 2
MAX_RUNS = 50
DEFAULT_CHARTS = 4
DEFAULT_AXES = 6
SYSTEM_PREFIX = "system/"
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
)  # fmt: skip


@dataclass(frozen=True)
class ComparedRun:
    """A run as the page names and colours it."""

    run: Run
    label: str
    color: str

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.run.info.run_id


@dataclass(frozen=True)
class DiffRow:
    """One param (or metric) across the runs; ``differs`` when not every run has one value."""

    key: str
    values: list[Any]
    differs: bool


@dataclass(frozen=True)
class Choices:
    """The chart settings the query string holds (already checked against the runs' keys)."""

    metrics: list[str]
    pc_params: list[str]
    pc_metric: str | None
    scatter_x: str | None
    scatter_y: str | None
    only_diff: bool = False
    x: str = "step"
    smooth: float = 0.0
    log: bool = False
    ignored: list[str] = field(default_factory=list)  # names asked for that no run has


def labelled(runs: Sequence[Run]) -> list[ComparedRun]:
    """The runs with unique labels and colours: a name shared by several runs gets the
    shortest id prefix (at least 6 characters) that tells them apart."""
    names = [r.info.run_name or r.info.run_id[:8] for r in runs]
    labels = list(names)
    for name in set(names):
        sharing = [i for i, n in enumerate(names) if n == name]
        if len(sharing) < 2:
            continue
        ids = [runs[i].info.run_id for i in sharing]
        width = next(w for w in range(6, 33) if len({run_id[:w] for run_id in ids}) == len(ids))
        for i, run_id in zip(sharing, ids, strict=True):
            labels[i] = f"{name} ({run_id[:width]})"
    return [
        ComparedRun(run, label, PALETTE[i % len(PALETTE)])
        for i, (run, label) in enumerate(zip(runs, labels, strict=True))
    ]


def diff_rows(runs: Sequence[Run], kind: str) -> list[DiffRow]:
    """``params`` or ``metrics`` (latest values, not system ones) of every run, by key."""
    tables = [getattr(r.data, kind) for r in runs]
    keys = sorted({k for table in tables for k in table if not k.startswith(SYSTEM_PREFIX)})
    rows = []
    for key in keys:
        values = [table.get(key) for table in tables]
        distinct = {_same_key(v) for v in values}
        rows.append(DiffRow(key, values, len(distinct) > 1))
    return rows


def _same_key(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def is_numeric(values: Sequence[Any]) -> bool:
    """Whether every present value reads as a finite number (and at least one is present)."""
    present = [v for v in values if v is not None]
    if not present:
        return False
    for value in present:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        if not math.isfinite(number):
            return False
    return True


def _listed(raw: str | None) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in (raw or "").split(",") if p.strip()))


def choices(
    params: list[DiffRow],
    metrics: list[DiffRow],
    query: dict[str, str | None],
    *,
    x: str = "step",
    smooth: float = 0.0,
    log: bool = False,
) -> Choices:
    """The charts' settings from the query (``metrics``, ``pc``, ``pcm``, ``sx``, ``sy``,
    ``diff``), defaulting to the metrics most runs share and the params that differ."""
    metric_keys = [r.key for r in metrics]
    param_keys = [r.key for r in params]
    ignored: list[str] = []

    def known(names: list[str], allowed: list[str]) -> list[str]:
        ignored.extend(n for n in names if n not in allowed)
        return [n for n in names if n in allowed]

    by_coverage = sorted(metrics, key=lambda r: -sum(v is not None for v in r.values))
    chosen = known(_listed(query.get("metrics")), metric_keys) if query.get("metrics") else None
    if chosen is None:
        chosen = sorted(r.key for r in by_coverage[:DEFAULT_CHARTS])
    pc = known(_listed(query.get("pc")), param_keys) if query.get("pc") else None
    if pc is None:
        differing = [r.key for r in params if r.differs] or param_keys
        pc = differing[:DEFAULT_AXES]
    pc_metric = _one(query.get("pcm"), metric_keys, ignored) or (chosen[0] if chosen else None)
    axes = [f"param:{k}" for k in param_keys] + [f"metric:{k}" for k in metric_keys]
    numeric_params = [f"param:{r.key}" for r in params if r.differs and is_numeric(r.values)]
    scatter_x = _one(query.get("sx"), axes, ignored) or next(
        iter(numeric_params + [f"param:{k}" for k in pc]), None
    )
    default_y = f"metric:{pc_metric}" if pc_metric else next(iter(axes), None)
    scatter_y = _one(query.get("sy"), axes, ignored) or default_y
    return Choices(
        chosen,
        pc,
        pc_metric,
        scatter_x,
        scatter_y,
        only_diff=parse_flag(query.get("diff")) is True,
        x=x,
        smooth=smooth,
        log=log,
        ignored=ignored,
    )


def _one(raw: str | None, allowed: list[str], ignored: list[str]) -> str | None:
    if not raw:
        return None
    if raw in allowed:
        return raw
    ignored.append(raw)
    return None


def chart_data(
    runs: Sequence[ComparedRun], params: list[DiffRow], metrics: list[DiffRow]
) -> dict[str, Any]:
    """What compare.js draws from: the runs' params and latest metrics, and the param types."""
    return {
        "runs": [
            {
                "id": r.run_id,
                "label": r.label,
                "color": r.color,
                "start": r.run.info.start_time,
                "params": r.run.data.params,
                "metrics": {
                    k: (v if math.isfinite(v) else None)
                    for k, v in r.run.data.metrics.items()
                    if not k.startswith(SYSTEM_PREFIX)
                },
            }
            for r in runs
        ],
        "params": [r.key for r in params],
        "metrics": [r.key for r in metrics],
        "numeric_params": [r.key for r in params if is_numeric(r.values)],
    }
