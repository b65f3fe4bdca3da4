"""Every `cairn ...` line in the docs' shell examples names a real command and real options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from cairn.cli import cli

DOCS = Path(__file__).resolve().parents[1] / "docs"
SHELL_LANGS = {"bash", "sh", "shell", "console"}
FENCE = re.compile(r"^(```+|~~~+)\s*([\w-]*)")
HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
SEPARATORS = {"&&", "||", "|", ";", "&", "(", ")"}


def shell_lines(text: str) -> list[tuple[int, str]]:
    """(line number, command) for each command line of the shell code blocks in `text`."""
    found: list[tuple[int, str]] = []
    fence, lang, heredoc, pending, start = None, "", None, "", 0
    for number, line in enumerate(text.splitlines(), 1):
        opening = FENCE.match(line.strip())
        if fence is None:
            if opening:
                fence, lang = opening.group(1), opening.group(2).lower()
            continue
        if line.strip().startswith(fence) and not line.strip()[len(fence) :].strip():
            if pending:
                found.append((start, pending))
            fence, heredoc, pending = None, None, ""
            continue
        if lang not in SHELL_LANGS:
            continue
        if heredoc is not None:
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        if not pending:
            if lang == "console":
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            start = number
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if not _quotes_closed(pending):
            pending += "\n"
            continue
        found.append((start, pending))
        marker = HEREDOC.search(pending)
        heredoc = marker.group(1) if marker else None
        pending = ""
    return found


def _quotes_closed(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return True


def cairn_invocations(command_line: str) -> list[list[str]]:
    """The argument lists that follow each `cairn` word starting a command of the line."""
    lexer = shlex.shlex(command_line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    calls: list[list[str]] = []
    current: list[str] | None = None
    at_start = True
    for token in lexer:
        if token in SEPARATORS or set(token) <= set("|&;()<>"):
            current, at_start = None, True
            continue
        if at_start and re.fullmatch(r"[A-Za-z_]\w*=.*", token):
            continue
        if at_start and token in ("cairn", ".venv/bin/cairn"):
            current = []
            calls.append(current)
        elif current is not None:
            current.append(token)
        at_start = False
    return calls


def _option(command: click.Command, ctx: click.Context, name: str) -> click.Parameter | None:
    params = [*command.params, command.get_help_option(ctx)]
    for param in params:
        if param is not None and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def check(args: list[str]) -> str | None:
    """Why `cairn ARGS` is not a valid command line, or None."""
    command: click.Command = cli
    path = ["cairn"]
    tokens = iter(args)
    for token in tokens:
        ctx = click.Context(command, info_name=path[-1])
        if token.startswith("-") and token != "-":
            name = token.split("=", 1)[0]
            param = _option(command, ctx, name)
            if param is None:
                return f"`{' '.join(path)}` has no option {name}"
            is_flag = isinstance(param, click.Option) and (param.is_flag or param.count)
            if not is_flag and "=" not in token:
                for _ in range(param.nargs):
                    next(tokens, None)
            continue
        if isinstance(command, click.Group):
            sub = command.get_command(ctx, token)
            if sub is None:
                return f"`{' '.join(path)}` has no command {token!r}"
            command, path = sub, [*path, token]
    return None


def doc_commands() -> list[tuple[str, int, list[str]]]:
    cases = []
    for page in sorted(DOCS.glob("*.md")):
        if page.name == "cli.md":
            continue
        for number, line in shell_lines(page.read_text()):
            try:
                calls = cairn_invocations(line)
            except ValueError as exc:  # unbalanced quotes: report the line, not a crash
                calls = [["<unparsable shell line>", str(exc)]] if "cairn" in line else []
            cases += [(page.name, number, args) for args in calls]
    return cases


CASES = doc_commands()


def test_the_docs_show_cairn_commands():
    pages = {page for page, _, _ in CASES}
    assert {"tracking.md", "data.md", "pipelines.md", "models.md", "monitoring.md"} <= pages


@pytest.mark.parametrize(("page", "line", "args"), CASES, ids=[f"{p}:{n}" for p, n, _ in CASES])
def test_doc_command_exists(page, line, args):
    problem = check(args)
    assert problem is None, f"docs/{page}:{line}: cairn {' '.join(args)}: {problem}"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["runs", "list", "--max-results", "5"], None),
        (["--tracking-uri", "sqlite:///x.db", "runs", "list"], None),
        (["server", "--auth", "users", "list", "--json"], None),
        (["data", "remote", "add", "-d", "store", "/tmp/x"], None),
        (["runs", "lst"], "`cairn runs` has no command 'lst'"),
        (["runs", "list", "--max"], "`cairn runs list` has no option --max"),
        (["models", "serve", "m", "--prot=5"], "`cairn models serve` has no option --prot"),
    ],
)
def test_check_accepts_real_and_refuses_made_up_lines(args, problem):
    assert check(args) == problem


def test_shell_lines_follow_continuations_prompts_and_heredocs():
    text = "\n".join(
        [
            "```console",
            "$ cairn runs list \\",
            "    --max-results 2",
            "cairn not-a-command (this is output)",
            "```",
            "```bash",
            "cat > m.yaml <<'EOF'",
            "cairn: inside a heredoc",
            "EOF",
            "CAIRN_TRACKING_URI=http://h:5000 cairn sync && echo ok | cairn runs show x",
            "curl -d '{",
            '  "a": 1}\' http://h && cairn ui',
            "```",
            "```python",
            "cairn.start_run()",
            "```",
        ]
    )
    lines = shell_lines(text)
    assert [n for n, _ in lines] == [2, 7, 10, 11]
    calls = [call for _, line in lines for call in cairn_invocations(line)]
    assert calls == [
        ["runs", "list", "--max-results", "2"],
        ["sync"],
        ["runs", "show", "x"],
        ["ui"],
    ]
