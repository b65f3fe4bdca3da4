"""Users, API tokens and permission grants of ``cairn server --auth`` in the SQL store.

Only hashes reach this module: passwords and tokens are hashed by the caller
(:mod:`cairn.server.auth.passwords`, :mod:`cairn.server.auth.tokens`). Every change appends
an audit event in its own transaction; no payload carries a secret or a hash of one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cairn.errors import AlreadyExists, InvalidInput, NotFound, did_you_mean
from cairn.store.base import now_ms
from cairn.store.sql import schema as t
from cairn.store.sql.audit import append_event
from cairn.store.sql.engine import read_connection, run_write

RESOURCE_TYPES = ("experiment", "registered_model")


class Permission(enum.IntEnum):
    """What a user may do to one resource; each level includes the ones below it."""

    NO_PERMISSIONS = 0
    READ = 1
    EDIT = 2
    MANAGE = 3

    @classmethod
    def parse(cls, text: str, what: str = "permission level") -> Permission:
        """The level named ``text`` (any case); InvalidInput naming the choices otherwise."""
        name = str(text).strip().upper()
        if name in cls.__members__:
            return cls[name]
        choices = list(cls.__members__)
        raise InvalidInput(
            f"{what} {text!r} is not one of {', '.join(choices)}." + did_you_mean(name, choices)
        )


@dataclass(frozen=True, slots=True)
class User:
    """A server account; ``password_hash`` is the self-describing hash, never the password."""

    user_id: int
    username: str
    password_hash: str
    is_admin: bool
    creation_time: int


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What is kept of an API token: its owner, name, prefix and dates (not the token)."""

    token_id: int
    username: str
    name: str
    prefix: str
    creation_time: int
    expiry_time: int | None
    revoked_time: int | None

    def is_valid(self, at_ms: int) -> bool:
        """Neither revoked nor expired at ``at_ms``."""
        if self.revoked_time is not None:
            return False
        return self.expiry_time is None or at_ms < self.expiry_time


@dataclass(frozen=True, slots=True)
class Grant:
    """An explicit permission of one user on one resource."""

    username: str
    resource_type: str
    resource_id: str
    permission: Permission


def check_resource_type(resource_type: str) -> str:
    """``resource_type`` if known; InvalidInput otherwise."""
    if resource_type not in RESOURCE_TYPES:
        raise InvalidInput(
            f"resource type {resource_type!r} is not one of {', '.join(RESOURCE_TYPES)}"
        )
    return resource_type


def _user(row: Any) -> User:
    return User(
        int(row.user_id), row.username, row.password_hash, bool(row.is_admin), row.creation_time
    )


_TOKEN_COLUMNS = (
    t.auth_tokens.c.token_id,
    t.auth_users.c.username,
    t.auth_tokens.c.name,
    t.auth_tokens.c.prefix,
    t.auth_tokens.c.creation_time,
    t.auth_tokens.c.expiry_time,
    t.auth_tokens.c.revoked_time,
)
_TOKENS_JOIN = t.auth_tokens.join(t.auth_users, t.auth_tokens.c.user_id == t.auth_users.c.user_id)


def _token(row: Any) -> TokenInfo:
    return TokenInfo(
        int(row.token_id),
        row.username,
        row.name,
        row.prefix,
        row.creation_time,
        row.expiry_time,
        row.revoked_time,
    )


