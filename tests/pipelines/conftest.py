"""Fixtures of the pipeline tests: a project folder as cwd with its own tracking store
(helpers live in ``pipeline_helpers``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_helpers import THREE_SCRIPTS, THREE_STAGES, write_project


@pytest.fixture
def pipeline_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as cwd (tracking store inside it), retries without waiting."""
    monkeypatch.setenv("CAIRN_RETRY_BACKOFF", "0.01")
    return project


@pytest.fixture
def three_stages(pipeline_project: Path) -> Path:
    """A project with the prepare -> train -> evaluate pipeline and params.yaml."""
    write_project(
        pipeline_project, THREE_STAGES, params={"train": {"lr": 0.1, "depth": 3}},
        files=THREE_SCRIPTS,
    )  # fmt: skip
    return pipeline_project
