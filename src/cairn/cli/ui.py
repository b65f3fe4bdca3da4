"""``cairn ui``: browse the project's runs in the web UI, like ``mlflow ui``."""

from __future__ import annotations

import click

from cairn.cli.server import listen_options, server


@click.command("ui")
@listen_options
@click.option(
    "--artifacts-destination",
    metavar="URL",
    help="Where new experiments keep artifacts. Default: the store's own artifact folder.",
)
@click.pass_context
def ui(
    ctx: click.Context,
    host: str,
    port: int,
    backend_store_uri: str | None,
    artifacts_destination: str | None,
) -> None:
    """Serve the web UI (and the API) for the local store on http://127.0.0.1:5000.

    The same as `cairn server` with one worker and no sign-in: open the address in a
    browser to find, compare and inspect runs. To share it with others, run
    `cairn server --auth` instead.
    """
    ctx.invoke(
        server,
        host=host,
        port=port,
        backend_store_uri=backend_store_uri,
        artifacts_destination=artifacts_destination,
        workers=1,
        log_level="warning",
        auth=False,
        default_permission="READ",
        cors_origins=(),
    )
