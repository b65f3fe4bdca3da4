"""How the auth middleware answers a browser asking for a web page rather than the API.

A page request without valid credentials is sent to the sign-in page (``/login?next=...``);
an htmx request gets a 401 whose ``HX-Redirect`` header does the same; a refused page
request is answered by the web UI's error page when the app has one
(``app.state.error_page``). Everything else keeps the JSON error answer.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlsplit

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse, Response
from starlette.types import Scope

from cairn.errors import CairnError

LOGIN_PATH = "/login"

ErrorPage = Callable[[Scope, CairnError], Response]
"""What the web UI leaves on ``app.state.error_page``: the HTML answer to a refused page."""


def wants_page(scope: Scope) -> bool:
    """Whether a browser navigates to a web page (GET of HTML, outside ``/api``)."""
    if scope["method"] not in ("GET", "HEAD") or scope.get("path", "").startswith("/api/"):
        return False
    headers = Headers(scope=scope)
    return not headers.get("hx-request") and "text/html" in headers.get("accept", "")


def login_url(target: str) -> str:
    """The sign-in page, returning to ``target`` (a path on this server) afterwards."""
    return (
        f"{LOGIN_PATH}?next={quote(target, safe='/')}" if target and target != "/" else LOGIN_PATH
    )


def _target(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return scope.get("path", "/") + (f"?{query}" if query else "")


def sign_in_first(scope: Scope) -> Response | None:
    """The answer sending an unauthenticated browser to the sign-in page, or None for API calls."""
    headers = Headers(scope=scope)
    if headers.get("hx-request") and not scope.get("path", "").startswith("/api/"):
        current = urlsplit(headers.get("hx-current-url", ""))
        target = current.path + (f"?{current.query}" if current.query else "")
        return Response(status_code=401, headers={"HX-Redirect": login_url(target or "/")})
    if not wants_page(scope):
        return None
    return RedirectResponse(login_url(_target(scope)), status_code=303)


def refusal_page(scope: Scope, err: CairnError) -> Response | None:
    """The web UI's error page for a refused page request, or None (JSON answers it)."""
    render: ErrorPage | None = getattr(scope["app"].state, "error_page", None)
    if render is None or not wants_page(scope):
        return None
    return render(scope, err)
