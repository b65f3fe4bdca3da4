"""``cairn server``: serve the store over HTTP, and manage its users, tokens and permissions."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any

import click

from cairn.cli import SuggestingGroup, get_client, output
from cairn.errors import AlreadyExists

if TYPE_CHECKING:
    from cairn.store import Store

LEVELS = ["NO_PERMISSIONS", "READ", "EDIT", "MANAGE"]

backend_option = click.option(
    "--backend-store-uri",
    metavar="URI",
    help="Metadata store (sqlite:///..., postgresql://...). Default: the project's .cairn/.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")


def listen_options(command: Any) -> Any:
    """``--host``, ``--port`` and ``--backend-store-uri``: where a server listens and what it
    serves (``cairn server`` and ``cairn ui``)."""
    command = backend_option(command)
    command = click.option(
        "--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
        help="Port to listen on.",
    )(command)  # fmt: skip
    return click.option(
        "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
    )(command)


def _store_uri(backend_store_uri: str | None) -> str:
    uri = backend_store_uri or get_client().tracking_uri
    if uri.startswith(("http://", "https://")):
        raise click.BadParameter(
            "a server cannot serve another server; name its database",
            param_hint="--backend-store-uri",
        )
    return uri


@contextmanager
def _opened(backend_store_uri: str | None) -> Iterator[Store]:
    from cairn.store import open_store

    store = open_store(_store_uri(backend_store_uri))
    try:
        yield store
    finally:
        store.close()


def with_store(fn: Callable[..., None]) -> Callable[..., None]:
    """Add ``--backend-store-uri`` and hand the opened store to the command as ``store``."""

    @backend_option
    @wraps(fn)
    def command(backend_store_uri: str | None, **kwargs: Any) -> None:
        with _opened(backend_store_uri) as store:
            fn(store=store, **kwargs)

    return command


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group("server", cls=SuggestingGroup, invoke_without_command=True)
@listen_options
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
@click.option(
    "--auth",
    is_flag=True,
    help="Require credentials (HTTP Basic or a Bearer token) and check permissions on every "
    "request but /health.",
)
@click.option(
    "--default-permission",
    type=click.Choice(LEVELS, case_sensitive=False),
    default="READ",
    show_default=True,
    help="With --auth: a user's level on an experiment or registered model without an explicit "
    "grant (NO_PERMISSIONS keeps them private to their creators).",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Allow browsers on this origin (e.g. https://notebooks.example.com) to call the API; "
    "repeatable. CORS is off unless given.",
)
@click.pass_context
def server(
    ctx: click.Context,
    host: str,
    port: int,
    backend_store_uri: str | None,
    artifacts_destination: str | None,
    workers: int,
    log_level: str,
    auth: bool,
    default_permission: str,
    cors_origins: tuple[str, ...],
) -> None:
    """Serve the tracking store over HTTP, and manage its accounts.

    Schema migrations run at start-up. With --auth every request but /health needs
    credentials; the subcommands manage the users, API tokens and permissions it checks.
    """
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn  # missing: the root command names the extra to install

    from cairn.server.app import ServerSettings

    uri = _store_uri(backend_store_uri)
    for origin in cors_origins:
        if not origin.startswith(("http://", "https://")) or origin.count("/") > 2:
            raise click.BadParameter(
                f"{origin!r} is not an origin; give scheme and host, e.g. https://app.example.com",
                param_hint="--cors-origin",
            )
    settings = ServerSettings(
        uri,
        artifacts_destination,
        auth=auth,
        default_permission=default_permission.upper(),
        cors_origins=cors_origins,
    )
    # Open (and migrate) once here, so that a bad URI fails before uvicorn starts.
    from cairn.store import open_store

    with open_store(uri, artifact_root=artifacts_destination) as store:
        if auth:
            _check_auth_store(store)
    os.environ.update(settings.to_env())
    guarded = " with authentication" if auth else ""
    click.echo(f"cairn server on http://{host}:{port}{guarded} (store: {uri})", err=True)
    uvicorn.run(
        "cairn.server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )


def _check_auth_store(store: Store) -> None:
    from cairn.server.auth.accounts import auth_of

    if not any(user.is_admin for user in auth_of(store).list_users()):
        output.note(
            "No admin account yet: create one with `cairn server users create NAME --admin`."
        )


# -- users ---------------------------------------------------------------------------------------


@server.group(cls=SuggestingGroup)
def users() -> None:
    """Accounts of a server run with --auth."""


@users.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="May do anything, including managing accounts.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from stdin instead of a prompt."
)
@with_store
def create_user(store: Store, username: str, admin: bool, password_stdin: bool) -> None:
    """Create an account (the password is asked twice, or read from stdin)."""
    from cairn.server.auth import accounts

    # Refuse a bad or taken name before asking for the password.
    accounts.check_username(username)
    if accounts.auth_of(store).find_user(username) is not None:
        raise AlreadyExists(f"a user named {username!r} exists already")
    user = accounts.create_user(store, username, _read_password(password_stdin), admin)
    role = "admin" if user.is_admin else "user"
    output.say(f"Created {role} {user.username!r}.")


@users.command("list")
@json_option
@with_store
def list_users(store: Store, as_json: bool) -> None:
    """List accounts."""
    from cairn.server.auth import accounts

    found = accounts.auth_of(store).list_users()
    if as_json:
        output.print_json(
            [
                {
                    "username": u.username,
                    "is_admin": u.is_admin,
                    "created": output.iso_utc(u.creation_time),
                }
                for u in found
            ]
        )
        return
    grid = output.table("user", "admin", "created")
    for user in found:
        grid.add_row(
            output.esc(user.username),
            "yes" if user.is_admin else "",
            output.iso_local(user.creation_time),
        )
    output.show(grid)


@users.command("delete")
@click.argument("username")
@with_store
def delete_user(store: Store, username: str) -> None:
    """Delete an account with its tokens and permissions."""
    from cairn.server.auth import accounts

    accounts.auth_of(store).delete_user(username)
    output.say(f"Deleted user {username!r}.")


@users.command("set-password")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from stdin instead of a prompt."
)
@with_store
def set_password(store: Store, username: str, password_stdin: bool) -> None:
    """Replace an account's password."""
    from cairn.server.auth import accounts

    accounts.auth_of(store).get_user(username)
    accounts.set_password(store, username, _read_password(password_stdin))
    output.say(f"Changed the password of {username!r}.")


