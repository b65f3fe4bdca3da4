"""The scoring server: a FastAPI app answering MLflow's ``/invocations`` plus ``/ping``,
``/health``, ``/version`` and ``/metadata``, and ``/feedback`` (labelled rows for online
learning, :mod:`cairn.serving.feedback`) when a feedback folder is set.

Errors have one shape, ``{"error_code": ..., "message": ...}``: a body that cannot become
model input, or input the model's signature refuses, is a 400 ``BAD_REQUEST`` naming the
problem; an exception inside the model is a 500 ``INTERNAL_ERROR`` and the worker goes on
serving. Every answer carries an ``X-Request-Id`` header (the client's, when it sent a sane
one), ``/ping`` and the other routes included.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.errors import CairnError, InvalidInput
from cairn.serving.payloads import BadPayload, Payload, parse_payload, to_jsonable

if TYPE_CHECKING:
    from cairn.serving.feedback import FeedbackWriter
    from cairn.serving.follow import AliasFollower, ModelSlot, Served
    from cairn.serving.predictions import PredictionLogger

log = logging.getLogger("cairn.serving")

__all__ = ["DEFAULT_MAX_BODY_BYTES", "RequestIds", "create_app"]

DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIds:
    """Pure ASGI middleware: every answer carries ``X-Request-Id`` (the client's when it sent a
    sane one, else a new one); ``/invocations`` sets its own, which is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "x-request-id" not in headers:
                    sent = Headers(scope=scope).get("x-request-id", "")
                    headers["X-Request-Id"] = sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex
            await send(message)

        await self.app(scope, receive, send_with_id)


