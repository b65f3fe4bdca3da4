"""Whether data commands wait for the disk: ``[data] fsync`` / ``CAIRN_DATA_FSYNC``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cairn.cli import cli
from cairn.data.workspace import Workspace, fsync_setting
from cairn.errors import ConfigError


@pytest.mark.parametrize(
    ("config", "env", "expected"),
    [
        ({}, None, False),  # like git and DVC: the OS writes the objects back
        ({"data": {"fsync": True}}, None, True),
        ({"data": {"fsync": "yes"}}, None, True),
        ({"data": {"fsync": True}}, "0", False),  # the environment wins
        ({}, "true", True),
    ],
)
def test_the_setting(monkeypatch, config, env, expected) -> None:
    if env is None:
        monkeypatch.delenv("CAIRN_DATA_FSYNC", raising=False)
    else:
        monkeypatch.setenv("CAIRN_DATA_FSYNC", env)
    assert fsync_setting(config) is expected


def test_a_project_setting_reaches_the_cache(cairn_project: Path, monkeypatch) -> None:
    monkeypatch.delenv("CAIRN_DATA_FSYNC", raising=False)
    config = cairn_project / ".cairn" / "config.toml"
    config.parent.mkdir(exist_ok=True)
    config.write_text("[data]\nfsync = true\n")
    assert Workspace.find(cairn_project).cache.flush is True


def test_a_bad_value_is_refused_and_adds_nothing(cairn_project: Path, monkeypatch) -> None:
    monkeypatch.setenv("CAIRN_DATA_FSYNC", "sometimes")
    with pytest.raises(ConfigError, match="CAIRN_DATA_FSYNC must be true or false"):
        fsync_setting({})
    (cairn_project / "x.csv").write_text("a\n1\n")
    result = CliRunner().invoke(cli, ["data", "add", "x.csv"])
    assert result.exit_code == 1
    assert "CAIRN_DATA_FSYNC must be true or false, got 'sometimes'" in result.stderr
    assert not (cairn_project / "x.csv.cairn").exists()
