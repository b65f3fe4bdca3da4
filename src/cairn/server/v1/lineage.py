"""``GET /api/v1/lineage?ref=...``: the lineage graph of a model version, run or dataset.

The walk reads the server's store as the caller may see it: runs of experiments the caller
may not read and versions of models it may not read become hidden nodes (kind only, no
label or facts, not walked past), and dataset versions only count the caller's runs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from cairn.lineage import DEFAULT_DEPTH, MAX_DEPTH, Visibility, lineage, to_dict
from cairn.server.auth.visibility import model_reader, visible_experiment_ids
from cairn.server.deps import StoreDep

router = APIRouter(prefix="/lineage", tags=["lineage"])


def request_visibility(request: Request) -> Visibility:
    """What the caller of ``request`` may read, for :func:`cairn.lineage.lineage`."""
    visible = visible_experiment_ids(request)
    return Visibility(
        experiment_ids=None if visible is None else frozenset(visible),
        model=model_reader(request),
    )


@router.get("")
def get_lineage(
    request: Request,
    store: StoreDep,
    ref: Annotated[str, Query(min_length=1, max_length=1000)],
    depth: Annotated[int, Query(ge=0, le=MAX_DEPTH)] = DEFAULT_DEPTH,
    direction: Annotated[str, Query(pattern="^(both|upstream|downstream)$")] = "both",
) -> JSONResponse:
    """The graph upstream and/or downstream of ``ref`` within ``depth`` hops, as JSON."""
    graph = lineage(
        store, ref, depth=depth, direction=direction, visibility=request_visibility(request)
    )
    return JSONResponse(to_dict(graph))
