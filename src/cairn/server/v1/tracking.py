"""Tracking routes of the native API: experiments, runs, the audit trail, the store itself."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from cairn import __version__
from cairn.server.deps import StoreDep
from cairn.server.v1 import (
    audit,
    datasets,
    experiments,
    logged_models,
    monitors,
    registry,
    run_io,
    runs,
    schedules,
)
from cairn.server.v1 import schemas as s
from cairn.store.rest import wire
from cairn.store.validation import MAX_INT64

router = APIRouter()
router.include_router(experiments.router)
router.include_router(runs.router)
router.include_router(run_io.router)
router.include_router(datasets.router)
router.include_router(logged_models.router)
router.include_router(schedules.router)
router.include_router(registry.router)
router.include_router(monitors.router)
router.include_router(audit.router)


@router.get("/store", response_model=s.StoreInfo, tags=["store"])
def store_info(store: StoreDep) -> JSONResponse:
    """What a client needs to know about the server's store."""
    return JSONResponse(
        {"default_artifact_root": store.default_artifact_root, "version": __version__}
    )


@router.get("/spools/{spool_id}", response_model=s.SpoolOffset, tags=["runs"])
def get_spool_offset(spool_id: str, store: StoreDep) -> JSONResponse:
    """How many bytes of a client's spool file the store holds already (0 if none)."""
    return JSONResponse({"spool_id": spool_id, "offset": store.runs.get_spool_offset(spool_id)})


@router.get("/audit/events", response_model=s.AuditEvents, tags=["audit"])
def list_audit_events(
    store: StoreDep,
    after_seq: int = Query(default=0, ge=0, le=MAX_INT64),
    limit: int = Query(default=1000, ge=1, le=10_000),
    entity: str | None = None,
) -> JSONResponse:
    """Audit events in sequence order after a sequence number."""
    events = store.audit.list_events(after_seq=after_seq, limit=limit, entity=entity)
    return JSONResponse({"items": [wire.audit_event_out(e) for e in events]})


@router.get("/audit/head", response_model=s.AuditHead, tags=["audit"])
def audit_head(store: StoreDep) -> JSONResponse:
    """The last sequence number and hash of the audit chain."""
    seq, digest = store.audit.head()
    return JSONResponse({"seq": seq, "hash": digest})
