"""MLflow's artifact proxy (``/api/2.0/mlflow-artifacts``) and artifact listing endpoint.

Files stream both ways in blocks: an upload is written to a hidden temporary file (or an
uncommitted object-store upload) and appears only once whole; a download is sent from the
file (local disks, with ``Range`` support) or read block by block. Multipart uploads are not
offered (``/api/3.0/mlflow/server-info`` says so), so MLflow's client uploads every file
with one PUT.
"""

from __future__ import annotations

import mimetypes
import posixpath
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fsspec.implementations.local import LocalFileSystem
from starlette.concurrency import run_in_threadpool

from cairn.artifacts import ArtifactStore
from cairn.entities import FileInfo
from cairn.errors import ArtifactError, InvalidPath
from cairn.server.deps import StoreDep
from cairn.server.mlflow import convert
from cairn.server.mlflow import schemas as s
from cairn.server.mlflow.locations import locate
from cairn.server.mlflow.route import MlflowJsonRoute, MlflowRoute
from cairn.server.paths import checked_artifact_path
from cairn.server.v1.artifact_bodies import receive
from cairn.server.v1.artifact_files import file_size, open_target, read_blocks

proxy = APIRouter(prefix="/api/2.0/mlflow-artifacts", route_class=MlflowRoute)
listing = APIRouter(prefix="/artifacts", route_class=MlflowJsonRoute)

EMPTY: dict[str, object] = {}
MAX_UPLOAD_BYTES = 5 << 40  # 5 TiB, the largest object S3 accepts


@proxy.get("/artifacts")
def list_proxied(store: StoreDep, path: str | None = None) -> JSONResponse:
    """The files and folders directly under a proxied path, named relative to it."""
    where = locate(store, path)
    files = children(where.files, where.path)
    return JSONResponse(
        convert.compact(
            {"files": [convert.file_info(f, posixpath.basename(f.path)) for f in files]}
        )
    )


@proxy.get("/artifacts/{artifact_path:path}")
def download(artifact_path: str, store: StoreDep) -> Response:
    """One file, streamed."""
    where = locate(store, artifact_path)
    if not where.path:
        raise InvalidPath("the artifact root is a folder; list it or download its files")
    fs, full = where.files.fs, where.files.full_path(where.path)
    size = file_size(fs, full, where.path)
    name = posixpath.basename(where.path)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if isinstance(fs, LocalFileSystem):
        return FileResponse(full, media_type=media_type, filename=name)
    return StreamingResponse(
        read_blocks(fs, full, 0, size - 1),
        media_type=media_type,
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f"attachment; filename*=utf-8''{quote(name)}",
        },
    )


@proxy.put("/artifacts/{artifact_path:path}")
async def upload(artifact_path: str, request: Request, store: StoreDep) -> JSONResponse:
    """Store the request body as one file; it appears only once received whole."""
    where = await run_in_threadpool(locate, store, artifact_path, True)
    if not where.path:
        raise InvalidPath("an upload must name a file under the artifact root")
    full = where.files.full_path(where.path)
    pending = await run_in_threadpool(open_target, where.files.fs, full, where.path)
    await receive(request, pending, MAX_UPLOAD_BYTES, "store it in parts on the server's side")
    facts = {"size": pending.size, "blake3": pending.blake3}
    await run_in_threadpool(where.record, store, facts)
    return JSONResponse(EMPTY)


@proxy.delete("/artifacts/{artifact_path:path}")
def delete(artifact_path: str, store: StoreDep) -> JSONResponse:
    """Remove a file or a folder and everything in it (nothing there is fine)."""
    where = locate(store, artifact_path, writing=True)
    full = where.files.full_path(where.path)
    try:
        if where.files.fs.exists(full):
            where.files.fs.rm(full, recursive=True)
    except OSError as exc:
        raise ArtifactError(f"deleting artifact {where.path!r} failed: {exc}") from exc
    return JSONResponse(EMPTY)


@listing.get("/list")
def list_run_artifacts(query: Annotated[s.ListArtifacts, Query()], store: StoreDep) -> JSONResponse:
    """A run's files and folders directly under ``path``, named from the run's root."""
    info = store.runs.get_run(query.id).info
    path = checked_artifact_path(query.path)
    files = children(store.artifact_store(info.artifact_uri, info.run_id), path)
    return JSONResponse(
        convert.compact(
            {
                "root_uri": convert.run_artifact_uri(info.experiment_id, info.run_id),
                "files": [convert.file_info(f, f.path) for f in files],
            }
        )
    )


def children(files: ArtifactStore, path: str) -> list[FileInfo]:
    """What lies directly under ``path`` (nothing when it is a file or missing)."""
    found = files.list(path or None)
    if len(found) == 1 and not found[0].is_dir and found[0].path == path:
        return []
    return found
