"""Managing accounts, tokens and grants: the checks shared by the CLI and the admin API.

Inputs are validated here, secrets hashed here, and only then handed to the store, so a
bad call changes nothing.
"""

from __future__ import annotations

import re

from cairn.errors import ConfigError, InvalidInput
from cairn.server.auth import passwords, tokens
from cairn.store import Store
from cairn.store.base import now_ms
from cairn.store.sql.auth import Grant, Permission, SqlAuthRepository, TokenInfo, User
from cairn.store.validation import validate_experiment_id

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,255}$")


def auth_of(store: Store) -> SqlAuthRepository:
    """The store's account tables; ConfigError for stores without them."""
    auth = getattr(store, "auth", None)
    if not isinstance(auth, SqlAuthRepository):
        raise ConfigError(
            f"authentication needs a SQL metadata store (sqlite, postgresql, mysql), not {store!r}"
        )
    return auth


def check_username(username: str) -> str:
    """``username`` if acceptable; InvalidInput naming the allowed characters otherwise."""
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"user name {username!r} must start with a letter or digit and hold only letters, "
            "digits and _ . @ + - (at most 256 characters)"
        )
    return username


def create_user(
    store: Store, username: str, password: str, is_admin: bool = False, actor: str | None = None
) -> User:
    """A new account with a hashed password."""
    check_username(username)
    passwords.check_password(password)
    return auth_of(store).create_user(
        username, passwords.hash_password(password), is_admin, actor=actor
    )


def set_password(store: Store, username: str, password: str, actor: str | None = None) -> User:
    """Replace an account's password."""
    passwords.check_password(password)
    auth = auth_of(store)
    auth.get_user(username)
    return auth.update_user(username, password_hash=passwords.hash_password(password), actor=actor)


def create_token(
    store: Store,
    username: str,
    name: str = "",
    expires_in: str | None = None,
    actor: str | None = None,
) -> tuple[str, TokenInfo]:
    """A new API token for ``username``: the token itself (show it once) and its record."""
    expiry = None if not expires_in else now_ms() + tokens.parse_duration(expires_in)
    if len(name) > 256:
        raise InvalidInput("a token name has at most 256 characters")
    token = tokens.new_token()
    info = auth_of(store).create_token(
        username,
        name,
        tokens.token_prefix(token),
        tokens.token_hash(token),
        expiry_time=expiry,
        actor=actor,
    )
    return token, info


def resource_of(experiment_id: str | None, registered_model: str | None) -> tuple[str, str]:
    """``(resource_type, resource_id)`` from exactly one of the two, ids in canonical form."""
    if (experiment_id is None) == (registered_model is None):
        raise InvalidInput("name exactly one resource: an experiment id or a registered model name")
    if experiment_id is not None:
        return "experiment", str(validate_experiment_id(experiment_id))
    return "registered_model", str(registered_model)


def grant(
    store: Store,
    username: str,
    resource: tuple[str, str],
    level: str,
    actor: str | None = None,
) -> Grant:
    """Give ``username`` a level on an existing experiment, or on a registered model name."""
    permission = Permission.parse(level)
    kind, resource_id = resource
    if kind == "experiment":
        resource_id = store.experiments.get_experiment(resource_id).experiment_id
    return auth_of(store).grant(username, kind, resource_id, permission, actor=actor)
