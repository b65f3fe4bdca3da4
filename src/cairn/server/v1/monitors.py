"""Monitor routes of the native API (what :class:`cairn.store.rest.monitors.RestMonitorRepository`
calls). A monitor's permissions follow its registered model's (with ``--auth``): reading
needs READ on the model, writing EDIT, deleting MANAGE; listings show the monitors and alerts
of the models the caller may read. Checks and audit events happen in the store.

The reference summary and records chunks travel as octet-stream frames (see
:mod:`cairn.store.rest.monitors`), so they are bounded by the server's 64 MiB body limit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from cairn.errors import InvalidInput
from cairn.server.auth.visibility import model_reader
from cairn.server.deps import StoreDep
from cairn.store.monitor_validation import registered_model_of
from cairn.store.rest.monitors import (
    OCTETS,
    alert_out,
    chunks_frame,
    monitor_out,
    unframe,
    window_out,
)

router = APIRouter(tags=["monitors"])
MONITOR = "/monitors/{name}"
Count = Annotated[int | None, Query(ge=0, le=2**63 - 1)]
OK = {"ok": True}


class Labels(BaseModel):
    labels: list[tuple[str, str]]
    time: int


class AddWindow(BaseModel):
    start_time: int
    end_time: int
    first_seq: int
    last_seq: int
    rows: int
    labelled_rows: int
    model_version: int | None = None
    results: dict[str, Any]


class UpdateWindow(BaseModel):
    labelled_rows: int
    results: dict[str, Any]


class AddAlert(BaseModel):
    rule: str
    window_id: int
    value: float | None = None
    message: str
    actions: list[dict[str, Any]] = []


class Actions(BaseModel):
    actions: list[dict[str, Any]]


class State(BaseModel):
    value: str


def _header_field(header: dict[str, Any], key: str) -> Any:
    if key not in header:
        raise InvalidInput(f"the request's header line has no {key!r}")
    return header[key]


@router.get("/monitors")
def list_monitors(request: Request, store: StoreDep, model: str | None = None) -> JSONResponse:
    """Every monitor (of a registered model when given) the caller may read, by name."""
    readable = model_reader(request)
    found = store.monitors.list_monitors(model)
    items = [monitor_out(m) for m in found if readable(registered_model_of(m.model))]
    return JSONResponse({"items": items})


@router.post("/monitors")
async def create_monitor(request: Request, store: StoreDep, model: str) -> JSONResponse:
    """Add a monitor of ``model``: a frame of ``{name, spec, reference_digest}`` and the
    reference summary."""
    header, data = unframe(await request.body())
    made = store.monitors.create_monitor(
        _header_field(header, "name"),
        model,
        _header_field(header, "spec"),
        data,
        _header_field(header, "reference_digest"),
    )
    return JSONResponse(monitor_out(made))


@router.get(MONITOR)
def get_monitor(name: str, store: StoreDep) -> JSONResponse:
    """One monitor."""
    return JSONResponse(monitor_out(store.monitors.get_monitor(name)))


@router.patch(MONITOR)
async def update_monitor(name: str, request: Request, store: StoreDep) -> JSONResponse:
    """Replace a monitor's spec and/or reference: a frame of ``{spec, reference_digest}`` and
    the reference summary (no bytes and a null digest: keep the reference)."""
    header, data = unframe(await request.body())
    digest = header.get("reference_digest")
    updated = store.monitors.update_monitor(
        name,
        spec=header.get("spec"),
        reference=data if data or digest is not None else None,
        reference_digest=digest,
    )
    return JSONResponse(monitor_out(updated))


@router.delete(MONITOR)
def delete_monitor(name: str, store: StoreDep) -> JSONResponse:
    """Remove a monitor with everything it holds."""
    store.monitors.delete_monitor(name)
    return JSONResponse(OK)


@router.get(f"{MONITOR}/reference")
def get_reference(name: str, store: StoreDep) -> Response:
    """The stored reference summary (raw bytes)."""
    return Response(store.monitors.get_reference(name), media_type=OCTETS)


@router.post(f"{MONITOR}/records")
async def append_records(name: str, request: Request, store: StoreDep) -> JSONResponse:
    """Append a chunk: a frame of ``{request_ids, times, model_version}`` and its bytes."""
    header, data = unframe(await request.body())
    first, last = store.monitors.append_records(
        name,
        data,
        _header_field(header, "request_ids"),
        _header_field(header, "times"),
        header.get("model_version"),
    )
    return JSONResponse({"first_seq": first, "last_seq": last})


@router.get(f"{MONITOR}/chunks")
def read_chunks(
    name: str,
    store: StoreDep,
    first_seq: Annotated[int, Query(ge=0)],
    last_seq: Annotated[int, Query(ge=0)],
) -> Response:
    """The chunks holding records ``first_seq..last_seq``, as one frame."""
    found = store.monitors.read_chunks(name, first_seq, last_seq)
    return Response(chunks_frame(found), media_type=OCTETS)


@router.get(f"{MONITOR}/records")
def list_records(
    name: str,
    store: StoreDep,
    first_seq: Count = None,
    last_seq: Count = None,
    start_time: Count = None,
    end_time: Count = None,
) -> JSONResponse:
    """Records as ``[seq, request_id, time, label]`` in sequence order."""
    found = store.monitors.list_records(
        name, first_seq=first_seq, last_seq=last_seq, start_time=start_time, end_time=end_time
    )
    return JSONResponse({"items": [[r.seq, r.request_id, r.time, r.label] for r in found]})


@router.get(f"{MONITOR}/record-bounds")
def record_bounds(name: str, store: StoreDep) -> JSONResponse:
    """The last sequence number and the time range of a monitor's records."""
    last, low, high = store.monitors.record_bounds(name)
    return JSONResponse({"last_seq": last, "min_time": low, "max_time": high})


