"""A server with ``--auth`` on a fresh SQLite store holding three accounts: admin, alice, bob."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from auth_support import AuthServer, create_accounts

from cairn.server import ServerSettings
from cairn.server.live import LiveServer


@pytest.fixture
def start_auth_server(tmp_path: Path) -> Iterator[Callable[..., AuthServer]]:
    """A factory: ``start_auth_server(default_permission="NO_PERMISSIONS")``."""
    with ExitStack() as stack:

        def start(default_permission: str = "NO_PERMISSIONS") -> AuthServer:
            uri = f"sqlite:///{tmp_path / 'server.db'}"
            create_accounts(uri)
            settings = ServerSettings(
                uri, str(tmp_path / "server-artifacts"), auth=True,
                default_permission=default_permission,
            )  # fmt: skip
            live = stack.enter_context(LiveServer(settings))
            found = AuthServer(live.url, uri, live)
            stack.callback(found.close)
            return found

        yield start


@pytest.fixture
def auth_server(start_auth_server: Callable[..., AuthServer]) -> AuthServer:
    """A server whose default permission is NO_PERMISSIONS (experiments are private)."""
    return start_auth_server()
