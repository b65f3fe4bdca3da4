"""``cairn server``: serve the store over HTTP (FastAPI + uvicorn)."""

from __future__ import annotations

import os

import click

from cairn.cli import get_client


@click.command("server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.option(
    "--backend-store-uri",
    metavar="URI",
    help="Metadata store (sqlite:///..., postgresql://...). Default: the project's .cairn/.",
)
@click.option(
    "--artifacts-destination",
    metavar="URL",
    help="Where new experiments keep artifacts (a folder or any fsspec URL such as s3://...).",
)
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes."
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="Server log level.",
)
def server(
    host: str,
    port: int,
    backend_store_uri: str | None,
    artifacts_destination: str | None,
    workers: int,
    log_level: str,
) -> None:
    """Serve the tracking store over HTTP; schema migrations run at start-up."""
    try:
        import uvicorn
    except ImportError as exc:
        raise click.UsageError("the server needs its extra: pip install 'cairn[server]'") from exc
    from cairn.server.app import ENV_ARTIFACTS, ENV_BACKEND

    uri = backend_store_uri or get_client().tracking_uri
    if uri.startswith(("http://", "https://")):
        raise click.BadParameter(
            "a server cannot serve another server", param_hint="--backend-store-uri"
        )
    # Open (and migrate) once here, so that a bad URI fails before uvicorn starts.
    from cairn.store import open_store

    open_store(uri, artifact_root=artifacts_destination).close()
    os.environ[ENV_BACKEND] = uri
    if artifacts_destination:
        os.environ[ENV_ARTIFACTS] = artifacts_destination
    click.echo(f"cairn server on http://{host}:{port} (store: {uri})", err=True)
    uvicorn.run(
        "cairn.server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )
