"""The experiments page: every experiment you may read, with run counts and last activity.

Creating, renaming, deleting and restoring call the JSON API from the browser
(``static/js/experiments.js``), so the API's permission checks apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cairn.entities import Experiment, LifecycleStage, ViewType
from cairn.server.auth.visibility import visible_experiment_ids
from cairn.server.deps import StoreDep
from cairn.store import Store
from cairn.ui.templating import render

router = APIRouter()

SORTS = {
    "name": lambda row: row.experiment.name.lower(),
    "id": lambda row: int(row.experiment.experiment_id),
    "runs": lambda row: row.runs,
    "activity": lambda row: row.last_activity or 0,
    "created": lambda row: row.experiment.creation_time or 0,
}
DEFAULT_SORT = "-activity"


@dataclass(frozen=True, slots=True)
class ExperimentRow:
    """An experiment with how many active runs it holds and when it last changed."""

    experiment: Experiment
    runs: int
    last_activity: int | None

    @property
    def deleted(self) -> bool:
        """Whether the experiment is soft-deleted."""
        return self.experiment.lifecycle_stage == LifecycleStage.DELETED.value


def readable_experiments(
    request: Request, store: Store, view_type: ViewType = ViewType.ACTIVE_ONLY
) -> list[Experiment]:
    """Every experiment in ``view_type`` the caller may read."""
    visible = visible_experiment_ids(request)
    found: list[Experiment] = []
    token = None
    while True:
        page = store.experiments.search_experiments(view_type, max_results=1000, page_token=token)
        found.extend(e for e in page.items if visible is None or e.experiment_id in visible)
        token = page.next_page_token
        if not token:
            return found


def experiment_row(store: Store, experiment: Experiment) -> ExperimentRow:
    """The experiment's active-run count and its last activity (latest run start or change)."""
    runs = store.runs.count_runs([experiment.experiment_id])
    latest = store.runs.search_runs([experiment.experiment_id], max_results=1, run_view_type="all")
    times = [t for t in (experiment.last_update_time, experiment.creation_time) if t is not None]
    if latest.items:
        info = latest.items[0].info
        times.extend(t for t in (info.start_time, info.end_time) if t is not None)
    return ExperimentRow(experiment, runs, max(times) if times else None)


def sorted_rows(rows: list[ExperimentRow], sort: str) -> tuple[list[ExperimentRow], str]:
    """Rows in the order ``sort`` names (``-`` first for descending), and the sort applied."""
    key = sort.lstrip("-")
    if key not in SORTS:
        sort, key = DEFAULT_SORT, DEFAULT_SORT.lstrip("-")
    return sorted(rows, key=SORTS[key], reverse=sort.startswith("-")), sort


def page_url(show_deleted: bool, q: str, sort: str) -> str:
    """The experiments page with these settings (defaults left out of the query)."""
    items = [("show", "all")] if show_deleted else []
    items += [("q", q)] if q else []
    items += [("sort", sort)] if sort != DEFAULT_SORT else []
    return "/experiments" + ("?" + urlencode(items) if items else "")


@router.get("/")
def home() -> RedirectResponse:
    """The start page is the experiments list."""
    return RedirectResponse("/experiments", status_code=307)


@router.get("/experiments")
def experiments_page(
    request: Request, store: StoreDep, show: str = "active", q: str = "", sort: str = DEFAULT_SORT
) -> Response:
    """Experiments with run counts and last activity; ``?show=all`` adds the deleted ones."""
    view_type = ViewType.ALL if show == "all" else ViewType.ACTIVE_ONLY
    found = readable_experiments(request, store, view_type)
    needle = q.strip().lower()
    total = len(found)
    if needle:
        found = [e for e in found if needle in e.name.lower() or needle == e.experiment_id]
    rows, sort = sorted_rows([experiment_row(store, e) for e in found], sort)
    show_deleted, q = view_type is ViewType.ALL, q.strip()

    def link(show: bool = show_deleted, q: str = q, sort: str = sort) -> str:
        return page_url(show, q, sort)

    return render(
        request,
        "experiments.html",
        rows=rows,
        total=total,
        show_deleted=show_deleted,
        q=q,
        sort=sort,
        link=link,
    )
