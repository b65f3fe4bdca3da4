"""The one Jinja2 environment of the web UI, and :func:`render`, which every page answers with.

Templates live in ``cairn/ui/templates`` (autoescaped); pages extend ``base.html`` and fill
its ``title``, ``head``, ``content`` and ``scripts`` blocks. Every template sees ``nav``
(the navigation entries with the active one marked), ``user`` (the signed-in user or None),
``auth_enabled``, ``csrf_token`` (empty without a session) and ``static_url(path)``, plus the
helpers :func:`cairn.ui.formatting` registers as filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import Headers

from cairn import __version__
from cairn.server.auth import sessions
from cairn.ui import formatting, nav
from cairn.ui.static_files import STATIC_DIR, asset_version

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class NavLink:
    """A navigation entry as a template shows it."""

    label: str
    href: str
    active: bool


@cache
def environment() -> Environment:
    """The UI's Jinja2 environment (autoescape on, undefined names are errors)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    env.globals["cairn_version"] = __version__
    env.filters.update(formatting.FILTERS)
    return env


def static_url(path: str) -> str:
    """The URL of a file under ``static/``, versioned so that browsers may cache it for long."""
    if not (STATIC_DIR / path).is_file():
        raise ValueError(f"no static file {path!r} in {STATIC_DIR}")
    return f"/static/{path}?v={asset_version()}"


def signed_in_user(request: Request) -> Any:
    """The authenticated user of the request (with ``--auth``), or None."""
    access = getattr(request.state, "access", None)
    return None if access is None else access.user


def auth_enabled(request: Request) -> bool:
    """Whether the server checks credentials."""
    settings = getattr(request.app.state, "settings", None)
    return bool(getattr(settings, "auth", False))


def csrf_token_of(headers: Headers) -> str:
    """The CSRF token of the request's session cookie, or an empty string."""
    session = sessions.session_of(headers)
    return "" if session is None else sessions.csrf_token(session)


def page_context(request: Request) -> dict[str, Any]:
    """What every template sees, for this request."""
    path = request.url.path
    return {
        "request": request,
        "nav": [NavLink(e.label, e.href, e.is_active(path)) for e in nav.entries()],
        "user": signed_in_user(request),
        "auth_enabled": auth_enabled(request),
        "csrf_token": csrf_token_of(request.headers),
    }


def render(
    request: Request,
    template_name: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The template filled with ``context`` and :func:`page_context`, as an HTML answer."""
    template = environment().get_template(template_name)
    html = template.render({**page_context(request), **context})
    answer = HTMLResponse(html, status_code=status_code, headers=headers)
    answer.headers.setdefault("Cache-Control", "no-store")
    answer.headers.setdefault("Vary", "HX-Request, Cookie")
    return answer