# -- tokens --------------------------------------------------------------------------------------


@server.group(cls=SuggestingGroup)
def tokens() -> None:
    """API tokens (for Bearer authentication, or as a Basic password)."""


@tokens.command("create")
@click.option("--user", "username", required=True, help="The account the token acts as.")
@click.option("--name", default="", help="A label to recognise the token by.")
@click.option(
    "--expires-in", metavar="DURATION", help="e.g. 12h, 30d or 2w. Default: never expires."
)
@with_store
def create_token(store: Store, username: str, name: str, expires_in: str | None) -> None:
    """Create a token and print it; it is shown only this once."""
    from cairn.server.auth import accounts

    token, info = accounts.create_token(store, username, name, expires_in)
    output.say(token)
    until = f", expires {output.iso_local(info.expiry_time)}" if info.expiry_time else ""
    output.note(f"Token {info.token_id} for {username!r}{until}. Store it now: it is not kept.")


@tokens.command("list")
@click.option("--user", "username", help="Only this account's tokens.")
@json_option
@with_store
def list_tokens(store: Store, username: str | None, as_json: bool) -> None:
    """List tokens by prefix, with their dates (never the tokens)."""
    from cairn.server.auth import accounts
    from cairn.store.base import now_ms

    now = now_ms()
    found = accounts.auth_of(store).list_tokens(username)
    rows = [
        {
            "token_id": t.token_id,
            "user": t.username,
            "name": t.name,
            "prefix": t.prefix,
            "created": output.iso_utc(t.creation_time),
            "expires": output.iso_utc(t.expiry_time),
            "status": "revoked" if t.revoked_time else ("active" if t.is_valid(now) else "expired"),
        }
        for t in found
    ]
    if as_json:
        output.print_json(rows)
        return
    grid = output.table("id", "user", "name", "prefix", "created", "expires", "status")
    for token, row in zip(found, rows, strict=True):
        grid.add_row(
            str(token.token_id),
            output.esc(token.username),
            output.esc(token.name),
            f"{token.prefix}…",
            output.iso_local(token.creation_time),
            output.iso_local(token.expiry_time) if token.expiry_time else "never",
            str(row["status"]),
        )
    output.show(grid)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@with_store
