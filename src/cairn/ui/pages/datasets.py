"""The data pages: every dataset runs have read, and per dataset its versions with the runs
that read each one (lineage from data to results).

Both come from the store's dataset repository narrowed to the experiments the caller may
read, so a dataset only other people's runs used does not appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cairn.entities import DatasetVersion
from cairn.server.auth.visibility import visible_experiment_ids
from cairn.server.deps import StoreDep
from cairn.tracking.inputs import describe_dataset_input
from cairn.ui import nav
from cairn.ui.lineage_view import lineage_view
from cairn.ui.templating import render

router = APIRouter()
nav.register("Data", "/datasets", order=30)


def _readable(request: Request) -> list[str] | None:
    visible = visible_experiment_ids(request)
    return None if visible is None else sorted(visible)


@dataclass(frozen=True, slots=True)
class VersionView:
    """A dataset version as the page shows it: the stored version and its described facts."""

    version: DatasetVersion
    facts: dict[str, Any]


@router.get("/datasets")
def datasets_page(request: Request, store: StoreDep, q: str = "") -> Response:
    """Dataset names with their version and run counts, most recently used first."""
    needle = q.strip()
    pattern = f"%{needle}%" if needle else None
    found = store.datasets.list_datasets(_readable(request), pattern)
    return render(request, "datasets.html", datasets=found, q=needle)


@router.get("/datasets/{name:path}")
def dataset_page(name: str, request: Request, store: StoreDep) -> Response:
    """One dataset: each version (hash, path, size, rows, columns) and the runs that read it."""
    versions = store.datasets.get_dataset(name, _readable(request))
    views = [VersionView(v, describe_dataset_input(v.to_dataset_input())) for v in versions]
    used_in = {use.experiment_id for v in versions for use in v.uses}
    experiments = {e: store.experiments.get_experiment(e).name for e in used_in}
    graph = lineage_view(request, store, f"dataset:{name}")
    return render(
        request, "dataset.html", name=name, versions=views, experiments=experiments, graph=graph
    )
