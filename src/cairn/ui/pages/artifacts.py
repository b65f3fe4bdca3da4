"""The artifact browser of a run: a folder listing with sizes and a preview of the chosen file.

``/runs/{id}/artifacts?path=`` (served by :mod:`cairn.ui.pages.run`) shows the run page
opened on its artifacts at ``path``: a folder is listed; a file is previewed beside its folder. Images and HTML pages are served
for viewing by ``/runs/{id}/artifacts/raw/{path}`` with ``Content-Security-Policy: sandbox``
and ``nosniff``, so neither an SVG nor a page can run script with cairn's origin; downloads
use the API's file route. Paths are held to the API's rules
(:func:`cairn.server.paths.checked_artifact_path`).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from cairn.entities import FileInfo, Run
from cairn.errors import ArtifactError, InvalidInput, NotFound
from cairn.server.deps import StoreDep
from cairn.server.v1.artifact_files import file_size, read_blocks
from cairn.server.v1.artifact_runs import RunFiles, open_run_files
from cairn.store import Store
from cairn.ui import previews
from cairn.ui.previews import Preview
from cairn.ui.readable import readable_run

router = APIRouter()

MAX_ENTRIES = 1000  # a folder listing shows at most this many entries

RAW_HEADERS = {
    "Content-Security-Policy": "sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-cache",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Entry:
    """A row of the listing."""

    name: str
    path: str
    is_dir: bool
    size: int | None


@dataclass(frozen=True)
class Browser:
    """What the artifact tab shows: the folder listed, its crumbs, and the file previewed."""

    run_id: str
    folder: str
    crumbs: list[tuple[str, str]]  # (name, path) from the root down to the folder
    entries: list[Entry]
    selected: str | None
    preview: Preview | None
    total: int = 0  # entries in the folder, of which the first MAX_ENTRIES are listed

    def browse_url(self, path: str) -> str:
        """The browser opened at ``path``."""
        return browse_url(self.run_id, path)

    def raw_url(self, path: str) -> str:
        """Where an image or HTML page is served for viewing."""
        return f"/runs/{self.run_id}/artifacts/raw/{quote(path)}"

    def download_url(self, path: str) -> str:
        """The API's download of a file."""
        return f"/api/v1/runs/{self.run_id}/artifacts/files/{quote(path)}"


def browse_url(run_id: str, path: str) -> str:
    """The artifact browser of a run opened at ``path`` ('' for the root)."""
    base = f"/runs/{run_id}/artifacts"
    return f"{base}?path={quote(path)}" if path else base


def _crumbs(folder: str) -> list[tuple[str, str]]:
    parts = folder.split("/") if folder else []
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]


def _entries(files: RunFiles, folder: str) -> tuple[list[Entry], int]:
    """The folder's entries, folders first, at most MAX_ENTRIES; and how many there are."""
    listed: list[FileInfo] = files.files.list(folder)
    rows = [Entry(posixpath.basename(i.path), i.path, i.is_dir, i.file_size) for i in listed]
    rows.sort(key=lambda e: (not e.is_dir, e.name.lower()))
    return rows[:MAX_ENTRIES], len(rows)


def browse(store: Store, run: Run, raw_path: str | None) -> Browser:
    """The listing and preview for ``raw_path``; NotFound when nothing is at that path."""
    files = open_run_files(store, run.info.run_id)
    rel, full = files.locate(raw_path)
    run_id = run.info.run_id
    folder, selected, preview = rel, None, None
    if rel:
        try:
            info = files.files.fs.info(full)
        except FileNotFoundError:
            raise NotFound(
                f"run {run_id} has no artifact {rel!r}; open the artifact list to see what it has"
            ) from None
        except OSError as exc:
            raise ArtifactError(f"reading artifact {rel!r} of run {run_id} failed: {exc}") from exc
        if info.get("type") != "directory":
            folder, selected = posixpath.dirname(rel), rel
            preview = previews.build_preview(files.files.fs, full, rel, int(info.get("size") or 0))
    entries, total = _entries(files, folder)
    return Browser(run_id, folder, _crumbs(folder), entries, selected, preview, total)


@router.get("/runs/{run_id}/artifacts/raw/{path:path}")
def raw_artifact(request: Request, store: StoreDep, run_id: str, path: str) -> Response:
    """An image or HTML artifact for an ``<img>`` or a sandboxed ``<iframe>``."""
    run = readable_run(request, store, run_id)
    files = open_run_files(store, run.info.run_id)
    rel, full = files.locate(path, file=True)
    media_type = previews.raw_media_type(rel)
    if media_type is None:
        raise InvalidInput(
            f"{rel!r} is not an image or an HTML page; download it from "
            f"/api/v1/runs/{run.info.run_id}/artifacts/files/{quote(rel)}"
        )
    size = file_size(files.files.fs, full, rel)
    if size > previews.MEDIA_LIMIT:
        raise InvalidInput(
            f"{rel!r} is {size(size)}, too large to view here "
            f"(at most {size(previews.MEDIA_LIMIT)}); download it instead"
        )
    headers = {**RAW_HEADERS, "Content-Length": str(size)}
    blocks = read_blocks(files.files.fs, full, 0, size - 1) if size else iter([b""])
    return StreamingResponse(blocks, media_type=media_type, headers=headers)
