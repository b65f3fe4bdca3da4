"""Fixtures shared by cairn's own tests (the reusable ones live in ``cairn.testing``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.tracking.client import CairnClient, close_shared_stores


@pytest.fixture
def project(cairn_project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh project folder as cwd, with CAIRN_TRACKING_URI pointing into it."""
    monkeypatch.setenv("CAIRN_TRACKING_URI", f"sqlite:///{cairn_project}/.cairn/cairn.db")
    yield cairn_project
    close_shared_stores()


@pytest.fixture
def client(project: Path) -> CairnClient:
    """A tracking client on the project's store."""
    return CairnClient()
