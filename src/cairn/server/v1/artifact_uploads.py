"""Resumable, checksummed uploads of large artifact files, one 16 MiB part per request.

``POST /runs/{run_id}/artifacts/uploads`` opens (or finds again) the upload of a file of
known size and BLAKE3 digest and says which parts the server holds; the client PUTs the
others, each with its own digest, then asks to ``complete``: the parts are joined in order
into the run's file, checked against the declared size and digest, and the staging removed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from cairn.errors import InvalidInput, InvalidState
from cairn.server.deps import StoreDep
from cairn.server.v1.artifact_bodies import declared_length, read_json, receive, too_large
from cairn.server.v1.artifact_files import open_target, refuse_folder, required_digest
from cairn.server.v1.artifact_runs import RunFiles, open_run_files
from cairn.server.v1.artifact_staging import Manifest, Staging
from cairn.store import Store

router = APIRouter(tags=["artifacts"])

PART_ADVICE = "send each part with exactly the part_size the upload was opened with"


class UploadRequest(BaseModel):
    """The file a client means to upload."""

    model_config = ConfigDict(extra="forbid")

    path: str
    size: int = Field(ge=0)
    blake3: str


def _state(staging: Staging, manifest: Manifest) -> dict[str, Any]:
    return {
        "upload_id": manifest.upload_id,
        "run_id": manifest.run_id,
        "path": manifest.path,
        "size": manifest.size,
        "blake3": manifest.blake3,
        "part_size": manifest.part_size,
        "part_count": manifest.part_count,
        "received": staging.received(manifest),
    }


def _load(store: Store, upload_id: str, *, for_write: bool) -> tuple[Staging, Manifest, RunFiles]:
    staging = Staging(store.default_artifact_root)
    manifest = staging.load(upload_id)
    run = open_run_files(store, manifest.run_id, for_write=for_write)
    run.locate(manifest.path, file=True)
    return staging, manifest, run


@router.post(
    "/runs/{run_id}/artifacts/uploads",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": UploadRequest.model_json_schema()}},
        }
    },
)
async def create_upload(run_id: str, request: Request, store: StoreDep) -> dict[str, Any]:
    """Open the upload of a file, or find the one already open for the same content."""
    body = await read_json(request, UploadRequest)
    digest = required_digest(body.blake3, "blake3")

    def open_upload() -> dict[str, Any]:
        run = open_run_files(store, run_id, for_write=True)
        rel, full = run.locate(body.path, file=True)
        refuse_folder(run.files.fs, full, rel)
        staging = Staging(store.default_artifact_root)
        return _state(staging, staging.open(run.info.run_id, rel, body.size, digest))

    return await run_in_threadpool(open_upload)


@router.put("/artifact-uploads/{upload_id}/parts/{index}")
async def put_part(
    upload_id: str,
    index: int,
    request: Request,
    store: StoreDep,
    blake3: Annotated[str | None, Header(alias="X-Cairn-Blake3")] = None,
) -> dict[str, Any]:
    """Store one part; its length and ``X-Cairn-Blake3`` digest must match."""
    digest = required_digest(blake3)
    staging, manifest, _ = await run_in_threadpool(_load, store, upload_id, for_write=True)
    expected = manifest.part_length(index)
    length = declared_length(request)
    if length is not None and length > manifest.part_size:
        raise too_large(manifest.part_size, PART_ADVICE)
    if length is not None and length != expected:
        raise InvalidInput(f"part {index} must be {expected} bytes long, not {length}")
    pending = await run_in_threadpool(staging.part_writer, manifest, index)
    await receive(request, pending, manifest.part_size, PART_ADVICE, size=expected, digest=digest)
    return {"upload_id": upload_id, "index": index, "size": pending.size, "blake3": digest}


@router.get("/artifact-uploads/{upload_id}")
def get_upload(upload_id: str, store: StoreDep) -> dict[str, Any]:
    """What the upload is for and which parts the server holds."""
    staging, manifest, _ = _load(store, upload_id, for_write=False)
    return _state(staging, manifest)


@router.post("/artifact-uploads/{upload_id}/complete")
def complete_upload(upload_id: str, store: StoreDep) -> dict[str, Any]:
    """Join the parts into the run's file, verify it, and drop the staging."""
    staging, manifest, run = _load(store, upload_id, for_write=True)
    missing = sorted(set(range(manifest.part_count)) - set(staging.received(manifest)))
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        raise InvalidState(f"upload {upload_id} still misses parts {shown}; send them first")
    rel, full = run.locate(manifest.path, file=True)
    target = open_target(run.files.fs, full, rel)
    committed = False
    try:
        staging.assemble(manifest, target)
        if (target.size, target.blake3) != (manifest.size, manifest.blake3):
            staging.remove(upload_id)
            raise InvalidInput(
                f"the parts of upload {upload_id} make {target.size} bytes with BLAKE3 "
                f"{target.blake3}, not the {manifest.size} bytes with {manifest.blake3} "
                "announced; the upload was dropped, start it again"
            )
        target.commit()
        committed = True
    finally:
        if not committed:
            target.discard()
    staging.remove(upload_id)
    return {"path": rel, "size": target.size, "blake3": target.blake3}


@router.delete("/artifact-uploads/{upload_id}")
def abort_upload(upload_id: str, store: StoreDep) -> dict[str, Any]:
    """Abandon an upload and delete the parts received."""
    staging, _, _ = _load(store, upload_id, for_write=False)
    staging.remove(upload_id)
    return {}