def revoke_token(store: Store, token_id: int) -> None:
    """Refuse a token from now on."""
    from cairn.server.auth import accounts

    info = accounts.auth_of(store).revoke_token(token_id)
    output.say(f"Revoked token {info.token_id} ({info.prefix}…) of {info.username!r}.")


# -- permissions ---------------------------------------------------------------------------------


def resource_options(fn: Callable[..., None]) -> Callable[..., None]:
    """``--experiment ID`` and ``--registered-model NAME``."""
    fn = click.option(
        "--registered-model", "registered_model", metavar="NAME", help="A registered model."
    )(fn)
    return click.option("--experiment", "experiment_id", metavar="ID", help="An experiment id.")(fn)


@server.group(cls=SuggestingGroup)
def permissions() -> None:
    """Per-experiment and per-registered-model permissions."""


@permissions.command("grant")
@click.option("--user", "username", required=True, help="Who gets the permission.")
@resource_options
@click.option(
    "--level",
    required=True,
    metavar="LEVEL",
    help="READ, EDIT, MANAGE (or NO_PERMISSIONS, to refuse what the default allows).",
)
@with_store
def grant(
    store: Store, username: str, experiment_id: str | None, registered_model: str | None, level: str
) -> None:
    """Give a user a level on one experiment or registered model."""
    from cairn.server.auth import accounts

    resource = accounts.resource_of(experiment_id, registered_model)
    found = accounts.grant(store, username, resource, level)
    output.say(
        f"Granted {found.permission.name} on {found.resource_type.replace('_', ' ')} "
        f"{found.resource_id!r} to {username!r}."
    )


@permissions.command("revoke")
@click.option("--user", "username", required=True, help="Whose permission to remove.")
@resource_options
@with_store
def revoke(
    store: Store, username: str, experiment_id: str | None, registered_model: str | None
) -> None:
    """Remove a user's explicit grant (the default permission applies again)."""
    from cairn.server.auth import accounts

    kind, resource_id = accounts.resource_of(experiment_id, registered_model)
    accounts.auth_of(store).revoke(username, kind, resource_id)
    output.say(
        f"Revoked the permission of {username!r} on {kind.replace('_', ' ')} {resource_id!r}."
    )


@permissions.command("list")
@click.option("--user", "username", help="Only this user's grants.")
@resource_options
@json_option
@with_store
def list_permissions(
    store: Store,
    username: str | None,
    experiment_id: str | None,
    registered_model: str | None,
    as_json: bool,
) -> None:
    """List explicit grants."""
    from cairn.server.auth import accounts

    kind = resource_id = None
    if experiment_id is not None or registered_model is not None:
        kind, resource_id = accounts.resource_of(experiment_id, registered_model)
    found = accounts.auth_of(store).list_grants(username, kind, resource_id)
    rows = [
        {
            "user": g.username,
            "resource_type": g.resource_type,
            "resource": g.resource_id,
            "level": g.permission.name,
        }
        for g in found
    ]
    if as_json:
        output.print_json(rows)
        return
    grid = output.table("user", "resource type", "resource", "level")
    for row in rows:
        grid.add_row(*(output.esc(value) for value in row.values()))
    output.show(grid)
