"""The CLI reference page, generated from the commands' own ``--help`` (``docs/cli.md``).

``python -m cairn.cli.reference > docs/cli.md`` rewrites it; a test fails when it drifts.
"""

from __future__ import annotations

import click

from cairn.cli import cli


def _walk(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                found.extend(_walk(sub, [*path, name]))
    return found


def render() -> str:
    """Markdown with one section per command, holding its help text."""
    lines = [
        "# CLI reference",
        "",
        "Generated from the commands' `--help` by `python -m cairn.cli.reference > docs/cli.md`.",
        "",
    ]
    for path, command in _walk(cli, ["cairn"]):
        settings = {**cli.context_settings, **command.context_settings}
        settings.update(terminal_width=88, max_content_width=88)
        with click.Context(command, info_name=" ".join(path), **settings) as ctx:
            text = command.get_help(ctx)
        lines += [f"## {' '.join(path)}", "", "```", text.rstrip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
