"""Browser sessions of ``cairn server --auth``: an API token in an HttpOnly cookie.

Signing in through the web UI creates an ordinary API token of the user, named
:data:`SESSION_TOKEN_NAME` and valid for :data:`SESSION_HOURS` hours, and hands it to the
browser as the ``cairn_session`` cookie (HttpOnly, SameSite=Strict). The middleware reads the
cookie as a Bearer token, so permissions, expiry and revocation work as for any token: the
Account page lists sessions beside the other tokens, and signing out revokes the token.

Requests authenticated by the cookie that change things (any method but GET, HEAD, OPTIONS)
must prove they come from cairn's own pages: either an ``X-Cairn-CSRF`` header holding the
session's CSRF token (which pages embed and only same-origin scripts can send), or an
``Origin`` header naming this server. SameSite=Strict already keeps the cookie off
cross-site requests; this is the second lock.
"""

from __future__ import annotations

import hashlib
import hmac
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import Scope

from cairn.errors import PermissionDenied
from cairn.server.auth import accounts, tokens
from cairn.store import Store

SESSION_COOKIE = "cairn_session"
CSRF_HEADER = "x-cairn-csrf"
SESSION_HOURS = 12
SESSION_TOKEN_NAME = "web session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_of(headers: Headers) -> str | None:
    """The session token carried by the request's cookie, or None."""
    raw = headers.get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    if morsel is None or not tokens.looks_like_token(morsel.value):
        return None
    return morsel.value


def csrf_token(session: str) -> str:
    """The CSRF token of a session: derived from it, so nothing more is stored."""
    return hashlib.sha256(b"cairn-csrf\0" + session.encode("utf-8")).hexdigest()[:40]


def same_origin(headers: Headers) -> bool:
    """Whether the request's ``Origin`` names the host it was sent to."""
    origin = headers.get("origin")
    if not origin or origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()


def origin_allows(headers: Headers) -> bool:
    """Whether a request without a session may change things: no ``Origin`` or our own."""
    return "origin" not in headers or same_origin(headers)


def check_unsafe_request(scope: Scope, session: str) -> None:
    """PermissionDenied unless a cookie-authenticated change comes from cairn's own pages."""
    if scope["method"] in SAFE_METHODS:
        return
    headers = Headers(scope=scope)
    sent = headers.get(CSRF_HEADER, "")
    if sent and hmac.compare_digest(sent, csrf_token(session)):
        return
    if same_origin(headers):
        return
    raise PermissionDenied(
        "cross-site request refused: changes made with the session cookie must come from "
        "cairn's own pages (send the X-Cairn-CSRF header, or use an API token)"
    )


def start_session(store: Store, username: str) -> str:
    """A new session token for ``username`` (a 12-hour API token); set it as the cookie.

    The user's spent sessions (expired or signed out) are deleted first, so signing in every
    day does not pile up dead tokens."""
    accounts.auth_of(store).purge_spent_tokens(username, SESSION_TOKEN_NAME, actor=username)
    token, _info = accounts.create_token(
        store, username, SESSION_TOKEN_NAME, f"{SESSION_HOURS}h", actor=username
    )
    return token


def end_session(store: Store, session: str) -> None:
    """Revoke the session's token (nothing happens for an unknown or revoked one)."""
    auth = accounts.auth_of(store)
    found = auth.find_token_by_hash(tokens.token_hash(session))
    if found is None:
        return
    info, user = found
    if info.revoked_time is None:
        auth.revoke_token(info.token_id, actor=user.username)
