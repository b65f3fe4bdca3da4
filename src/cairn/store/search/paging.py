"""Page tokens: an opaque, URL-safe string that carries the offset of the next page."""

from __future__ import annotations

import base64
import binascii
import json

from cairn.errors import InvalidInput

__all__ = ["decode_page_token", "encode_page_token"]


def encode_page_token(offset: int) -> str:
    """The page token for the page starting at ``offset`` (urlsafe base64 of JSON)."""
    if type(offset) is not int or offset < 0:
        raise InvalidInput(f"A page offset must be a non-negative integer, got {offset!r}")
    raw = json.dumps({"offset": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_page_token(token: str | None) -> int:
    """The offset carried by ``token``; 0 for None or empty; raises InvalidInput if malformed."""
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        payload = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            f"Invalid page token {token!r}: it is not one this server issued"
        ) from exc
    offset = payload.get("offset") if isinstance(payload, dict) else None
    if type(offset) is not int or offset < 0:
        raise InvalidInput(f"Invalid page token {token!r}: it carries no valid offset")
    return offset
