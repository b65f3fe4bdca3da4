"""Who is calling: HTTP Basic (password or API token as the password) or a Bearer token.

Checking a password costs a deliberate ~0.1 s of scrypt, and MLflow clients send Basic
credentials with every request; so the outcome for a (user, password) pair is remembered
under a keyed hash, together with the stored hash it was checked against, and reused only
while that stored hash is unchanged (a new password forgets every earlier outcome).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict

from cairn.errors import Unauthenticated
from cairn.server.auth import passwords, tokens
from cairn.store.base import now_ms
from cairn.store.sql.auth import SqlAuthRepository, User

_CACHE_SIZE = 1024
# Checked when the user does not exist, so that unknown names take as long as wrong passwords.
_DUMMY_HASH = passwords.hash_password(secrets.token_urlsafe(16))


class Authenticator:
    """Turns an ``Authorization`` header into a :class:`User`, or raises Unauthenticated."""

    def __init__(self, auth: SqlAuthRepository) -> None:
        self._auth = auth
        self._key = secrets.token_bytes(32)
        self._checked: OrderedDict[bytes, tuple[str, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def authenticate(self, header: str | None) -> User:
        """The user the header names; Unauthenticated for none, malformed or wrong ones."""
        if not header:
            raise Unauthenticated("this server requires credentials (HTTP Basic or a Bearer token)")
        scheme, _, value = header.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            return self._by_token(value.strip(), username=None)
        if scheme == "basic":
            username, password = _decode_basic(value.strip())
            if tokens.looks_like_token(password):
                found = self._token_user(password, username)
                if found is not None:
                    return found
            return self._by_password(username, password)
        raise Unauthenticated(f"unsupported authorization scheme {scheme!r}; use Basic or Bearer")

    def _by_token(self, token: str, username: str | None) -> User:
        found = self._token_user(token, username)
        if found is None:
            raise Unauthenticated("the API token is unknown, revoked or expired")
        return found

    def _token_user(self, token: str, username: str | None) -> User | None:
        found = self._auth.find_token_by_hash(tokens.token_hash(token))
        if found is None:
            return None
        info, user = found
        if not info.is_valid(now_ms()) or (username is not None and username != user.username):
            return None
        return user

    def _by_password(self, username: str, password: str) -> User:
        user = self._auth.find_user(username)
        stored = user.password_hash if user is not None else _DUMMY_HASH
        key = hmac.new(self._key, f"{username}\0{password}".encode(), hashlib.sha256).digest()
        with self._lock:
            remembered = self._checked.get(key)
        if remembered is not None and hmac.compare_digest(remembered[0], stored):
            matched = remembered[1]
        else:
            matched = passwords.verify_password(password, stored)
            with self._lock:
                self._checked[key] = (stored, matched)
                if len(self._checked) > _CACHE_SIZE:
                    self._checked.popitem(last=False)
        if user is None or not matched:
            raise Unauthenticated("wrong user name or password")
        return user


def _decode_basic(value: str) -> tuple[str, str]:
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthenticated("the Basic credentials are not valid base64 UTF-8") from exc
    username, sep, password = text.partition(":")
    if not sep or not username:
        raise Unauthenticated("the Basic credentials need a user name and a password")
    return username, password
