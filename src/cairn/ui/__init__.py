"""The web UI: server-rendered pages (Jinja2 + htmx) on the tracking server.

:func:`cairn.ui.app.install_ui` puts every page on a :class:`fastapi.FastAPI` app; the
navigation bar is :mod:`cairn.ui.nav`, where a later capability adds its page with one
``register(...)`` line. Pages read the store as the API routes do and show only what the
signed-in user may read; changes go through the JSON API (``/api/v1``) from the browser.
"""

from __future__ import annotations

__all__ = ["install_ui"]


def install_ui(app: object) -> None:
    """Mount the UI's pages and static files on ``app`` (see :func:`cairn.ui.app.install_ui`)."""
    from cairn.ui.app import install_ui as install

    install(app)  # type: ignore[arg-type]
