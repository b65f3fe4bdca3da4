"""The run page, ``/runs/{run_id}``: overview, metric charts, system metrics, artifacts.

The tab and the charts' settings live in the query string (``?tab=metrics&metric=loss&x=time
&smooth=0.6&log=1``) so that every view can be linked to. Description and tags are changed
from the browser through the JSON API (``/api/v1/runs/{id}/batch`` and ``.../tags/delete``),
where permissions are checked; this module only reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cairn.entities import LifecycleStage, Run
from cairn.errors import InvalidInput, NotFound
from cairn.server.auth.visibility import visible_experiment_ids
from cairn.server.deps import StoreDep
from cairn.store import Store
from cairn.store.sql.auth import Permission
from cairn.tracking.inputs import describe_dataset_input
from cairn.ui import run_facts
from cairn.ui.lineage_view import lineage_view
from cairn.ui.markdown import render_markdown
from cairn.ui.pages.artifacts import browse, browse_url
from cairn.ui.readable import readable_run
from cairn.ui.templating import render

router = APIRouter()

TABS = ("overview", "metrics", "system", "artifacts")
X_MODES = ("step", "time", "relative")
SYSTEM_PREFIX = "system/"
MAX_SMOOTHING = 0.99
MAX_CHILDREN = 100


@dataclass(frozen=True)
class ChartState:
    """How the charts are drawn: which metric alone (or all), x axis, smoothing, log scale."""

    metric: str | None = None
    x: str = "step"
    smooth: float = 0.0
    log: bool = False

    def query(self, tab: str, **changes: Any) -> str:
        """The query string of this state on ``tab``, with ``changes`` applied."""
        state = replace(self, **changes)
        items: dict[str, Any] = {"tab": tab}
        if state.metric:
            items["metric"] = state.metric
        if state.x != "step":
            items["x"] = state.x
        if state.smooth:
            items["smooth"] = f"{state.smooth:g}"
        if state.log:
            items["log"] = "1"
        return "?" + urlencode(items)


def chart_state(metric: str | None, x: str, smooth: float, log: bool) -> ChartState:
    """The checked chart settings; InvalidInput names the setting that is off and its range."""
    if x not in X_MODES:
        raise InvalidInput(f"x must be one of {', '.join(X_MODES)}, got {x!r}")
    if not (math.isfinite(smooth) and 0 <= smooth <= MAX_SMOOTHING):
        raise InvalidInput(f"smooth must be between 0 and {MAX_SMOOTHING}, got {smooth}")
    return ChartState(metric or None, x, smooth, log)


@dataclass(frozen=True)
class MetricRow:
    """A metric's latest point and the range of its values."""

    key: str
    value: float
    step: int
    timestamp: int
    low: float | None
    high: float | None
    points: int


def metric_rows(store: Store, run: Run, ranges: bool = True) -> list[MetricRow]:
    """Every metric of the run, by key: latest value and step, and (``ranges``, which reads
    every history) the lowest and highest value and the number of points."""
    latest = store.runs.get_latest_metrics([run.info.run_id]).get(run.info.run_id, {})
    rows = []
    for key in sorted(latest):
        point = latest[key]
        low = high = None
        points = 0
        if ranges:
            values = store.runs.get_metric_history(run.info.run_id, key).values
            finite = [v for v in values if math.isfinite(v)]
            low, high = (min(finite), max(finite)) if finite else (None, None)
            points = len(values)
        rows.append(MetricRow(key, point.value, point.step, point.timestamp, low, high, points))
    return rows


def _lineage(request: Request, store: Store, run: Run) -> tuple[Any, str | None, list[Run], bool]:
    """The parent run (None if not visible), its id, and the first MAX_CHILDREN children."""
    parent_id = run.data.tags.get(run_facts.PARENT_TAG)
    parent = None
    if parent_id:
        try:
            parent = readable_run(request, store, parent_id)
        except NotFound:
            parent = None
    visible = visible_experiment_ids(request)
    children: list[Run] = []
    more = False
    if visible is None or run.info.experiment_id in visible:
        page = store.runs.search_runs(
            [run.info.experiment_id],
            f"tags.`{run_facts.PARENT_TAG}` = '{run.info.run_id}'",
            max_results=MAX_CHILDREN,
            order_by=["attributes.start_time ASC"],
        )
        children, more = list(page.items), page.next_page_token is not None
    return parent, parent_id, children, more


def can_edit(request: Request, run: Run) -> bool:
    """Whether the caller may change the run's tags and description (an active run only)."""
    if run.info.lifecycle_stage != LifecycleStage.ACTIVE.value:
        return False
    access = getattr(request.state, "access", None)
    return access is None or access.allows(("experiment", run.info.experiment_id), Permission.EDIT)


@router.get("/runs/{run_id}")
def run_page(
    request: Request,
    store: StoreDep,
    run_id: str,
    tab: str = "overview",
    metric: str | None = None,
    x: str = "step",
    smooth: float = 0.0,
    log: bool = False,
    path: str | None = None,
) -> Response:
    """A run: overview, metrics, system metrics or artifacts (``tab``)."""
    if tab not in TABS:
        raise InvalidInput(f"tab must be one of {', '.join(TABS)}, got {tab!r}")
    state = chart_state(metric, x, smooth, log)
    run = readable_run(request, store, run_id)
    experiment = store.experiments.get_experiment(run.info.experiment_id)
    rows = metric_rows(store, run, ranges=tab == "overview")
    parent, parent_id, children, more_children = _lineage(request, store, run)
    description, note_tags = run_facts.description(run)
    return render(
        request,
        "run.html",
        run=run,
        experiment=experiment,
        tab=tab,
        state=state,
        overview=run_facts.overview(run),
        description=description,
        description_html=render_markdown(description) if description else "",
        user_tags=run_facts.user_tags(run),
        params=sorted(run.data.params.items()),
        metrics=[r for r in rows if not r.key.startswith(SYSTEM_PREFIX)],
        system_metrics=[r for r in rows if r.key.startswith(SYSTEM_PREFIX)],
        parent=parent,
        parent_id=parent_id,
        children=children,
        more_children=more_children,
        browser=browse(store, run, path) if tab == "artifacts" else None,
        browse_url=browse_url,
        note_tag=run_facts.NOTE_TAG,
        note_tags=note_tags,
        can_edit=can_edit(request, run),
        graph=lineage_view(request, store, run.info.run_id) if tab == "overview" else None,
        datasets=[describe_dataset_input(d) for d in store.run_io.get_run_io(run_id).datasets]
        if tab == "overview"
        else [],
    )


@router.get("/runs/{run_id}/artifacts")
def artifacts_page(
    request: Request, store: StoreDep, run_id: str, path: str | None = None
) -> Response:
    """The run page on its Artifacts tab, opened at ``path`` (a folder or a file)."""
    return run_page(request, store, run_id, tab="artifacts", path=path)
