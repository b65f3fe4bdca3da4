"""Signing in and out of the web UI (only meaningful with ``cairn server --auth``).

The form takes a user name and a password (or an API token in the password field). A
successful sign-in creates a 12-hour session token (:mod:`cairn.server.auth.sessions`) and
sets it as an HttpOnly, SameSite=Strict cookie; signing out revokes it. Why a token and not
a signed cookie: it needs no server secret shared between worker processes, it is revoked
for real on sign-out (or from the Account page), and the middleware already checks tokens.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cairn.errors import Unauthenticated
from cairn.server.auth import sessions
from cairn.server.deps import StoreDep
from cairn.ui.templating import auth_enabled, render

router = APIRouter()

MAX_FORM_BYTES = 16 * 1024
DEFAULT_NEXT = "/experiments"


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this server, else the experiments page (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return DEFAULT_NEXT
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith(("/login", "/logout")):
        return DEFAULT_NEXT
    return target


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form body (the sign-in form has no files), bounded in size."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _login_page(request: Request, next_url: str, error: str = "", username: str = "") -> Response:
    return render(
        request,
        "login.html",
        status_code=401 if error else 200,
        next_url=next_url,
        error=error,
        username=username,
    )


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    """The sign-in form; without ``--auth`` there is nothing to sign in to."""
    if not auth_enabled(request):
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, safe_next(next))


@router.post("/login")
async def login(request: Request, store: StoreDep) -> Response:
    """Check the credentials; on success set the session cookie and go on to ``next``."""
    if not auth_enabled(request):
        return RedirectResponse(DEFAULT_NEXT, status_code=303)
    form = await _form(request)
    next_url = safe_next(form.get("next"))
    username, password = form.get("username", "").strip(), form.get("password", "")
    if not sessions.origin_allows(request.headers):
        return _login_page(request, next_url, "This sign-in form was sent from another site; "
                           "open the sign-in page of this server and try again.", username)  # fmt: skip
    if not username or not password:
        return _login_page(request, next_url, "Enter your user name and password.", username)
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    authenticator = request.app.state.auth.authenticator
    try:
        user = await run_in_threadpool(authenticator.authenticate, f"Basic {credentials}")
    except Unauthenticated:
        return _login_page(
            request, next_url, "Wrong user name or password. Check both and try again.", username
        )
    session = await run_in_threadpool(sessions.start_session, store, user.username)
    answer = RedirectResponse(next_url, status_code=303)
    answer.set_cookie(
        sessions.SESSION_COOKIE,
        session,
        max_age=sessions.SESSION_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return answer


@router.post("/logout")
async def logout(request: Request, store: StoreDep) -> Response:
    """Revoke the session's token and forget the cookie."""
    answer = RedirectResponse("/login" if auth_enabled(request) else DEFAULT_NEXT, 303)
    session = sessions.session_of(request.headers)
    if session is not None:
        await run_in_threadpool(sessions.end_session, store, session)
    answer.delete_cookie(sessions.SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return answer
