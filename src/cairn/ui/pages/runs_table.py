"""The runs table: of one experiment (``/experiments/{id}``) and across experiments (``/runs``).

Filtering, sorting and paging happen in the store (``search_runs``, ``count_runs``); the
state lives in the query string (:mod:`cairn.ui.runs_view`). htmx asks for the table alone
(``HX-Target: runs-view``); a filter that does not parse answers with its message alone,
retargeted under the filter box, so the rows already shown stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from cairn.entities import Experiment, Run
from cairn.errors import InvalidFilter, NotFound, PermissionDenied
from cairn.server.auth.visibility import visible_experiment_ids
from cairn.server.deps import StoreDep
from cairn.store import Store
from cairn.store.search import encode_page_token, parse_filter
from cairn.ui import runs_view as rv
from cairn.ui.readable import readable_experiments
from cairn.ui.templating import environment, render

router = APIRouter()

FRAGMENT_TARGET = "runs-view"


@dataclass
class RunsTable:
    """One page of runs and what the table needs to show it."""

    view: rv.RunsView
    runs: list[Run]
    total: int
    columns: tuple[rv.Column, ...]
    keys: dict[str, list[str]]
    filter_error: str = ""
    unfiltered: bool = False  # the filter did not parse: these rows ignore it

    @property
    def pages(self) -> int:
        """How many pages the runs fill."""
        return rv.page_count(self.total, self.view.per_page)

    @property
    def first(self) -> int:
        """The position of this page's first run (1-based; 0 when there is none)."""
        return self.view.offset + 1 if self.runs else 0

    @property
    def last(self) -> int:
        """The position of this page's last run."""
        return self.view.offset + len(self.runs)

    def columns_of(self, kind: str) -> list[rv.Column]:
        """The chosen columns of one kind, in order."""
        return [c for c in self.columns if c.kind == kind]


def load_table(store: Store, experiment_ids: list[str], view: rv.RunsView) -> RunsTable:
    """The page of runs ``view`` asks for; a filter that does not parse is reported, and the
    runs are then shown without it."""
    filter_error = ""
    filter_string: str | None = view.filter or None
    try:
        parse_filter(filter_string)
    except InvalidFilter as err:
        filter_error, filter_string = err.message, None
    token = encode_page_token(view.offset) if view.offset else None
    page = store.runs.search_runs(
        experiment_ids,
        filter_string,
        view.view_type,
        view.per_page,
        view.order.store_order_by(),
        token,
    )
    total = store.runs.count_runs(experiment_ids, filter_string, view.view_type)
    runs = list(page.items)
    columns = view.columns if view.columns is not None else rv.default_columns(runs)
    return RunsTable(
        view,
        runs,
        total,
        columns,
        rv.available_keys(runs, columns),
        filter_error=filter_error,
        unfiltered=bool(filter_error),
    )


def _readable(request: Request, experiment_id: str) -> bool:
    visible = visible_experiment_ids(request)
    return visible is None or experiment_id in visible


def _filter_error_answer(message: str) -> HTMLResponse:
    """The filter's error alone, put under the filter box; the table is left as it was."""
    html = environment().get_template("fragments/filter_error.html").render(message=message)
    return HTMLResponse(
        html,
        headers={
            "HX-Retarget": "#filter-error",
            "HX-Reswap": "innerHTML",
            "HX-Push-Url": "false",
            "Cache-Control": "no-store",
        },
    )


def _answer(
    request: Request, table: RunsTable, base_path: str, **context: Any
) -> HTMLResponse | Response:
    fragment = request.headers.get("hx-target") == FRAGMENT_TARGET and not request.headers.get(
        "hx-history-restore-request"
    )
    if fragment and table.filter_error:
        return _filter_error_answer(table.filter_error)
    template = "fragments/runs_view.html" if fragment else "runs.html"
    return render(request, template, table=table, base_path=base_path, **context)


@router.get("/experiments/{experiment_id}")
def experiment_runs(experiment_id: str, request: Request, store: StoreDep) -> Response:
    """The runs of one experiment."""
    experiment = store.experiments.get_experiment(experiment_id)
    if not _readable(request, experiment.experiment_id):
        raise NotFound(f"no experiment {experiment_id!r} that you may read")
    view = rv.read_view(list(request.query_params.multi_items()))
    table = load_table(store, [experiment.experiment_id], view)
    return _answer(
        request,
        table,
        f"/experiments/{experiment.experiment_id}",
        experiment=experiment,
        experiment_names={experiment.experiment_id: experiment.name},
    )


def _chosen_experiments(request: Request, store: Store, view: rv.RunsView) -> list[Experiment]:
    """The experiments the ``/runs`` page searches: those named, or every readable one."""
    visible = visible_experiment_ids(request)
    if view.experiment_ids:
        chosen = [store.experiments.get_experiment(e) for e in view.experiment_ids]
        hidden = [
            e.experiment_id
            for e in chosen
            if visible is not None and e.experiment_id not in visible
        ]
        if hidden:
            raise PermissionDenied(f"you may not read experiment {hidden[0]}")
        return chosen
    return readable_experiments(request, store)


@router.get("/runs")
def runs_across_experiments(request: Request, store: StoreDep) -> Response:
    """Runs of several experiments (``?experiments=1,2``; default: every one you may read)."""
    view = rv.read_view(list(request.query_params.multi_items()), cross_experiments=True)
    experiments = _chosen_experiments(request, store, view)
    ids = [e.experiment_id for e in experiments]
    table = (
        load_table(store, ids, view) if ids else RunsTable(view, [], 0, (), rv.available_keys([]))
    )
    return _answer(
        request,
        table,
        "/runs",
        experiment=None,
        experiments=experiments,
        experiment_names={e.experiment_id: e.name for e in experiments},
    )
