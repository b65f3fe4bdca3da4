"""Every command is documented, and the CLI reference matches the commands."""

from __future__ import annotations

from pathlib import Path

from cairn.cli.reference import render

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_current():
    current = (ROOT / "docs" / "cli.md").read_text()
    assert current == render(), "regenerate it: python -m cairn.cli.reference > docs/cli.md"


def test_every_command_has_help_text():
    import click

    from cairn.cli import cli
    from cairn.cli.reference import _walk

    for path, command in _walk(cli, ["cairn"]):
        assert command.help or command.short_help, f"{' '.join(path)} has no help text"
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in ("help",):
                assert param.help, f"{' '.join(path)} {param.opts[0]} has no help text"


def test_readme_lists_every_top_level_command():
    from cairn.cli import COMMANDS

    readme = (ROOT / "README.md").read_text()
    for name in COMMANDS:
        assert f"cairn {name}" in readme, f"README does not mention `cairn {name}`"
