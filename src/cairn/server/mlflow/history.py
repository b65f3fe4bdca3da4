"""MLflow's metric history endpoint: ``/api/2.0/mlflow/metrics/get-history``, paged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from cairn.errors import InvalidInput
from cairn.server.deps import StoreDep
from cairn.server.mlflow import convert
from cairn.server.mlflow import schemas as s
from cairn.server.mlflow.route import MlflowJsonRoute
from cairn.store.search import decode_page_token, encode_page_token

router = APIRouter(prefix="/metrics", route_class=MlflowJsonRoute)


@router.get("/get-history")
def get_metric_history(
    query: Annotated[s.GetMetricHistory, Query()], store: StoreDep
) -> JSONResponse:
    """Every point of a run's metric by step, or a page of ``max_results`` points."""
    if query.max_results is not None and query.max_results < 1:
        raise InvalidInput(f"max_results must be a positive integer, got {query.max_results}")
    history = store.runs.get_metric_history(query.id, query.metric_key)
    start = decode_page_token(query.page_token)
    end = len(history) if query.max_results is None else start + query.max_results
    token = encode_page_token(end) if end < len(history) else None
    points = [convert.metric(m) for m in history[start:end]]
    return JSONResponse(convert.compact({"metrics": points, "next_page_token": token}))
