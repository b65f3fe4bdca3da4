"""The artifact proxy of the native API: a run's files listed, read, written and removed.

Files are streamed both ways in 1 MiB blocks (reads honour ``Range`` so a broken download
resumes); a single PUT takes at most 64 MiB, larger files go through the resumable uploads
of :mod:`cairn.server.v1.artifact_uploads`. Every path is checked by
:func:`cairn.server.paths.checked_artifact_path` and, on a local root, kept inside it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from cairn.entities import LifecycleStage
from cairn.errors import InvalidInput, InvalidState
from cairn.server.deps import StoreDep
from cairn.server.errors import error_response
from cairn.server.v1 import artifact_uploads
from cairn.server.v1.artifact_bodies import SINGLE_PUT_LIMIT, declared_length, receive, too_large
from cairn.server.v1.artifact_files import (
    checked_digest,
    file_size,
    open_target,
    parse_range,
    read_blocks,
)
from cairn.server.v1.artifact_runs import open_run_files

router = APIRouter(tags=["artifacts"])
router.include_router(artifact_uploads.router)

USE_UPLOADS = (
    "send larger files with a resumable upload (POST /api/v1/runs/<run_id>/artifacts/uploads)"
)


@router.get("/runs/{run_id}/artifacts")
def list_artifacts(run_id: str, store: StoreDep, path: str | None = None) -> dict[str, Any]:
    """The files and folders directly under ``path`` (a file path lists that file)."""
    run = open_run_files(store, run_id)
    rel, _ = run.locate(path)
    return {
        "root_uri": run.info.artifact_uri,
        "files": [asdict(info) for info in run.files.list(rel)],
    }


@router.get("/runs/{run_id}/artifacts/files/{path:path}")
def get_artifact_file(
    run_id: str,
    path: str,
    store: StoreDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    """The file's bytes, streamed; one ``Range: bytes=a-b`` span gives a 206."""
    run = open_run_files(store, run_id)
    rel, full = run.locate(path, file=True)
    size = file_size(run.files.fs, full, rel)
    try:
        span = parse_range(range_header, size)
    except InvalidInput as exc:
        answer = error_response("INVALID_PARAMETER_VALUE", exc.message, 416)
        answer.headers["Content-Range"] = f"bytes */{size}"
        return answer
    start, end = span or (0, size - 1)
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start + 1)}
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(
        read_blocks(run.files.fs, full, start, end),
        status_code=206 if span is not None else 200,
        media_type="application/octet-stream",
        headers=headers,
    )


@router.put("/runs/{run_id}/artifacts/files/{path:path}")
async def put_artifact_file(
    run_id: str,
    path: str,
    request: Request,
    store: StoreDep,
    blake3: Annotated[str | None, Header(alias="X-Cairn-Blake3")] = None,
) -> dict[str, Any]:
    """Store the body as the file (at most 64 MiB), checked against ``X-Cairn-Blake3``."""
    digest = checked_digest(blake3)
    run = await run_in_threadpool(open_run_files, store, run_id, for_write=True)
    rel, full = await run_in_threadpool(run.locate, path, file=True)
    length = declared_length(request)
    if length is not None and length > SINGLE_PUT_LIMIT:
        raise too_large(SINGLE_PUT_LIMIT, USE_UPLOADS)
    pending = await run_in_threadpool(open_target, run.files.fs, full, rel)
    await receive(request, pending, SINGLE_PUT_LIMIT, USE_UPLOADS, digest=digest)
    return {"path": rel, "size": pending.size, "blake3": pending.blake3}


@router.delete("/runs/{run_id}/artifacts")
def delete_run_artifacts(run_id: str, store: StoreDep) -> dict[str, Any]:
    """Remove every file of a deleted run (what garbage collection does)."""
    run = open_run_files(store, run_id)
    if run.info.lifecycle_stage == LifecycleStage.ACTIVE.value:
        raise InvalidState(
            f"run {run.info.run_id} is active; delete the run before removing its artifacts"
        )
    run.files.delete_all()
    return {}
