"""The pipeline pages: ``/pipelines`` lists pipeline runs (runs tagged ``cairn.run.kind`` =
``pipeline``) of every experiment the caller may read, newest first, with their stage counts;
``/pipelines/{run_id}`` draws one run's ``pipeline.json`` (the stage graph, each stage coloured
by its status and linked to its own run) above a table of the stages.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cairn.entities import Run, ViewType
from cairn.errors import ArtifactError, InvalidInput, NotFound
from cairn.server.deps import StoreDep
from cairn.server.v1.artifact_runs import open_run_files
from cairn.store import Store
from cairn.ui import nav
from cairn.ui.pipeline_graph import STATUS_COLOURS, PipelineView, parse_document, seconds
from cairn.ui.readable import readable_experiments, readable_run
from cairn.ui.templating import render

router = APIRouter()
nav.register("Pipelines", "/pipelines", order=40)

KIND_TAG = "cairn.run.kind"
PIPELINE_FILTER = f"tags.`{KIND_TAG}` = 'pipeline'"
COUNT_PREFIX = "cairn.pipeline."  # cairn.pipeline.<status> = how many stages ended so
PIPELINE_ARTIFACT = "pipeline.json"
MAX_DOCUMENT = 8 * 1024 * 1024
PER_PAGE = 50


def stage_counts(run: Run) -> dict[str, int]:
    """``{status: stages}`` from the tags a finished pipeline run carries, in legend order."""
    tags = run.data.tags
    return {
        status: int(tags[COUNT_PREFIX + status])
        for status in STATUS_COLOURS
        if tags.get(COUNT_PREFIX + status, "").isdigit()
    }


@router.get("/pipelines")
def pipelines_page(request: Request, store: StoreDep, page_token: str | None = None) -> Response:
    """Pipeline runs across the experiments the caller may read, newest first."""
    experiments = readable_experiments(request, store)
    runs: list[Run] = []
    next_token = None
    if experiments:
        found = store.runs.search_runs(
            [e.experiment_id for e in experiments],
            PIPELINE_FILTER,
            ViewType.ACTIVE_ONLY,
            PER_PAGE,
            ["attributes.start_time DESC"],
            page_token or None,
        )
        runs, next_token = list(found.items), found.next_page_token
    return render(
        request,
        "pipelines.html",
        runs=runs,
        experiment_names={e.experiment_id: e.name for e in experiments},
        counts={run.info.run_id: stage_counts(run) for run in runs},
        colours=STATUS_COLOURS,
        next_token=next_token,
        first_page=not page_token,
    )


def read_document(store: Store, run: Run) -> tuple[Any, str]:
    """The run's ``pipeline.json`` parsed, or ``(None, why not)``."""
    files = open_run_files(store, run.info.run_id)
    _, full = files.locate(PIPELINE_ARTIFACT, file=True)
    try:
        with files.files.fs.open(full, "rb") as handle:
            raw = handle.read(MAX_DOCUMENT + 1)
    except FileNotFoundError:
        return None, "This run has no pipeline.json yet: it is written when the pipeline starts."
    except OSError as exc:
        raise ArtifactError(
            f"reading pipeline.json of run {run.info.run_id} failed: {exc}"
        ) from exc
    if len(raw) > MAX_DOCUMENT:
        return None, "This run's pipeline.json is too large to draw."
    try:
        return json.loads(raw), ""
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"This run's pipeline.json is not valid JSON ({exc})."


@router.get("/pipelines/{run_id}")
def pipeline_page(request: Request, store: StoreDep, run_id: str) -> Response:
    """One pipeline run: its stage graph coloured by status, and the table of stages."""
    run = readable_run(request, store, run_id)
    if run.data.tags.get(KIND_TAG) != "pipeline":
        raise NotFound(
            f"run {run.info.run_id} is not a pipeline run; open it at /runs/{run.info.run_id}"
        )
    experiment = store.experiments.get_experiment(run.info.experiment_id)
    document, problem = read_document(store, run)
    view: PipelineView | None = None
    if document is not None:
        try:
            view = parse_document(document)
        except InvalidInput as exc:
            problem = f"This run's {exc.message}."
    return render(
        request,
        "pipeline.html",
        run=run,
        experiment=experiment,
        view=view,
        problem=problem,
        chart=view.chart_data() if view else None,
        seconds=seconds,
    )
