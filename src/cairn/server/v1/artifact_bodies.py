"""Request bodies of the artifact routes, read with a size limit and never held whole.

A body over its limit is answered with 413 ``REQUEST_TOO_LARGE`` (the one error shape, via
Starlette's HTTPException handler in :mod:`cairn.server.errors`): at once when the
``Content-Length`` says so, otherwise as soon as one byte too many arrives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

import anyio
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request

from cairn.errors import InvalidInput
from cairn.server.v1.artifact_files import BLOCK, PendingFile

SINGLE_PUT_LIMIT = 64 << 20
JSON_LIMIT = 64 << 10

Model = TypeVar("Model", bound=BaseModel)


def too_large(limit: int, advice: str) -> HTTPException:
    """The 413 answer for a body over ``limit`` bytes."""
    return HTTPException(413, f"the request body is over {limit} bytes; {advice}")


def declared_length(request: Request) -> int | None:
    """The body size the client announced, None for a chunked body."""
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not (raw.strip().isascii() and raw.strip().isdigit()):
        raise InvalidInput(f"Content-Length {raw!r} is not a number of bytes")
    return int(raw)


async def body_blocks(request: Request, limit: int, advice: str) -> AsyncIterator[bytes]:
    """The body regrouped into blocks of about 1 MiB; 413 once it passes ``limit`` bytes."""
    length = declared_length(request)
    if length is not None and length > limit:
        raise too_large(limit, advice)
    pending: list[bytes] = []
    held = received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise too_large(limit, advice)
            pending.append(chunk)
            held += len(chunk)
            if held >= BLOCK:
                yield b"".join(pending)
                pending, held = [], 0
    except ClientDisconnect as exc:
        raise InvalidInput("the client disconnected before sending the whole body") from exc
    if pending:
        yield b"".join(pending)


async def read_json(request: Request, model: type[Model]) -> Model:
    """A small JSON body parsed into ``model``; InvalidInput naming the bad fields."""
    body = b"".join([block async for block in body_blocks(request, JSON_LIMIT, "send less")])
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidInput(f"invalid request body: {problems}") from exc


async def receive(
    request: Request,
    pending: PendingFile,
    limit: int,
    advice: str,
    *,
    size: int | None = None,
    digest: str | None = None,
) -> None:
    """Stream the body into ``pending`` and commit it if its size and digest are as expected.

    Anything short of a commit (a wrong size or digest, a dropped client, a body over
    ``limit``) discards what was written, so the target is never left half written.
    """
    committed = False
    try:
        async for block in body_blocks(request, limit, advice):
            await run_in_threadpool(pending.write, block)
        if size is not None and pending.size != size:
            raise InvalidInput(f"received {pending.size} bytes where {size} were expected")
        if digest is not None and pending.blake3 != digest:
            raise InvalidInput(
                f"the BLAKE3 digest of the bytes received is {pending.blake3}, not {digest}; "
                "the data was damaged on the way, send it again"
            )
        await run_in_threadpool(pending.commit)
        committed = True
    finally:
        if not committed:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(pending.discard)
