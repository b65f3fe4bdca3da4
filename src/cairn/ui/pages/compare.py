"""The compare page, ``/compare?runs=a,b,c``: 2-50 runs side by side.

A params diff (differences highlighted, ``diff=1`` hides the rest), the latest metrics, one
overlaid chart per chosen metric (``metrics=``), parallel coordinates of chosen params
(``pc=``) against a metric (``pcm=``), and a scatter of any two values (``sx=``, ``sy=``, each
``param:<key>`` or ``metric:<key>``). Input the page cannot use (one run, more than 50, an id
that names no run the user may read) is explained on the page itself.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cairn.entities import Run
from cairn.server.deps import StoreDep
from cairn.ui import compare_view as cv
from cairn.ui.pages.run import chart_state
from cairn.ui.readable import readable_runs
from cairn.ui.templating import render

router = APIRouter()


def problems_with(ids: list[str], missing: list[str], found: list[Run]) -> list[str]:
    """What keeps the page from comparing the runs asked for, in words a user can act on."""
    problems = []
    if len(ids) > cv.MAX_RUNS:
        problems.append(
            f"{len(ids)} runs were given; compare at most {cv.MAX_RUNS} at a time "
            "(narrow the runs table with a filter, then select again)."
        )
    for run_id in missing:
        problems.append(f"There is no run {run_id!r} (or you may not read it); it is left out.")
    if len(ids) <= cv.MAX_RUNS and len(found) < cv.MIN_RUNS:
        have = "no run" if not found else "only one run"
        problems.append(
            f"Comparing needs at least {cv.MIN_RUNS} runs and {have} can be shown; "
            "select two or more runs in a runs table and press Compare."
        )
    return problems


@router.get("/compare")
def compare_page(
    request: Request,
    store: StoreDep,
    runs: str = "",
    metrics: str | None = None,
    pc: str | None = None,
    pcm: str | None = None,
    sx: str | None = None,
    sy: str | None = None,
    diff: str | None = None,
    x: str = "step",
    smooth: float = 0.0,
    log: bool = False,
) -> Response:
    """Runs compared: params diff, metrics, overlaid charts, parallel coordinates, scatter."""
    state = chart_state(None, x, smooth, log)
    ids = list(dict.fromkeys(p.strip() for p in runs.split(",") if p.strip()))
    found: list[Run] = []
    missing: list[str] = []
    if len(ids) <= cv.MAX_RUNS:
        found, missing = readable_runs(request, store, ids)
    problems = problems_with(ids, missing, found)
    if len(found) < cv.MIN_RUNS:
        return render(
            request,
            "compare.html",
            status_code=400 if ids else 200,
            problems=problems if ids else [],
            compared=[],
        )
    compared = cv.labelled(found)
    params = cv.diff_rows(found, "params")
    metric_rows = cv.diff_rows(found, "metrics")
    query = {"metrics": metrics, "pc": pc, "pcm": pcm, "sx": sx, "sy": sy, "diff": diff}
    chosen = cv.choices(params, metric_rows, query, x=state.x, smooth=state.smooth, log=state.log)
    if chosen.ignored:
        problems.append(
            "Not found in these runs, so left out: "
            + ", ".join(repr(name) for name in chosen.ignored)
            + "."
        )
    return render(
        request,
        "compare.html",
        problems=problems,
        compared=compared,
        params=params,
        metric_rows=metric_rows,
        chosen=chosen,
        data=cv.chart_data(compared, params, metric_rows),
        runs_param=",".join(r.run_id for r in compared),
    )
