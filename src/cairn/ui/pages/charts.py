"""The JSON the metric charts draw: one metric of one run, or of several runs for the compare
page, thinned on the server to at most :data:`MAX_POINTS` points per series.

A chart asks for about as many points as it is wide; when the user zooms in it asks again
for the visible range only (``lo``..``hi`` on the step or time axis), which comes back at
full resolution once the range holds few enough points. Thinning keeps each bucket's lowest
and highest point (:func:`cairn.store.downsample.downsample`), so spikes survive.
"""

from __future__ import annotations

import bisect
import math
from array import array
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from cairn.entities import MetricHistory, Run
from cairn.errors import InvalidInput
from cairn.server.deps import StoreDep
from cairn.store import Store
from cairn.store.downsample import MIN_POINTS, downsample
from cairn.ui.readable import readable_run, readable_runs

router = APIRouter()

DEFAULT_POINTS = 1000
MAX_POINTS = 2000
MAX_COMPARED = 50
AXES = ("step", "time")


def check_points(points: int) -> int:
    """``points`` if within MIN_POINTS..MAX_POINTS; InvalidInput naming the range otherwise."""
    if not MIN_POINTS <= points <= MAX_POINTS:
        raise InvalidInput(
            f"points must be between {MIN_POINTS} and {MAX_POINTS}, got {points}; "
            f"a chart needs about one point per pixel of its width"
        )
    return points


def check_range(x: str, lo: int | None, hi: int | None) -> None:
    """InvalidInput for an unknown axis or a range whose start lies after its end."""
    if x not in AXES:
        raise InvalidInput(f"x must be one of {', '.join(AXES)}, got {x!r}")
    if lo is not None and hi is not None and lo > hi:
        raise InvalidInput(f"the range starts after it ends (lo={lo} > hi={hi}); swap them")


def in_range(history: MetricHistory, x: str, lo: int | None, hi: int | None) -> MetricHistory:
    """The points whose step (or time) lies in ``lo..hi``, plus one neighbour on each side so
    that the line runs on to the edges of the chart."""
    if lo is None and hi is None:
        return history
    low = -math.inf if lo is None else lo
    high = math.inf if hi is None else hi
    if x == "step":  # histories are in step order
        start = bisect.bisect_left(history.steps, low)
        stop = bisect.bisect_right(history.steps, high)
        return history[max(start - 1, 0) : stop + 1]
    inside = [i for i, t in enumerate(history.timestamps) if low <= t <= high]
    if not inside:
        return history[0:0]
    chosen = ([inside[0] - 1] if inside[0] > 0 else []) + inside
    if inside[-1] + 1 < len(history):
        chosen.append(inside[-1] + 1)
    return MetricHistory(
        history.key,
        array("q", (history.steps[i] for i in chosen)),
        array("q", (history.timestamps[i] for i in chosen)),
        array("d", (history.values[i] for i in chosen)),
    )


def series(
    store: Store, run: Run, key: str, points: int, x: str, lo: int | None, hi: int | None
) -> dict[str, Any]:
    """One run's metric as chart columns; values JSON cannot hold (NaN, inf) become gaps."""
    history = store.runs.get_metric_history(run.info.run_id, key)
    visible = in_range(history, x, lo, hi)
    shown = downsample(visible, points)
    return {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name,
        "key": key,
        "steps": shown.steps.tolist(),
        "timestamps": shown.timestamps.tolist(),
        "values": [v if math.isfinite(v) else None for v in shown.values],
        "total": len(history),
        "in_range": len(visible),
        "downsampled": len(shown) < len(visible),
    }


@router.get("/runs/{run_id}/series")
def run_series(
    request: Request,
    store: StoreDep,
    run_id: str,
    key: str = Query(min_length=1),
    points: int = DEFAULT_POINTS,
    x: str = "step",
    lo: int | None = None,
    hi: int | None = None,
) -> JSONResponse:
    """A metric of a run, thinned to ``points``, optionally only the range ``lo..hi`` of ``x``."""
    check_points(points)
    check_range(x, lo, hi)
    run = readable_run(request, store, run_id)
    return JSONResponse(series(store, run, key, points, x, lo, hi))


def parse_run_ids(raw: str) -> list[str]:
    """Comma-separated run ids, in order, without repeats; InvalidInput beyond MAX_COMPARED."""
    ids = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if len(ids) > MAX_COMPARED:
        raise InvalidInput(
            f"{len(ids)} runs given; compare at most {MAX_COMPARED} at a time "
            "(narrow the selection with a filter)"
        )
    return ids


@router.get("/compare/series")
def compare_series(
    request: Request,
    store: StoreDep,
    runs: str = Query(min_length=1),
    key: str = Query(min_length=1),
    points: int = DEFAULT_POINTS,
    x: str = "step",
    lo: int | None = None,
    hi: int | None = None,
) -> JSONResponse:
    """A metric of several runs (at most 50), one series per run that has it."""
    check_points(points)
    check_range(x, lo, hi)
    found, missing = readable_runs(request, store, parse_run_ids(runs))
    if missing:
        raise InvalidInput(f"no run with id {missing[0]!r}; remove it from runs=")
    drawn = [series(store, run, key, points, x, lo, hi) for run in found]
    return JSONResponse({"key": key, "series": [s for s in drawn if s["total"]]})
