"""Helpers of the auth tests: three accounts (admin, alice, bob) and clients signed in as them."""

from __future__ import annotations

import functools
from contextlib import ExitStack
from dataclasses import dataclass, field

import httpx

from cairn.server.auth import passwords
from cairn.server.live import LiveServer
from cairn.store.sql import SqlStore

PASSWORDS = {"admin": "admin-password", "alice": "alice-password", "bob": "bob-password"}


@dataclass
class AuthServer:
    """A running server with auth on, its store URI and HTTP clients for its users."""

    url: str
    uri: str
    server: LiveServer
    _clients: ExitStack = field(default_factory=ExitStack)

    def client(
        self, user: str | None = None, *, password: str | None = None, token: str | None = None
    ) -> httpx.Client:
        """A client sending Basic credentials for ``user`` (or a Bearer ``token``, or none)."""
        auth: httpx.Auth | None = None
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        elif user is not None:
            auth = httpx.BasicAuth(user, password if password is not None else PASSWORDS[user])
        client = httpx.Client(base_url=self.url, auth=auth, headers=headers, timeout=30)
        return self._clients.enter_context(client)

    def close(self) -> None:
        """Close the clients made so far."""
        self._clients.close()

    def store(self) -> SqlStore:
        """The server's store, opened a second time (close it)."""
        return SqlStore(self.uri)


@functools.cache
def _password_hash(password: str) -> str:
    return passwords.hash_password(password)  # scrypt is slow on purpose: once per session


def create_accounts(uri: str) -> None:
    """admin (an admin), alice and bob, with the passwords of PASSWORDS."""
    with SqlStore(uri) as store:
        for name, password in PASSWORDS.items():
            store.auth.create_user(name, _password_hash(password), is_admin=name == "admin")
