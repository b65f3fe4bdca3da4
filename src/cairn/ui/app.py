"""Putting the web UI on the server's app: static files, every page router, HTML errors."""

from __future__ import annotations

from importlib import import_module

from fastapi import FastAPI

from cairn.ui import errors
from cairn.ui.static_files import static_app

# Each module exposes ``router = APIRouter()``; a new page adds its module here.
PAGES = (
    "cairn.ui.pages.experiments",
    "cairn.ui.pages.runs_table",
    "cairn.ui.pages.login",
    "cairn.ui.pages.account",
    "cairn.ui.pages.run",
    "cairn.ui.pages.artifacts",
    "cairn.ui.pages.charts",
    "cairn.ui.pages.compare",
    "cairn.ui.pages.datasets",
    "cairn.ui.pages.pipelines",
    "cairn.ui.pages.models",
    "cairn.ui.pages.monitors",
)


def install_ui(app: FastAPI) -> None:
    """Serve the UI from ``app``: ``/static``, the pages, and error pages for browsers."""
    app.mount("/static", static_app(), name="static")
    for name in PAGES:
        app.include_router(import_module(name).router, include_in_schema=False)
    errors.install(app)