def _error(code: str, message: str, status: int, request_id: str) -> JSONResponse:
    return JSONResponse(
        {"error_code": code, "message": message},
        status_code=status,
        headers={"X-Request-Id": request_id},
    )


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadPayload(f"the body has {declared} bytes, more than the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadPayload(f"the body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _align(payload: Payload, served: Served) -> Any:
    """An array sent to a model whose signature names columns becomes a DataFrame with
    those columns (each column typed from its own JSON values)."""
    import numpy as np

    data = payload.data
    columns = served.info.get("input_columns")
    if not columns or not isinstance(data, np.ndarray):
        return data
    rows = payload.extra.get("rows", data.tolist())
    if data.ndim == 1:
        rows = [rows] if len(rows) == len(columns) else [[value] for value in rows]
    elif data.ndim != 2:
        raise BadPayload(f"the input is a {data.ndim}-D array; the model expects rows of columns")
    width = len(rows[0]) if rows else len(columns)
    if width != len(columns):
        raise BadPayload(
            f"the input rows have {width} values; the model expects "
            f"{len(columns)} columns ({', '.join(columns)})"
        )
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def _score(served: Served, body: bytes, content_type: str | None, keep_inputs: bool) -> Any:
    """Parse, predict and render (in a worker thread: it is CPU work); returns the JSON
    answer and, when ``keep_inputs``, the inputs as JSON for the prediction log."""
    payload = parse_payload(body, content_type)
    data = _align(payload, served)
    if payload.params:
        predictions = served.model.predict(data, params=payload.params)
    else:
        predictions = served.model.predict(data)
    return to_jsonable(predictions), to_jsonable(data) if keep_inputs else None


def create_app(
    slot: ModelSlot,
    *,
    follower: AliasFollower | None = None,
    logger: PredictionLogger | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    feedback: FeedbackWriter | None = None,
) -> FastAPI:
    """The app serving ``slot``'s model; ``follower`` and ``logger`` start and stop with it;
    ``feedback`` (a folder writer) enables ``POST /feedback``."""
    from cairn import __version__

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if follower is not None:
            follower.start()
        try:
            yield
        finally:
            if follower is not None:
                follower.stop()
            if logger is not None:
                logger.close()

    app = FastAPI(title="cairn model server", version=__version__, lifespan=lifespan)
    app.add_middleware(RequestIds)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 404:
            code, message = "ENDPOINT_NOT_FOUND", f"no endpoint {request.url.path}"
        elif exc.status_code == 405:
            code, message = "METHOD_NOT_ALLOWED", f"{request.method} is not allowed here"
        else:
            code, message = "BAD_REQUEST", str(exc.detail)
        return JSONResponse({"error_code": code, "message": message}, status_code=exc.status_code)

    @app.get("/ping")
    def ping() -> Response:
        return PlainTextResponse("\n")

    @app.get("/health")
    def health() -> dict[str, Any]:
        served = slot.current
        return {"status": "ok", "model_uri": served.uri, "version": served.info.get("version")}

    @app.get("/version")
    def version() -> dict[str, Any]:
        served = slot.current
        return {
            "cairn_version": __version__,
            "model_uri": served.uri,
            "model_version": served.info.get("version"),
        }

    @app.get("/metadata")
    def metadata() -> dict[str, Any]:
        served = slot.current
        return {"model_uri": served.uri, **served.info}

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        request_id = request.headers.get("x-request-id", "")
        if not _REQUEST_ID.match(request_id):
            request_id = uuid.uuid4().hex
        served = slot.current
        started = time.perf_counter()
        try:
            body = await _read_body(request, max_body_bytes)
            keep = logger is not None and logger.wants()
            content_type = request.headers.get("content-type")
            answer, inputs = await run_in_threadpool(_score, served, body, content_type, keep)
        except InvalidInput as exc:
            return _error("BAD_REQUEST", exc.message, 400, request_id)
        except CairnError as exc:
            return _error(exc.code, exc.message, exc.http_status, request_id)
        except Exception as exc:  # noqa: BLE001 - the model failed; the worker keeps serving
            log.exception("request %s: the model failed", request_id)
            message = f"the model failed: {type(exc).__name__}: {exc}"
            return _error("INTERNAL_ERROR", message, 500, request_id)
        latency_ms = (time.perf_counter() - started) * 1000
        if logger is not None and inputs is not None:
            logger.log(
                {
                    "request_id": request_id,
                    "time_ms": int(time.time() * 1000),
                    "model_uri": served.uri,
                    "model_target": served.target,
                    "latency_ms": round(latency_ms, 3),
                    "inputs": inputs,
                    "predictions": answer,
                }
            )
        headers = {"X-Request-Id": request_id}
        if served.target is not None:
            headers["X-Model-Version"] = str(served.target)
        return JSONResponse({"predictions": answer}, headers=headers)

    @app.post("/feedback")
    async def feedback_route(request: Request) -> Response:
        request_id = request.headers.get("x-request-id", "")
        if not _REQUEST_ID.match(request_id):
            request_id = uuid.uuid4().hex
        if feedback is None:
            message = (
                "feedback is off on this server: start it with `cairn models serve URI "
                "--feedback-dir DIR` to collect labelled rows for an online trainer"
            )
            return _error("ENDPOINT_NOT_FOUND", message, 404, request_id)
        try:
            body = await _read_body(request, max_body_bytes)
            written = await run_in_threadpool(
                _take_feedback,
                feedback,
                slot.current,
                body,
                request.headers.get("content-type"),
                request.query_params.get("source"),
            )
        except InvalidInput as exc:
            return _error("BAD_REQUEST", exc.message, 400, request_id)
        except OSError as exc:
            log.exception("request %s: the feedback could not be written", request_id)
            return _error(
                "INTERNAL_ERROR", f"the feedback could not be written: {exc}", 500, request_id
            )
        return JSONResponse(written, headers={"X-Request-Id": request_id})

    return app


def _take_feedback(
    writer: FeedbackWriter,
    served: Served,
    body: bytes,
    content_type: str | None,
    source: str | None,
) -> dict[str, Any]:
    """Check a ``/feedback`` body against the served model and write it (in a worker thread)."""
    from cairn.serving.feedback import parse_feedback

    signature = getattr(getattr(served.model, "metadata", None), "signature", None)
    frame, labels, sender = parse_feedback(body, content_type, source, signature)
    path = writer.write(frame, labels, sender)
    return {"rows": len(labels), "file": path.name, "source": sender}
