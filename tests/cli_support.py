"""Shared helpers of the CLI tests: run a command in-process or name the installed script."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner, Result

from cairn.cli import cli

CAIRN = str(Path(sys.executable).parent / "cairn")


def cairn(*args: str) -> Result:
    """Run ``cairn ARGS...`` in-process, letting unexpected exceptions through."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)
