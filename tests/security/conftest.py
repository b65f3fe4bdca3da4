"""Fixtures of the sensitive-data tests: a project whose policy a test can set."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def set_policy(cairn_project: Path):
    """Write ``[security] sensitive_data = VALUE`` into the project's .cairn/config.toml."""

    def write(value: str) -> Path:
        folder = cairn_project / ".cairn"
        folder.mkdir(exist_ok=True)
        config = folder / "config.toml"
        config.write_text(f'[security]\nsensitive_data = "{value}"\n', encoding="utf-8")
        return config

    return write
