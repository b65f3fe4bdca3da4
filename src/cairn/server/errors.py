"""Every error a request can meet, rendered in one place as ``{"error_code", "message"}``.

A :class:`cairn.errors.CairnError` keeps its code and HTTP status; a request that fails
validation is ``INVALID_PARAMETER_VALUE`` (400) naming the field; anything else is a 500
``INTERNAL_ERROR`` whose body never carries a traceback (the server log has it).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.errors import CairnError

log = logging.getLogger("cairn.server")

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "REQUEST_TOO_LARGE",
}


def error_response(code: str, message: str, status: int) -> JSONResponse:
    """The one error shape."""
    return JSONResponse({"error_code": code, "message": message}, status_code=status)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(CairnError)
    async def cairn_error(_request: Request, exc: CairnError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
        return error_response("INVALID_PARAMETER_VALUE", "; ".join(problems), 400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
        message = str(exc.detail)
        if exc.status_code == 404:
            message = f"no endpoint {request.method} {request.url.path}"
        return error_response(code, message, exc.status_code)

    app.add_middleware(ContainUnexpectedErrors)


class ContainUnexpectedErrors:
    """Answer an unexpected exception with a 500 and keep it from reaching the ASGI server.

    An exception handler for ``Exception`` would run in Starlette's outermost middleware,
    which re-raises after answering; the server then drops the connection, racing the
    client's read of the answer. Catching here, inside, ends the request cleanly.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = error_response("INTERNAL_ERROR", "the server failed; see its log", 500)
            await response(scope, receive, send)
