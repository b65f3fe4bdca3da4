"""Password hashing: scrypt with a random salt, its parameters stored beside the hash.

A stored hash reads ``scrypt$<n>$<r>$<p>$<salt>$<digest>`` (salt and digest in unpadded
base64), so the cost can rise later without invalidating older hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cairn.errors import InvalidInput

SCHEME = "scrypt"
# 2**15 x 8 x 128 bytes = 32 MiB of memory and roughly 0.1 s per hash.
N, R, P = 2**15, 8, 1
SALT_BYTES = 16
DIGEST_BYTES = 32
MIN_LENGTH = 8
_MAXMEM = 2**26  # room for n=2**15, r=8 (hashlib's default stops just below it)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=DIGEST_BYTES
    )


def check_password(password: str) -> str:
    """``password`` if acceptable; InvalidInput saying what is wrong otherwise."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters")
    if password != password.strip():
        raise InvalidInput("a password cannot start or end with whitespace")
    return password


def hash_password(password: str) -> str:
    """The self-describing salted hash of ``password``."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, N, R, P)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``, compared in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = _unb64(digest)
        actual = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except ValueError:  # a malformed stored hash matches nothing
        return False
    return hmac.compare_digest(actual, expected)
