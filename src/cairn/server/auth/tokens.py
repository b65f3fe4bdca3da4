"""API tokens: random, recognisable by their prefix, stored only as a hash.

A token reads ``cairn_`` followed by 43 URL-safe characters (256 random bits). The store
keeps its SHA-256 (a slow hash adds nothing for a secret this long) and its first
:data:`PREFIX_LENGTH` characters, so that listings can name a token without holding it.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from cairn.errors import InvalidInput

TOKEN_PREFIX = "cairn_"
PREFIX_LENGTH = len(TOKEN_PREFIX) + 6
_RANDOM_BYTES = 32
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def new_token() -> str:
    """A fresh token, to be shown once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def looks_like_token(text: str) -> bool:
    """Whether ``text`` has the shape of a cairn token (a password usually does not)."""
    return text.startswith(TOKEN_PREFIX) and len(text) > PREFIX_LENGTH


def token_hash(token: str) -> str:
    """The hex SHA-256 under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_prefix(token: str) -> str:
    """The part of a token kept in clear for listings."""
    return token[:PREFIX_LENGTH]


def parse_duration(text: str) -> int:
    """Milliseconds in a duration such as ``90m``, ``12h``, ``30d`` or ``2w``."""
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise InvalidInput(
            f"expiry {text!r} is not a positive duration such as 3600s, 90m, 12h, 30d or 2w"
        )
    return int(match.group(1)) * _UNIT_MS[match.group(2)]
