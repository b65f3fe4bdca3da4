"""The account API under ``/api/v1/auth`` (served only with ``--auth``).

Who may call what is decided by the rules like everywhere else: admins manage accounts,
every user manages their own password and tokens, and MANAGE on a resource lets a user
grant and revoke permissions on it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from cairn.server.auth import accounts
from cairn.server.auth.access import Access
from cairn.server.deps import StoreDep
from cairn.store.sql.auth import Grant, TokenInfo, User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewUser(_Body):
    username: str
    password: str
    is_admin: bool = False


class UserChange(_Body):
    is_admin: bool


class NewPassword(_Body):
    password: str


class NewToken(_Body):
    name: str = ""
    expires_in: str | None = Field(default=None, description="e.g. 12h, 30d, 2w")


class GrantBody(_Body):
    username: str
    experiment_id: str | None = None
    registered_model_name: str | None = None
    level: str = "READ"


class RevokeBody(_Body):
    username: str
    experiment_id: str | None = None
    registered_model_name: str | None = None


def _access(request: Request) -> Access:
    return request.state.access  # type: ignore[no-any-return]


def user_out(user: User) -> dict[str, Any]:
    """An account as JSON, without its password hash."""
    return {
        "username": user.username,
        "is_admin": user.is_admin,
        "creation_time": user.creation_time,
    }


def token_out(token: TokenInfo) -> dict[str, Any]:
    """A token's record as JSON (never the token)."""
    return asdict(token)


def grant_out(grant: Grant) -> dict[str, Any]:
    """A grant as JSON."""
    return {
        "username": grant.username,
        "resource_type": grant.resource_type,
        "resource_id": grant.resource_id,
        "level": grant.permission.name,
    }


@router.get("/whoami")
def whoami(request: Request) -> dict[str, Any]:
    """The caller's account."""
    return user_out(_access(request).user)


@router.get("/users")
def list_users(store: StoreDep) -> dict[str, Any]:
    """Every account."""
    return {"users": [user_out(u) for u in accounts.auth_of(store).list_users()]}


@router.post("/users")
def create_user(body: NewUser, request: Request, store: StoreDep) -> dict[str, Any]:
    """A new account."""
    actor = _access(request).username
    return user_out(
        accounts.create_user(store, body.username, body.password, body.is_admin, actor=actor)
    )


@router.get("/users/{username}")
def get_user(username: str, store: StoreDep) -> dict[str, Any]:
    """One account."""
    return user_out(accounts.auth_of(store).get_user(username))


@router.patch("/users/{username}")
def update_user(
    username: str, body: UserChange, request: Request, store: StoreDep
) -> dict[str, Any]:
    """Make an account an admin, or not."""
    auth = accounts.auth_of(store)
    return user_out(
        auth.update_user(username, is_admin=body.is_admin, actor=_access(request).username)
    )


@router.delete("/users/{username}")
def delete_user(username: str, request: Request, store: StoreDep) -> dict[str, bool]:
    """Remove an account with its tokens and grants."""
    accounts.auth_of(store).delete_user(username, actor=_access(request).username)
    return {"ok": True}


@router.put("/users/{username}/password")
def set_password(
    username: str, body: NewPassword, request: Request, store: StoreDep
) -> dict[str, bool]:
    """Replace an account's password."""
    accounts.set_password(store, username, body.password, actor=_access(request).username)
    return {"ok": True}


@router.get("/users/{username}/tokens")
def list_tokens(username: str, store: StoreDep) -> dict[str, Any]:
    """An account's tokens (prefixes and dates only)."""
    return {"tokens": [token_out(t) for t in accounts.auth_of(store).list_tokens(username)]}


@router.post("/users/{username}/tokens")
def create_token(
    username: str, body: NewToken, request: Request, store: StoreDep
) -> dict[str, Any]:
    """A new API token; the answer is the only place it is ever shown."""
    token, info = accounts.create_token(
        store, username, body.name, body.expires_in, actor=_access(request).username
    )
    return {"token": token, **token_out(info)}


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: int, request: Request, store: StoreDep) -> dict[str, Any]:
    """Refuse a token from now on."""
    auth = accounts.auth_of(store)
    return token_out(auth.revoke_token(token_id, actor=_access(request).username))


@router.get("/users/{username}/permissions")
def list_user_permissions(username: str, store: StoreDep) -> dict[str, Any]:
    """An account's explicit grants."""
    grants = accounts.auth_of(store).list_grants(username=username)
    return {"permissions": [grant_out(g) for g in grants]}


@router.get("/permissions")
def list_permissions(
    store: StoreDep, experiment_id: str | None = None, registered_model_name: str | None = None
) -> dict[str, Any]:
    """The explicit grants on one experiment or registered model."""
    kind, resource_id = accounts.resource_of(experiment_id, registered_model_name)
    grants = accounts.auth_of(store).list_grants(resource_type=kind, resource_id=resource_id)
    return {"permissions": [grant_out(g) for g in grants]}


@router.put("/permissions")
def grant(body: GrantBody, request: Request, store: StoreDep) -> dict[str, Any]:
    """Give a user a level on one experiment or registered model."""
    resource = accounts.resource_of(body.experiment_id, body.registered_model_name)
    found = accounts.grant(
        store, body.username, resource, body.level, actor=_access(request).username
    )
    return grant_out(found)


@router.post("/permissions/revoke")
def revoke(body: RevokeBody, request: Request, store: StoreDep) -> dict[str, bool]:
    """Remove a user's explicit grant on one experiment or registered model."""
    kind, resource_id = accounts.resource_of(body.experiment_id, body.registered_model_name)
    accounts.auth_of(store).revoke(
        body.username, kind, resource_id, actor=_access(request).username
    )
    return {"ok": True}
