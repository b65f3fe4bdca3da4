"""Fixtures of the data-versioning tests: a real git repository as the working folder and its
data workspace (helpers for them live in ``data_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from data_helpers import commit_all, git

from cairn.data.workspace import Workspace


@pytest.fixture
def repo(cairn_project: Path) -> Iterator[Path]:
    """An empty git repository (with a first commit) as the working folder."""
    root = cairn_project
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "config", "user.name", "test")
    git(root, "config", "commit.gpgsign", "false")
    (root / "README.md").write_text("project\n")
    commit_all(root, "start")
    yield root


@pytest.fixture
def ws(repo: Path) -> Iterator[Workspace]:
    """The repository's data workspace."""
    workspace = Workspace.find(repo)
    yield workspace
    workspace.close()
