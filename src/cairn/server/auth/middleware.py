"""The ASGI middleware of ``cairn server --auth``: authenticate, then authorise, every request.

It matches the request to its route the way the router will, looks the route's rule up in
:data:`cairn.server.auth.rules.RULES` (a route without a rule is refused), reads the JSON
body when the rule needs it and replays it to the app, and leaves the caller's
:class:`~cairn.server.auth.access.Access` on ``request.state.access``. Answers that create a
resource are held back until the creator's MANAGE grant is stored, so the creator's next
request already finds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.errors import CairnError, PermissionDenied, Unauthenticated
from cairn.server.auth import pages, sessions
from cairn.server.auth.access import Access, Resource
from cairn.server.auth.authenticate import Authenticator
from cairn.server.auth.policy import Rule, check
from cairn.server.auth.resolvers import Lookups, RequestFacts
from cairn.server.auth.route_index import IndexedRoute, match
from cairn.server.auth.rules import rule_for
from cairn.server.errors import error_response
from cairn.store.base import acting_as
from cairn.store.sql.auth import Permission

CHALLENGE = 'Basic realm="cairn"'


@dataclass
class AuthState:
    """What the middleware keeps per app, set up at start-up once every route is declared."""

    authenticator: Authenticator
    lookups: Lookups
    default: Permission
    routes: list[IndexedRoute]


class AuthMiddleware:
    """Refuse what the caller may not do; pass the rest to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self._handle(scope, receive, send)
        except Unauthenticated as err:
            response = pages.sign_in_first(scope)
            if response is None:
                response = error_response(err.code, err.message, err.http_status)
                response.headers["WWW-Authenticate"] = CHALLENGE
            await response(scope, receive, send)
        except CairnError as err:
            response = pages.refusal_page(scope, err)
            if response is None:
                response = error_response(err.code, err.message, err.http_status)
            await response(scope, receive, send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: AuthState = scope["app"].state.auth
        route, path_params = match(state.routes, scope)
        rule = rule_for(scope["method"], route.path) if route is not None else None
        if rule is not None and rule.public:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        header = headers.get("authorization")
        session = None if header else sessions.session_of(headers)
        if session is not None:  # the web UI's cookie: a token, checked like any other
            header = f"Bearer {session}"
        user = await run_in_threadpool(state.authenticator.authenticate, header)
        if session is not None:
            sessions.check_unsafe_request(scope, session)
        grants = await run_in_threadpool(state.lookups.auth.grants_of, user.user_id)
        access = Access(user, grants, state.default, state.lookups.auth)
        scope.setdefault("state", {})["access"] = access
        acting_as.set(user.username)  # this request's task only: its audit events name them
        if route is None:  # no such endpoint (404) or method (405): the router says which
            await self.app(scope, receive, send)
            return
        if rule is None:
            raise PermissionDenied(
                f"no permission rule covers {scope['method']} {route.path}; refused"
            )
        body, receive = await _read_json(scope, receive, rule)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        facts = RequestFacts(path_params, query, body)
        resolved = await run_in_threadpool(check, rule, access, facts, state.lookups)
        if rule.creates is not None and not resolved:
            await self._create(scope, receive, send, rule, access)
        else:
            await self.app(scope, receive, send)

    async def _create(
        self, scope: Scope, receive: Receive, send: Send, rule: Rule, access: Access
    ) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        if start is not None and 200 <= start["status"] < 300:
            body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
            created = _created(rule, body)
            if created is not None:
                await run_in_threadpool(access.grant_creator, created)
        for message in held:
            await send(message)


def _created(rule: Rule, body: bytes) -> Resource | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return rule.creates(payload) if rule.creates is not None else None


async def _read_json(scope: Scope, receive: Receive, rule: Rule) -> tuple[Any, Receive]:
    """The JSON body when the rule reads fields and the request carries JSON, and a replay."""
    if not (rule.needs or rule.admin_fields) or scope["method"] in ("GET", "HEAD"):
        return None, receive
    # As FastAPI decides: no content type, or one naming JSON, means a JSON body.
    content_type = Headers(scope=scope).get("content-type", "application/json")
    if "json" not in content_type.split(";")[0].lower():
        return None, receive
    chunks: list[bytes] = []  # bounded by cairn.server.limits, which wraps this middleware
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, receive
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    raw = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": raw, "more_body": False}

    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        body = None  # the route refuses it; the rule sees no fields
    return body, replay
