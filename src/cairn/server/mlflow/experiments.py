"""MLflow's experiment endpoints: ``/api/2.0/mlflow/experiments/*``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from cairn.entities import ViewType
from cairn.errors import InvalidPath
from cairn.server.auth.visibility import visible_experiment_ids
from cairn.server.deps import StoreDep
from cairn.server.mlflow import convert
from cairn.server.mlflow import schemas as s
from cairn.server.mlflow.paging import visible_page
from cairn.server.mlflow.route import MlflowJsonRoute
from cairn.server.paths import checked_artifact_path
from cairn.store import Store

router = APIRouter(prefix="/experiments", route_class=MlflowJsonRoute)

EMPTY: dict[str, object] = {}
MAX_EXPERIMENTS = 1000  # what MLflow's client asks for when it names no limit


@router.post("/create")
def create_experiment(body: s.CreateExperiment, store: StoreDep) -> JSONResponse:
    """Create an experiment; its artifacts go under the server's root unless located."""
    experiment_id = store.experiments.create_experiment(
        body.name,
        _location(store, body.artifact_location),
        {tag.key: tag.value for tag in body.tags},
    )
    return JSONResponse({"experiment_id": experiment_id})


@router.get("/get")
def get_experiment(query: Annotated[s.ExperimentRef, Query()], store: StoreDep) -> JSONResponse:
    """One experiment by id."""
    found = store.experiments.get_experiment(query.experiment_id)
    return JSONResponse({"experiment": convert.experiment(found)})


@router.get("/get-by-name")
def get_experiment_by_name(
    query: Annotated[s.GetExperimentByName, Query()], store: StoreDep
) -> JSONResponse:
    """One experiment by name (active or deleted)."""
    found = store.experiments.get_experiment_by_name(query.experiment_name)
    return JSONResponse({"experiment": convert.experiment(found)})


@router.post("/search")
def search_experiments(
    body: s.SearchExperiments, request: Request, store: StoreDep
) -> JSONResponse:
    """A page of the experiments the caller may see."""
    return _search(body, request, store)


@router.get("/search")
def search_experiments_get(
    query: Annotated[s.SearchExperiments, Query()], request: Request, store: StoreDep
) -> JSONResponse:
    """A page of the experiments the caller may see (query-string form)."""
    return _search(query, request, store)


@router.post("/update")
def update_experiment(body: s.UpdateExperiment, store: StoreDep) -> JSONResponse:
    """Rename an experiment."""
    store.experiments.rename_experiment(body.experiment_id, body.new_name)
    return JSONResponse(EMPTY)


@router.post("/delete")
def delete_experiment(body: s.ExperimentRef, store: StoreDep) -> JSONResponse:
    """Soft-delete an experiment and its runs."""
    store.experiments.delete_experiment(body.experiment_id)
    return JSONResponse(EMPTY)


@router.post("/restore")
def restore_experiment(body: s.ExperimentRef, store: StoreDep) -> JSONResponse:
    """Restore a deleted experiment and the runs deleted with it."""
    store.experiments.restore_experiment(body.experiment_id)
    return JSONResponse(EMPTY)


@router.post("/set-experiment-tag")
def set_experiment_tag(body: s.SetExperimentTag, store: StoreDep) -> JSONResponse:
    """Set (or overwrite) an experiment tag."""
    store.experiments.set_experiment_tag(body.experiment_id, body.key, body.value)
    return JSONResponse(EMPTY)


def _search(message: s.SearchExperiments, request: Request, store: Store) -> JSONResponse:
    page = visible_page(
        lambda max_results, token: store.experiments.search_experiments(
            ViewType.parse(message.view_type or "ACTIVE_ONLY"),
            max_results,
            message.filter,
            message.order_by,
            token,
        ),
        lambda experiment: experiment.experiment_id,
        visible_experiment_ids(request),
        message.max_results if message.max_results is not None else MAX_EXPERIMENTS,
        message.page_token,
    )
    return JSONResponse(
        convert.compact(
            {
                "experiments": [convert.experiment(e) for e in page.items],
                "next_page_token": page.next_page_token,
            }
        )
    )


def _location(store: Store, location: str | None) -> str | None:
    """An ``mlflow-artifacts:`` location as the place under the server's root it names."""
    if not location or not location.startswith("mlflow-artifacts:"):
        return location or None
    rel = checked_artifact_path(urlsplit(location).path.lstrip("/"))
    if not rel:
        raise InvalidPath(f"artifact location {location!r} names no folder under the proxy")
    return f"{store.default_artifact_root.rstrip('/')}/{rel}"
