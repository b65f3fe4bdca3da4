"""Errors met by a browser, answered with a page that says what happened and what to do.

Errors raised by the UI's own routes, a refusal by the auth middleware, and a URL that
matches no route (when a browser asks for HTML) are rendered as ``error.html``; the API
keeps its JSON answers. An htmx request gets the message alone, which ``cairn.js`` shows.
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

from cairn.errors import CairnError, InvalidInput, NotFound
from cairn.server.auth.pages import wants_page

TITLES = {
    400: "This request cannot be answered",
    401: "Sign in first",
    403: "Not allowed",
    404: "Not found",
    500: "Something went wrong",
    503: "Busy, try again",
}

HINTS = {
    400: "Check the address or the form, then try again.",
    401: "Sign in, then open the page again.",
    403: "Ask someone who manages this experiment to grant you access, or sign in as another user.",
    404: "It may have been deleted or never existed; check the address, or start from the list.",
    500: "The server log has the details.",
    503: "The store is busy; reload the page in a moment.",
}


def _is_ui_request(request: Request) -> bool:
    endpoint = request.scope.get("endpoint")
    return getattr(endpoint, "__module__", "").startswith("cairn.ui.")


def error_response(request: Request, status: int, message: str) -> Response:
    """The error page (or, for htmx, the message alone) for a browser request."""
    if request.headers.get("hx-request"):
        return PlainTextResponse(message, status_code=status, headers={"Cache-Control": "no-store"})
    from cairn.ui.templating import render

    return render(
        request,
        "error.html",
        status_code=status,
        status=status,
        heading=TITLES.get(status, "Something went wrong"),
        message=message,
        hint=HINTS.get(status, ""),
    )


def error_page(scope: Scope, err: CairnError) -> Response:
    """The page for an error raised before the app ran (the auth middleware's refusals)."""
    return error_response(Request(scope), err.http_status, err.message)


async def _delegate(handler: Any, request: Request, exc: Exception) -> Response:
    """The answer of the handler the API registered (sync or async)."""
    answer = handler(request, exc)
    if inspect.isawaitable(answer):
        answer = await answer
    return answer  # type: ignore[no-any-return]


def install(app: FastAPI) -> None:
    """Render errors of UI routes, and of unknown URLs asked for by browsers, as pages."""
    api_error = app.exception_handlers[CairnError]
    api_validation = app.exception_handlers[RequestValidationError]
    api_http = app.exception_handlers[HTTPException]
    app.state.error_page = error_page

    @app.exception_handler(CairnError)
    async def cairn_error(request: Request, exc: CairnError) -> Response:
        if _is_ui_request(request):
            return error_response(request, exc.http_status, exc.message)
        return await _delegate(api_error, request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if _is_ui_request(request):
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
                for e in exc.errors()
            )
            return error_response(request, 400, InvalidInput(problems).message)
        return await _delegate(api_validation, request, exc)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404 and wants_page(request.scope):
            message = NotFound(f"there is no page at {request.url.path}").message
            return error_response(request, 404, message)
        return await _delegate(api_http, request, exc)
