"""Dataset routes of the native API: dataset names, their versions and the runs that read them.

Both answers are narrowed to the experiments the caller may read (with ``--auth``), so a
dataset only someone else's runs read does not exist for the caller.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cairn.server.auth.visibility import visible_experiment_ids
from cairn.server.deps import StoreDep
from cairn.server.v1.model_io_schemas import DatasetInputOut
from cairn.store.rest import wire

router = APIRouter(prefix="/datasets", tags=["datasets"])


class DatasetSummaryOut(BaseModel):
    name: str
    versions: int
    runs: int
    last_used: int


class DatasetList(BaseModel):
    items: list[DatasetSummaryOut]


class DatasetUseOut(BaseModel):
    run_id: str
    run_name: str
    experiment_id: str
    start_time: int
    context: str | None


class DatasetVersionOut(BaseModel):
    dataset: DatasetInputOut
    uses: list[DatasetUseOut]


class DatasetVersions(BaseModel):
    name: str
    versions: list[DatasetVersionOut]


def _narrowed(request: Request, wanted: list[str] | None) -> list[str] | None:
    visible = visible_experiment_ids(request)
    if wanted is None:
        return None if visible is None else sorted(visible)
    return wanted if visible is None else [e for e in wanted if e in visible]


ExperimentIds = Annotated[list[str] | None, Query(max_length=1000)]


@router.get("", response_model=DatasetList)
def list_datasets(
    request: Request,
    store: StoreDep,
    experiment_ids: ExperimentIds = None,
    name_like: str | None = None,
    max_results: Annotated[int, Query(ge=1, le=50_000)] = 1000,
) -> JSONResponse:
    """Dataset names that runs read, with version and run counts, most recently used first."""
    found = store.datasets.list_datasets(_narrowed(request, experiment_ids), name_like, max_results)
    return JSONResponse({"items": [wire.dataset_summary_out(d) for d in found]})


@router.get("/by-name", response_model=DatasetVersions)
def get_dataset(
    request: Request, store: StoreDep, name: str, experiment_ids: ExperimentIds = None
) -> JSONResponse:
    """Every version of one dataset with the runs that read it, newest first."""
    versions = store.datasets.get_dataset(name, _narrowed(request, experiment_ids))
    return JSONResponse({"name": name, "versions": [wire.dataset_version_out(v) for v in versions]})


class DigestVersions(BaseModel):
    digest: str
    versions: list[DatasetVersionOut]


@router.get("/by-digest", response_model=DigestVersions)
def get_dataset_versions(
    request: Request, store: StoreDep, digest: str, experiment_ids: ExperimentIds = None
) -> JSONResponse:
    """The versions whose digest starts with ``digest``, with the runs that logged each."""
    versions = store.datasets.get_dataset_versions(digest, _narrowed(request, experiment_ids))
    return JSONResponse(
        {"digest": digest, "versions": [wire.dataset_version_out(v) for v in versions]}
    )
