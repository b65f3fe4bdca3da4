"""The Account page: the signed-in user's API tokens (and browser sessions), to create and
revoke. The token list is read here; creating and revoking call the account API
(``/api/v1/auth/...``) from the browser, so the API's rules apply."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cairn.server.auth import sessions, tokens
from cairn.server.auth.accounts import auth_of
from cairn.server.deps import StoreDep
from cairn.store.base import now_ms
from cairn.ui.templating import render, signed_in_user

router = APIRouter()


@router.get("/account")
def account_page(request: Request, store: StoreDep) -> Response:
    """Who you are and your tokens; without ``--auth`` the page says tokens need it."""
    user = signed_in_user(request)
    if user is None:
        return render(request, "account.html", tokens=[], current_prefix="", now=now_ms())
    session = sessions.session_of(request.headers)
    found = auth_of(store).list_tokens(user.username)
    return render(
        request,
        "account.html",
        tokens=sorted(found, key=lambda t: t.token_id, reverse=True),
        current_prefix=tokens.token_prefix(session) if session else "",
        session_name=sessions.SESSION_TOKEN_NAME,
        now=now_ms(),
    )
