"""The application factory: one store per process, opened (and migrated) at start-up."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from cairn import __version__
from cairn.server import errors, limits

ENV_BACKEND = "CAIRN_SERVER_BACKEND_STORE_URI"
ENV_ARTIFACTS = "CAIRN_SERVER_ARTIFACTS_DESTINATION"
ENV_AUTH = "CAIRN_SERVER_AUTH"
ENV_DEFAULT_PERMISSION = "CAIRN_SERVER_DEFAULT_PERMISSION"
ENV_CORS_ORIGINS = "CAIRN_SERVER_CORS_ORIGINS"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where the server keeps metadata and artifacts, and whether it checks credentials."""

    backend_store_uri: str
    artifacts_destination: str | None = None
    auth: bool = False
    default_permission: str = "READ"
    cors_origins: tuple[str, ...] = ()  # none: browsers on other origins get no CORS headers

    @classmethod
    def from_env(cls) -> ServerSettings:
        """Settings handed to worker processes through the environment."""
        from cairn import config

        uri = os.environ.get(ENV_BACKEND) or config.resolve().tracking_uri
        return cls(
            uri,
            os.environ.get(ENV_ARTIFACTS) or None,
            auth=os.environ.get(ENV_AUTH, "") == "1",
            default_permission=os.environ.get(ENV_DEFAULT_PERMISSION) or "READ",
            cors_origins=tuple(o for o in os.environ.get(ENV_CORS_ORIGINS, "").split(",") if o),
        )

    def to_env(self) -> dict[str, str]:
        """The environment that makes :meth:`from_env` rebuild these settings."""
        env = {
            ENV_BACKEND: self.backend_store_uri,
            ENV_AUTH: "1" if self.auth else "0",
            ENV_DEFAULT_PERMISSION: self.default_permission,
            ENV_CORS_ORIGINS: ",".join(self.cors_origins),
        }
        if self.artifacts_destination:
            env[ENV_ARTIFACTS] = self.artifacts_destination
        return env


def create_app(settings: ServerSettings) -> FastAPI:
    """A FastAPI app serving ``settings``' store."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from cairn.store import open_store

        app.state.store = open_store(
            settings.backend_store_uri, artifact_root=settings.artifacts_destination
        )
        try:
            yield
        finally:
            app.state.store.close()

    from cairn.server import mlflow, v1

    app = FastAPI(title="cairn", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    errors.install(app)
    app.include_router(v1.router)
    app.include_router(mlflow.router)
    from cairn.ui.app import install_ui

    install_ui(app)  # the web UI: pages at /, /experiments, /runs ..., files under /static
    if settings.auth:
        from cairn.server import auth

        auth.install(app, settings.default_permission)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(limits.LimitBodies)  # outermost: bodies are bounded before auth reads them

    @app.get("/health", response_class=PlainTextResponse)
    async def health(request: Request) -> str:
        """OK once the store is open."""
        request.app.state.store.audit.head()
        return "OK"

    @app.get("/version")
    async def version() -> dict[str, str]:
        """The cairn version serving."""
        return {"version": __version__}

    return app


def app_from_env() -> FastAPI:
    """The factory uvicorn calls in each worker process."""
    return create_app(ServerSettings.from_env())
