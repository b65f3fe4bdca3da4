"""Fixtures for server tests: ``live_server(settings)`` serves an app on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from cairn.server import ServerSettings
from cairn.server.live import LiveServer


@pytest.fixture
def live_server() -> Iterator[Callable[[ServerSettings], str]]:
    """A factory: ``live_server(settings)`` starts ``create_app(settings)`` on uvicorn in a
    thread on a free port and returns its base URL; every server stops after the test."""
    with ExitStack() as servers:

        def start(settings: ServerSettings) -> str:
            return servers.enter_context(LiveServer(settings)).url

        yield start
