"""The HTTP side of talking to ``cairn server``: one pooled client, credentials, error mapping.

Credentials come from the environment, cairn's names first and MLflow's as a fallback so a
team switching over keeps its settings: ``CAIRN_TRACKING_TOKEN`` / ``MLFLOW_TRACKING_TOKEN``
(Bearer) or ``CAIRN_TRACKING_USERNAME`` + ``CAIRN_TRACKING_PASSWORD`` (and the ``MLFLOW_``
pair) for HTTP Basic. Every error answer, ``{"error_code", "message"}``, becomes the matching
:class:`cairn.errors.CairnError`; a server that cannot be reached is a :class:`StoreError`.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from cairn.errors import CairnError, ConfigError, StoreError, error_from_code

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def _env(name: str) -> str | None:
    return os.environ.get(f"CAIRN_{name}") or os.environ.get(f"MLFLOW_{name}") or None


def credentials_from_env() -> httpx.Auth | None:
    """Bearer token, else Basic username/password, else None."""
    token = _env("TRACKING_TOKEN")
    if token:
        return BearerAuth(token)
    user, password = _env("TRACKING_USERNAME"), _env("TRACKING_PASSWORD")
    if user and password:
        return httpx.BasicAuth(user, password)
    if user or password:
        raise ConfigError(
            "set both CAIRN_TRACKING_USERNAME and CAIRN_TRACKING_PASSWORD (or a "
            "CAIRN_TRACKING_TOKEN) to authenticate to the tracking server"
        )
    return None


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>``."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def make_client(base_url: str, auth: httpx.Auth | None = None) -> httpx.Client:
    """A pooled client for one server."""
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        auth=auth if auth is not None else credentials_from_env(),
        timeout=TIMEOUT,
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        headers={"User-Agent": "cairn-client"},
    )


def raise_for_error(response: httpx.Response) -> None:
    """Turn an error answer into the CairnError it stands for."""
    if response.is_success:
        return
    error_type = None
    try:
        body = response.json()
        code, message = body["error_code"], body["message"]
        error_type = body.get("error_type")
    except (ValueError, KeyError, TypeError, AttributeError):
        code = "TEMPORARILY_UNAVAILABLE" if response.status_code >= 500 else "INTERNAL_ERROR"
        message = (
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:200]}"
        )
    if response.status_code >= 500 and code in ("INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE"):
        raise StoreError(f"the tracking server failed: {message}")
    raise error_from_code(code, message, error_type)


def request(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Send a request; a transport failure is a StoreError, an error answer its CairnError."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        raise StoreError(unreachable_message(client.base_url, exc)) from exc
    raise_for_error(response)
    return response


def unreachable_message(base_url: httpx.URL | str, exc: httpx.TransportError) -> str:
    """One line: which server, why (refused, timed out ...), and what to do about it."""
    if isinstance(exc, httpx.ConnectTimeout):
        reason = f"no answer within {TIMEOUT.connect:.0f} s"
    elif isinstance(exc, httpx.TimeoutException):
        reason = f"no answer within {TIMEOUT.read:.0f} s"
    else:
        reason = str(exc).strip().split("\n", 1)[0] or type(exc).__name__
    return (
        f"cannot reach the cairn server at {base_url} ({reason}): start it with "
        "`cairn server`, or check --tracking-uri / CAIRN_TRACKING_URI"
    )


def is_transient(exc: CairnError) -> bool:
    """Worth retrying: the server was unreachable, busy or failed."""
    return isinstance(exc, StoreError)
