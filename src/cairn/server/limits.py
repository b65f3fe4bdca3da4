"""Request body limits: JSON bodies up to 16 MiB, any body up to 65 MiB.

This middleware wraps every other one, so the auth middleware and the MLflow routes, which
read JSON bodies whole, rely on it. The artifact routes hold their own, tighter limits (64 MiB per PUT, one part per part
PUT). A declared ``Content-Length`` over the limit is refused before reading; a chunked body
is refused as soon as it passes the limit. Either way the answer is a 413 in the one error
shape and nothing is stored.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.server.errors import error_response

JSON_LIMIT = 16 * 1024 * 1024
BODY_LIMIT = 65 * 1024 * 1024


class BodyTooLarge(HTTPException):
    """The request body passed its limit (rendered as 413 wherever it is raised)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the request body is over the server's limit of {limit // (1024 * 1024)} MiB; "
            "send large files through the artifact uploads (resumable parts)",
        )


class LimitBodies:
    """Refuse request bodies over the limits."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        is_json = headers.get(b"content-type", b"").split(b";")[0].strip().endswith(b"json")
        limit = JSON_LIMIT if is_json else BODY_LIMIT
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, BodyTooLarge(limit))
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await _refuse(scope, receive, send, exc)


async def _refuse(scope: Scope, receive: Receive, send: Send, exc: BodyTooLarge) -> None:
    response = error_response("REQUEST_TOO_LARGE", str(exc.detail), 413)
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
