"""The ``cairn_server`` pytest fixture: a live ``cairn server`` for a test.

Loaded through the ``pytest11`` entry point beside :mod:`cairn.testing.plugin`, whose
``store_uri`` fixture asks for it by name for its ``rest`` parameter. The server's own
modules are imported only when the fixture is used, so the plugin loads without the
``server`` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def cairn_server(tmp_path: Path) -> Iterator[str]:
    """The URL of a live ``cairn server`` on a fresh SQLite store in the test's temp folder."""
    try:
        from cairn.server import ServerSettings
        from cairn.server.live import LiveServer
    except ImportError as exc:
        pytest.skip(f"the server extra is not installed ({exc}): pip install 'cairn[server]'")
    settings = ServerSettings(f"sqlite:///{tmp_path}/server.db", str(tmp_path / "artifacts"))
    with LiveServer(settings) as server:
        yield server.url
