"""Run input/output routes of the native API, and the bulk reads that describe many runs at
once (their inputs/outputs, their latest metric points)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from cairn.entities import DatasetInput, ModelOutput
from cairn.server.deps import StoreDep
from cairn.server.v1 import model_io_schemas as m
from cairn.server.v1 import schemas as s
from cairn.store.rest import wire

router = APIRouter(prefix="/runs", tags=["runs"])

DONE = {"ok": True}


@router.post("/io", response_model=m.RunIOMap)
def get_runs_io(body: m.RunIds, store: StoreDep) -> JSONResponse:
    """The inputs and outputs of many runs (runs with none map to empty lists)."""
    found = store.run_io.get_runs_io(body.run_ids)
    return JSONResponse({"items": {r: wire.run_io_out(io) for r, io in found.items()}})


@router.post("/latest-metrics", response_model=m.LatestMetrics)
def get_latest_metrics(body: m.RunIds, store: StoreDep) -> JSONResponse:
    """The latest point of every metric of many runs, with its step and timestamp."""
    found = store.runs.get_latest_metrics(body.run_ids)
    return JSONResponse(
        {
            "items": {
                run_id: {key: wire.metric_out(point) for key, point in metrics.items()}
                for run_id, metrics in found.items()
            }
        }
    )


@router.get("/{run_id}/io", response_model=m.RunIOOut)
def get_run_io(run_id: str, store: StoreDep) -> JSONResponse:
    """A run's inputs and outputs."""
    return JSONResponse(wire.run_io_out(store.run_io.get_run_io(run_id)))


@router.post("/{run_id}/inputs", response_model=s.Done)
def log_inputs(run_id: str, body: m.LogInputs, store: StoreDep) -> JSONResponse:
    """Record datasets and logged models a run read."""
    datasets = [
        DatasetInput(d.name, d.digest, d.source_type, d.source, d.dataset_schema, d.profile, d.tags)
        for d in body.datasets
    ]
    store.run_io.log_inputs(run_id, datasets, body.models)
    return JSONResponse(DONE)


@router.post("/{run_id}/outputs", response_model=s.Done)
def log_outputs(run_id: str, body: m.LogOutputs, store: StoreDep) -> JSONResponse:
    """Record logged models a run produced."""
    store.run_io.log_outputs(run_id, [ModelOutput(o.model_id, o.step) for o in body.models])
    return JSONResponse(DONE)
