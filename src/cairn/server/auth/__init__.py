"""Authentication and per-resource permissions for ``cairn server --auth``.

:func:`install` puts the pieces on an app: the account routes, the middleware that checks
every request against :data:`~cairn.server.auth.rules.RULES`, and the start-up step that
opens the account tables of the app's store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware

__all__ = ["install"]


def install(app: FastAPI, default_permission: str) -> None:
    """Require credentials and permissions on every route of ``app``."""
    from cairn.server.auth import routes
    from cairn.server.auth.accounts import auth_of
    from cairn.server.auth.authenticate import Authenticator
    from cairn.server.auth.middleware import AuthMiddleware, AuthState
    from cairn.server.auth.resolvers import Lookups
    from cairn.server.auth.route_index import index_routes
    from cairn.store.sql.auth import Permission

    default = Permission.parse(default_permission, "default permission")
    app.include_router(routes.router)
    # Innermost of the app's own middleware, so that its unexpected errors are contained too.
    app.user_middleware.append(Middleware(AuthMiddleware))
    opened = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with opened(app) as state:
            store = app.state.store
            auth = auth_of(store)
            lookups = Lookups(auth, store.default_artifact_root)
            routes = index_routes(app.routes)
            app.state.auth = AuthState(Authenticator(auth), lookups, default, routes)
            yield state

    app.router.lifespan_context = lifespan
