"""How the MLflow-compatible routes answer errors and read JSON bodies.

Errors keep the one ``{"error_code", "message"}`` shape but use MLflow's codes and statuses:
``RESOURCE_ALREADY_EXISTS`` is a 400 (cairn says 409), and an operation refused because of a
resource's state (a deleted run) is MLflow's ``INVALID_PARAMETER_VALUE`` 400 (MLflow maps
``INVALID_STATE`` to 500, which its client retries). A request that fails validation gets
MLflow's wording ("Missing value for required parameter 'run_id'"). JSON bodies are read with
a size limit before FastAPI parses them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect
from starlette.types import Message

from cairn.errors import CairnError, InvalidInput
from cairn.server.errors import error_response

_MLFLOW_STATUS = {
    "RESOURCE_ALREADY_EXISTS": ("RESOURCE_ALREADY_EXISTS", 400),
    "INVALID_STATE": ("INVALID_PARAMETER_VALUE", 400),
}


def mlflow_error(exc: CairnError) -> Response:
    """The error answer MLflow's server would give for ``exc``."""
    code, status = _MLFLOW_STATUS.get(exc.code, (exc.code, exc.http_status))
    return error_response(code, exc.message, status)


def validation_message(exc: RequestValidationError) -> str:
    """MLflow's wording for what is wrong with a request's fields."""
    problems = []
    for error in exc.errors():
        loc = [part for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        if error.get("type") == "json_invalid":
            problems.append("Malformed JSON request body: it does not parse as JSON")
        elif error.get("type") == "missing":
            problems.append(f"Missing value for required parameter '{name}'.")
        else:
            value = error.get("input")
            problems.append(
                f"Invalid value {value!r:.100} for parameter '{name}' supplied: {error.get('msg')}"
            )
    return " ".join(problems) or "Invalid request"


class MlflowRoute(APIRoute):
    """A route answering errors as MLflow's server does."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(await self.prepare(request))
            except CairnError as exc:
                return mlflow_error(exc)
            except RequestValidationError as exc:
                return error_response("INVALID_PARAMETER_VALUE", validation_message(exc), 400)

        return answer

    async def prepare(self, request: Request) -> Request:
        """The request the handler reads (as received)."""
        return request


class MlflowJsonRoute(MlflowRoute):
    """An MLflow route with a JSON body (bounded by :mod:`cairn.server.limits`)."""

    async def prepare(self, request: Request) -> Request:
        """The request with its body read and replayed to FastAPI."""
        if request.method in ("GET", "HEAD"):
            return request
        chunks = []
        try:
            async for chunk in request.stream():
                chunks.append(chunk)
        except ClientDisconnect as exc:
            raise InvalidInput("the client disconnected before sending the whole body") from exc
        pending = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            return pending.pop() if pending else await request.receive()

        return Request(request.scope, replay)
