"""The UI's static files (CSS, JS, vendored libraries), cached by browsers for a year.

URLs carry ``?v=<asset version>``, a digest of the files' names, sizes and modification
times, so a changed file gets a new URL and the long cache never serves a stale one.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
LONG_CACHE = "public, max-age=31536000, immutable"


@cache
def asset_version() -> str:
    """A short digest that changes whenever a static file does."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(
                f"{path.relative_to(STATIC_DIR)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()[:12]


class CachedStaticFiles(StaticFiles):
    """Static files; versioned requests (``?v=``) may be cached for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file, with a long cache lifetime when the URL is versioned."""
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            versioned = b"v=" in scope.get("query_string", b"")
            response.headers["Cache-Control"] = LONG_CACHE if versioned else "no-cache"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def static_app() -> CachedStaticFiles:
    """The ASGI app serving ``static/``."""
    return CachedStaticFiles(directory=STATIC_DIR)
