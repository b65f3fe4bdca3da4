"""Runs as the signed-in user may see them: a run of an experiment they may not read does not
exist for them (NotFound, as an unknown id), so a page never tells that it is there.

Pages and chart data of single runs use these rather than a rule on the run, which would
answer a refusal naming the run's experiment.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request

from cairn.entities import Experiment, Run, ViewType
from cairn.errors import InvalidInput, NotFound
from cairn.server.auth.visibility import visible_experiment_ids
from cairn.store import Store
from cairn.store.validation import validate_run_id


def readable_run(request: Request, store: Store, run_id: str) -> Run:
    """The run ``run_id`` names; NotFound if it does not exist or the caller may not read it."""
    try:
        checked = validate_run_id(run_id)
    except InvalidInput as exc:
        raise NotFound(f"no run {run_id!r}: {exc.message}") from exc
    run = store.runs.get_run(checked)
    visible = visible_experiment_ids(request)
    if visible is not None and run.info.experiment_id not in visible:
        raise NotFound(f"no run with id {checked!r}")
    return run


def readable_runs(
    request: Request, store: Store, run_ids: Sequence[str]
) -> tuple[list[Run], list[str]]:
    """The runs the caller may read, in the order given, and the ids that found none."""
    found: list[Run] = []
    missing: list[str] = []
    for run_id in run_ids:
        try:
            found.append(readable_run(request, store, run_id))
        except NotFound:
            missing.append(run_id)
    return found, missing


def readable_experiments(request: Request, store: Store) -> list[Experiment]:
    """Every active experiment the caller may read."""
    visible = visible_experiment_ids(request)
    found: list[Experiment] = []
    token = None
    while True:
        page = store.experiments.search_experiments(
            ViewType.ACTIVE_ONLY, max_results=1000, page_token=token
        )
        found.extend(e for e in page.items if visible is None or e.experiment_id in visible)
        token = page.next_page_token
        if not token:
            return found
