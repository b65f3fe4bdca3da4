"""Audit routes of the native API beyond reading events: verify the chain on the server's
database, export it as streamed JSON lines, and keep head signatures (what
:class:`cairn.store.rest.audit.RestAuditRepository` calls). Admins only (see the auth rules):
the trail names every user and payload."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from cairn.errors import InvalidInput
from cairn.server.deps import StoreDep
from cairn.store.base import Store
from cairn.store.rest import wire

router = APIRouter(tags=["audit"])
JSON_LINES = "application/x-ndjson"


class RecordedEvent(BaseModel):
    entity: str
    action: str
    payload: dict[str, Any]


class ModelEvent(BaseModel):
    action: str
    payload: dict[str, Any]


class Signature(BaseModel):
    seq: int
    hash: str
    public_key: str
    signature: str


@router.get("/audit/verify")
def verify_chain(store: StoreDep) -> JSONResponse:
    """Recompute every hash of the chain and compare the run rows with it."""
    report = store.audit.verify_chain()
    found = asdict(report)
    return JSONResponse(found)


@router.get("/audit/export")
def export_events(store: StoreDep) -> StreamingResponse:
    """Every event in order with its full payload text, one JSON object per line."""
    events = store.audit.export_events()

    def lines() -> Iterator[bytes]:
        for event in events:
            yield (json.dumps(asdict(event), ensure_ascii=False) + "\n").encode("utf-8")

    return StreamingResponse(lines(), media_type=JSON_LINES)


@router.post("/audit/events")
def record_event(body: RecordedEvent, store: StoreDep) -> JSONResponse:
    """Append an event written by a feature outside the store (admins: any entity)."""
    event = store.audit.record(body.entity, body.action, body.payload)
    return JSONResponse(wire.audit_event_out(event))


@router.post("/audit/registered-models/{name}/events")
def record_model_event(name: str, body: ModelEvent, store: StoreDep) -> JSONResponse:
    """Append an event about one registered model (whoever may edit the model)."""
    event = store.audit.record(f"registered_model:{name}", body.action, body.payload)
    return JSONResponse(wire.audit_event_out(event))


@router.get("/audit/signatures")
def list_signatures(store: StoreDep) -> JSONResponse:
    """Stored head signatures, newest first."""
    return JSONResponse({"items": [asdict(s) for s in store.audit.signatures()]})


@router.post("/audit/signatures")
def add_signature(body: Signature, store: StoreDep) -> JSONResponse:
    """Store a signature of the head ``(seq, hash)``: only one that verifies with its key and
    names an event's real hash (a server keeps no signature it cannot check)."""
    _check_signature(store, body)
    store.audit.add_signature(body.seq, body.hash, body.public_key, body.signature, store.actor)
    return JSONResponse({"seq": body.seq, "hash": body.hash})


def _check_signature(store: Store, body: Signature) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from cairn.audit.signing import head_message

    found = store.audit.list_events(after_seq=max(body.seq - 1, 0), limit=1)
    if not found or found[0].seq != body.seq or found[0].hash != body.hash:
        raise InvalidInput(
            f"event {body.seq} does not have hash {body.hash[:12]}: sign the current head "
            "(cairn audit sign reads it from the server)"
        )
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(body.public_key))
        key.verify(bytes.fromhex(body.signature), head_message(body.seq, body.hash))
    except (ValueError, InvalidSignature):
        raise InvalidInput(
            "the signature does not verify with the given Ed25519 public key (hex)"
        ) from None