class SqlAuthRepository:
    """Users, tokens and grants in the ``auth_*`` tables."""

    def __init__(self, engine: sa.Engine, actor: str) -> None:
        self._engine = engine
        self._actor = actor

    # users

    def create_user(
        self, username: str, password_hash: str, is_admin: bool = False, actor: str | None = None
    ) -> User:
        """A new account; AlreadyExists if the name is taken."""

        def insert(conn: Connection) -> int:
            now = now_ms()
            try:
                result = conn.execute(
                    t.auth_users.insert().values(
                        username=username,
                        password_hash=password_hash,
                        is_admin=is_admin,
                        creation_time=now,
                        last_update_time=now,
                    )
                )
            except IntegrityError as exc:
                raise AlreadyExists(f"a user named {username!r} exists already") from exc
            append_event(
                conn,
                actor or self._actor,
                "user.create",
                f"user:{username}",
                {"username": username, "is_admin": is_admin},
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

        run_write(self._engine, insert)
        return self.get_user(username)

    def find_user(self, username: str) -> User | None:
        """The account named ``username``, or None."""
        with read_connection(self._engine) as conn:
            row = conn.execute(
                sa.select(t.auth_users).where(t.auth_users.c.username == username)
            ).first()
        return None if row is None else _user(row)

    def get_user(self, username: str) -> User:
        """The account named ``username``; NotFound otherwise."""
        found = self.find_user(username)
        if found is None:
            names = [user.username for user in self.list_users()]
            raise NotFound(f"no user is named {username!r}." + did_you_mean(username, names))
        return found

    def list_users(self) -> list[User]:
        """Every account, by name."""
        with read_connection(self._engine) as conn:
            rows = conn.execute(sa.select(t.auth_users).order_by(t.auth_users.c.username)).all()
        return [_user(row) for row in rows]

    def update_user(
        self,
        username: str,
        password_hash: str | None = None,
        is_admin: bool | None = None,
        actor: str | None = None,
    ) -> User:
        """Change an account's password hash and/or admin flag."""
        values: dict[str, Any] = {}
        if password_hash is not None:
            values["password_hash"] = password_hash
        if is_admin is not None:
            values["is_admin"] = is_admin
        if not values:
            raise InvalidInput("nothing to change: give a new password or an admin flag")
        # The payload names what changed, never the hash.
        payload = {"password_changed": password_hash is not None, "is_admin": is_admin}

        def update(conn: Connection) -> None:
            result = conn.execute(
                t.auth_users.update()
                .where(t.auth_users.c.username == username)
                .values(last_update_time=now_ms(), **values)
            )
            if result.rowcount == 0:
                raise NotFound(f"no user is named {username!r}")
            append_event(conn, actor or self._actor, "user.update", f"user:{username}", payload)

        run_write(self._engine, update)
        return self.get_user(username)

    def delete_user(self, username: str, actor: str | None = None) -> None:
        """Remove an account with its tokens and grants."""

        def delete(conn: Connection) -> None:
            user_id = self._user_id(conn, username)
            conn.execute(t.auth_permissions.delete().where(t.auth_permissions.c.user_id == user_id))
            conn.execute(t.auth_tokens.delete().where(t.auth_tokens.c.user_id == user_id))
            conn.execute(t.auth_users.delete().where(t.auth_users.c.user_id == user_id))
            append_event(conn, actor or self._actor, "user.delete", f"user:{username}", {})

        run_write(self._engine, delete)

    def _user_id(self, conn: Connection, username: str) -> int:
        found = conn.execute(
            sa.select(t.auth_users.c.user_id).where(t.auth_users.c.username == username)
        ).scalar()
        if found is None:
            raise NotFound(f"no user is named {username!r}")
        return int(found)

    # tokens

    def create_token(
        self,
        username: str,
        name: str,
        prefix: str,
        token_hash: str,
        expiry_time: int | None = None,
        actor: str | None = None,
    ) -> TokenInfo:
        """Record a token by its hash; the token itself is the caller's to show once."""

        def insert(conn: Connection) -> int:
            user_id = self._user_id(conn, username)
            result = conn.execute(
                t.auth_tokens.insert().values(
                    user_id=user_id,
                    name=name,
                    prefix=prefix,
                    token_hash=token_hash,
                    creation_time=now_ms(),
                    expiry_time=expiry_time,
                )
            )
            token_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            append_event(
                conn,
                actor or self._actor,
                "token.create",
                f"user:{username}",
                {"token_id": token_id, "name": name, "expiry_time": expiry_time},
            )
            return token_id

        return self.get_token(run_write(self._engine, insert))

    def get_token(self, token_id: int) -> TokenInfo:
        """One token's record; NotFound otherwise."""
        with read_connection(self._engine) as conn:
            row = conn.execute(
                sa.select(*_TOKEN_COLUMNS)
                .select_from(_TOKENS_JOIN)
                .where(t.auth_tokens.c.token_id == token_id)
            ).first()
        if row is None:
            raise NotFound(f"no API token has id {token_id}")
        return _token(row)

    def find_token_by_hash(self, token_hash: str) -> tuple[TokenInfo, User] | None:
        """The token with this hash and its owner, or None."""
        users = t.auth_users.c
        with read_connection(self._engine) as conn:
            row = conn.execute(
                sa.select(
                    *_TOKEN_COLUMNS,
                    users.user_id,
                    users.password_hash,
                    users.is_admin,
                    users.creation_time.label("user_creation_time"),
                )
                .select_from(_TOKENS_JOIN)
                .where(t.auth_tokens.c.token_hash == token_hash)
            ).first()
        if row is None:
            return None
        owner = User(
            int(row.user_id),
            row.username,
            row.password_hash,
            bool(row.is_admin),
            row.user_creation_time,
        )
        return _token(row), owner

    def list_tokens(self, username: str | None = None) -> list[TokenInfo]:
        """Tokens (revoked and expired ones too), of one user or of everyone."""
        query = sa.select(*_TOKEN_COLUMNS).select_from(_TOKENS_JOIN)
        if username is not None:
            self.get_user(username)
            query = query.where(t.auth_users.c.username == username)
        with read_connection(self._engine) as conn:
            rows = conn.execute(query.order_by(t.auth_tokens.c.token_id)).all()
        return [_token(row) for row in rows]

    def purge_spent_tokens(self, username: str, name: str, actor: str | None = None) -> int:
        """Delete ``username``'s tokens called ``name`` that expired or were revoked (e.g. old
        web sessions, one per sign-in); how many were deleted."""

        def purge(conn: Connection) -> int:
            tokens = t.auth_tokens.c
            now = now_ms()
            spent = sa.and_(
                tokens.user_id == self._user_id(conn, username),
                tokens.name == name,
                sa.or_(tokens.revoked_time.is_not(None), tokens.expiry_time <= now),
            )
            ids = list(conn.execute(sa.select(tokens.token_id).where(spent)).scalars())
            if ids:
                conn.execute(t.auth_tokens.delete().where(tokens.token_id.in_(ids)))
                append_event(
                    conn,
                    actor or self._actor,
                    "token.purge",
                    f"user:{username}",
                    {"token_ids": ids, "name": name},
                )
            return len(ids)

        return run_write(self._engine, purge)

    def revoke_token(self, token_id: int, actor: str | None = None) -> TokenInfo:
        """Refuse the token from now on (revoking twice keeps the first time)."""
        info = self.get_token(token_id)

        def revoke(conn: Connection) -> None:
            conn.execute(
                t.auth_tokens.update()
                .where(t.auth_tokens.c.token_id == token_id)
                .where(t.auth_tokens.c.revoked_time.is_(None))
                .values(revoked_time=now_ms())
            )
            append_event(
                conn,
                actor or self._actor,
                "token.revoke",
                f"user:{info.username}",
                {"token_id": token_id},
            )

        if info.revoked_time is None:
            run_write(self._engine, revoke)
        return self.get_token(token_id)

    # permissions

    def grant(
        self,
        username: str,
        resource_type: str,
        resource_id: str,
        permission: Permission,
        actor: str | None = None,
    ) -> Grant:
        """Set ``username``'s permission on one resource, replacing any earlier grant."""
        check_resource_type(resource_type)

        def upsert(conn: Connection) -> None:
            user_id = self._user_id(conn, username)
            key = self._grant_key(user_id, resource_type, resource_id)
            conn.execute(t.auth_permissions.delete().where(key))
            conn.execute(
                t.auth_permissions.insert().values(
                    user_id=user_id,
                    resource_type=resource_type,
                    resource_id=resource_id,
                    permission=permission.name,
                )
            )
            append_event(
                conn,
                actor or self._actor,
                "permission.grant",
                f"{resource_type}:{resource_id}",
                {"username": username, "permission": permission.name},
            )

        run_write(self._engine, upsert)
        return Grant(username, resource_type, resource_id, permission)

    def revoke(
        self, username: str, resource_type: str, resource_id: str, actor: str | None = None
    ) -> None:
        """Remove ``username``'s explicit grant on one resource; NotFound if there is none."""
        check_resource_type(resource_type)

        def delete(conn: Connection) -> None:
            user_id = self._user_id(conn, username)
            result = conn.execute(
                t.auth_permissions.delete().where(
                    self._grant_key(user_id, resource_type, resource_id)
                )
            )
            if result.rowcount == 0:
                raise NotFound(
                    f"user {username!r} has no explicit permission on "
                    f"{resource_type} {resource_id!r}"
                )
            append_event(
                conn,
                actor or self._actor,
                "permission.revoke",
                f"{resource_type}:{resource_id}",
                {"username": username},
            )

        run_write(self._engine, delete)

    @staticmethod
    def _grant_key(user_id: int, resource_type: str, resource_id: str) -> sa.ColumnElement[bool]:
        return sa.and_(
            t.auth_permissions.c.user_id == user_id,
            t.auth_permissions.c.resource_type == resource_type,
            t.auth_permissions.c.resource_id == resource_id,
        )

    def list_grants(
        self,
        username: str | None = None,
        resource_type: str | None = None,
        resource_id: str | None = None,
    ) -> list[Grant]:
        """Explicit grants, narrowed to one user and/or one resource."""
        query = sa.select(
            t.auth_users.c.username,
            t.auth_permissions.c.resource_type,
            t.auth_permissions.c.resource_id,
            t.auth_permissions.c.permission,
        ).select_from(
            t.auth_permissions.join(
                t.auth_users, t.auth_permissions.c.user_id == t.auth_users.c.user_id
            )
        )
        if username is not None:
            self.get_user(username)
            query = query.where(t.auth_users.c.username == username)
        if resource_type is not None:
            query = query.where(t.auth_permissions.c.resource_type == resource_type)
        if resource_id is not None:
            query = query.where(t.auth_permissions.c.resource_id == resource_id)
        query = query.order_by(
            t.auth_permissions.c.resource_type, t.auth_permissions.c.resource_id, "username"
        )
        with read_connection(self._engine) as conn:
            rows = conn.execute(query).all()
        return [Grant(r[0], r[1], r[2], Permission[r[3]]) for r in rows]

    def grants_of(self, user_id: int) -> dict[tuple[str, str], Permission]:
        """One user's explicit grants keyed by ``(resource_type, resource_id)``."""
        with read_connection(self._engine) as conn:
            rows = conn.execute(
                sa.select(
                    t.auth_permissions.c.resource_type,
                    t.auth_permissions.c.resource_id,
                    t.auth_permissions.c.permission,
                ).where(t.auth_permissions.c.user_id == user_id)
            ).all()
        return {(r[0], r[1]): Permission[r[2]] for r in rows}

    def experiment_ids(self) -> set[str]:
        """Every experiment id (for narrowing listings when the default is readable)."""
        with read_connection(self._engine) as conn:
            rows = conn.execute(sa.select(t.experiments.c.experiment_id)).scalars().all()
        return {str(value) for value in rows}

    def run_experiment_id(self, run_id: str) -> str | None:
        """The experiment a run belongs to, or None for an unknown run."""
        with read_connection(self._engine) as conn:
            found = conn.execute(
                sa.select(t.runs.c.experiment_id).where(t.runs.c.run_uuid == run_id)
            ).scalar()
        return None if found is None else str(found)

    def experiment_id_named(self, name: str) -> str | None:
        """The id of the experiment called ``name``, or None."""
        with read_connection(self._engine) as conn:
            found = conn.execute(
                sa.select(t.experiments.c.experiment_id).where(t.experiments.c.name == name)
            ).scalar()
        return None if found is None else str(found)

    def logged_model_experiment_id(self, model_id: str) -> str | None:
        """The experiment a logged model belongs to, or None for an unknown model."""
        with read_connection(self._engine) as conn:
            found = conn.execute(
                sa.select(t.logged_models.c.experiment_id).where(
                    t.logged_models.c.model_id == model_id
                )
            ).scalar()
        return None if found is None else str(found)

    def monitor_model(self, name: str) -> str | None:
        """The registered model a monitor watches, or None for an unknown monitor."""
        with read_connection(self._engine) as conn:
            found = conn.execute(
                sa.select(t.monitors.c.registered_model).where(t.monitors.c.name == name)
            ).scalar()
        return None if found is None else str(found)

    def alert_monitor_model(self, alert_id: int) -> str | None:
        """The registered model watched by the monitor of an alert, or None."""
        query = (
            sa.select(t.monitors.c.registered_model)
            .join(t.monitor_alerts, t.monitor_alerts.c.monitor_id == t.monitors.c.monitor_id)
            .where(t.monitor_alerts.c.alert_id == alert_id)
        )
        with read_connection(self._engine) as conn:
            found = conn.execute(query).scalar()
        return None if found is None else str(found)