@router.post(f"{MONITOR}/labels")
def put_labels(name: str, body: Labels, store: StoreDep) -> JSONResponse:
    """Set ground truth by request id; ``unknown`` lists the ids kept unmatched."""
    return JSONResponse({"unknown": store.monitors.put_labels(name, body.labels, body.time)})


@router.get(f"{MONITOR}/unmatched-labels")
def unmatched_labels(
    name: str, store: StoreDep, start_time: Count = None, end_time: Count = None
) -> JSONResponse:
    """``[request_id, time]`` of labels waiting for their prediction."""
    found = store.monitors.unmatched_labels(name, start_time, end_time)
    return JSONResponse({"items": [list(item) for item in found]})


@router.post(f"{MONITOR}/windows")
def add_window(name: str, body: AddWindow, store: StoreDep) -> JSONResponse:
    """Store a computed window."""
    made = store.monitors.add_window(name, **body.model_dump())
    return JSONResponse(window_out(made))


@router.get(f"{MONITOR}/windows")
def list_windows(
    name: str,
    store: StoreDep,
    after_window_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> JSONResponse:
    """Windows in id order after ``after_window_id``."""
    found = store.monitors.list_windows(name, after_window_id, limit)
    return JSONResponse({"items": [window_out(w) for w in found]})


@router.get(f"{MONITOR}/windows/{{window_id}}")
def get_window(name: str, window_id: int, store: StoreDep) -> JSONResponse:
    """One window."""
    return JSONResponse(window_out(store.monitors.get_window(name, window_id)))


@router.patch(f"{MONITOR}/windows/{{window_id}}")
def update_window(name: str, window_id: int, body: UpdateWindow, store: StoreDep) -> JSONResponse:
    """Replace a window's results."""
    found = store.monitors.update_window(
        name, window_id, labelled_rows=body.labelled_rows, results=body.results
    )
    return JSONResponse(window_out(found))


@router.post(f"{MONITOR}/alerts")
def add_alert(name: str, body: AddAlert, store: StoreDep) -> JSONResponse:
    """Store a fired rule with its actions."""
    return JSONResponse(alert_out(store.monitors.add_alert(name, **body.model_dump())))


@router.get("/monitor-alerts")
def list_alerts(
    request: Request,
    store: StoreDep,
    name: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> JSONResponse:
    """Alerts newest first (of one monitor when given), of models the caller may read."""
    readable = model_reader(request)
    models = {m.name: registered_model_of(m.model) for m in store.monitors.list_monitors()}
    found = store.monitors.list_alerts(name, limit)
    items = [alert_out(a) for a in found if readable(models.get(a.monitor, ""))]
    return JSONResponse({"items": items})


@router.patch("/monitor-alerts/{alert_id}")
def update_alert_actions(alert_id: int, body: Actions, store: StoreDep) -> JSONResponse:
    """Record what an alert's actions did."""
    return JSONResponse(alert_out(store.monitors.update_alert_actions(alert_id, body.actions)))


@router.get(f"{MONITOR}/state/{{key:path}}")
def get_state(name: str, key: str, store: StoreDep) -> JSONResponse:
    """A bookkeeping value (null when unset)."""
    return JSONResponse({"value": store.monitors.get_state(name, key)})


@router.put(f"{MONITOR}/state/{{key:path}}")
def set_state(name: str, key: str, body: State, store: StoreDep) -> JSONResponse:
    """Set a bookkeeping value."""
    store.monitors.set_state(name, key, body.value)
    return JSONResponse(OK)
