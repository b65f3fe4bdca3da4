"""``/api/3.0/mlflow/server-info``: what MLflow's client asks before choosing how to move files.

cairn offers neither multipart uploads and downloads nor workspaces, so the client sends
and fetches every artifact with one request through the proxy.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

router = APIRouter(prefix="/api/3.0/mlflow")

INFO = {
    "store_type": "cairn",
    "workspaces_enabled": False,
    "trace_archival_enabled": False,
    "multipart_uploads_enabled": False,
    "multipart_downloads_enabled": False,
    "presigned_upload_run_id_supported": False,
    "presigned_upload_model_id_supported": False,
    "features_enabled": {},
}


@router.get("/server-info")
def server_info() -> JSONResponse:
    """The server's capabilities as MLflow's client reads them."""
    return JSONResponse(INFO)
