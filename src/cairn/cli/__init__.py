"""The ``cairn`` command line: one command group per capability, a thin layer over the library.

Errors are converted in one place, :meth:`CairnGroup.invoke`: a :class:`cairn.errors.CairnError`
prints ``Error: <message>`` to stderr and exits with the error's ``exit_code`` (1); click's
usage errors exit 2; ``--debug`` (or ``CAIRN_DEBUG=1``) adds the traceback; a module an extra
provides, missing, is one line naming the ``pip install 'cairn[EXTRA]'`` to run. Subcommands
are imported on first use, and heavy modules only inside the commands, so ``cairn --help`` is
fast and works without any extra.

Only the commands in :data:`STARTS_A_PROJECT` may create the default store in a folder with no
``.cairn/``; the others (listing, showing, verifying ...) say to run ``cairn init`` there.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

import click

from cairn import __version__
from cairn.config import env_flag, existing_project_only
from cairn.errors import CairnError

if TYPE_CHECKING:
    from cairn.tracking.client import CairnClient

__all__ = ["CliState", "LazyGroup", "SuggestingGroup", "cli", "get_client", "main"]

# name -> "module:attribute"; a capability adds its command group with one line here.
COMMANDS = {
    "artifacts": "cairn.cli.artifacts:artifacts",
    "audit": "cairn.cli.audit:audit",
    "data": "cairn.cli.data:data",
    "db": "cairn.cli.maintenance:db",
    "experiments": "cairn.cli.experiments:experiments",
    "gate": "cairn.cli.gate:gate",
    "gc": "cairn.cli.maintenance:gc",
    "import-mlflow": "cairn.cli.import_mlflow:import_mlflow",
    "init": "cairn.cli.maintenance:init",
    "lineage": "cairn.cli.lineage:lineage",
    "models": "cairn.cli.models:models",
    "monitor": "cairn.cli.monitor:monitor",
    "online": "cairn.cli.online:online",
    "pipeline": "cairn.cli.pipeline:pipeline",
    "reproduce": "cairn.cli.reproduce:reproduce",
    "run": "cairn.cli.project_run:run",
    "runs": "cairn.cli.runs:runs",
    "schedule": "cairn.cli.schedule:schedule",
    "scheduler": "cairn.cli.schedule:scheduler",
    "server": "cairn.cli.server:server",
    "sweep": "cairn.cli.sweep:sweep",
    "sync": "cairn.cli.maintenance:sync",
    "ui": "cairn.cli.ui:ui",
}

# Commands that record new work, so may start the default store in a folder without .cairn/
# (the Python API does too); a command path matches an entry it begins with.
STARTS_A_PROJECT = (
    "experiments create",
    "import-mlflow",
    "monitor create",
    "online run",
    "pipeline run",
    "run",
    "schedule add",
    "scheduler",
    "server",
    "sweep",
)
# Commands whose optional modules come in one umbrella extra: advise it, not the first module.
EXTRA_OF_COMMAND = {
    "models serve": "serving",
    "models predict": "serving",
    "models build-docker": "serving",
    "monitor": "monitoring",
}
_WORDS = "cairn.command_words"  # ctx.meta key: the command path, e.g. ["runs", "list"]


def _begins_with(words: list[str], entry: str) -> bool:
    return words[: len(entry.split())] == entry.split()


def _missing_extra_message(words: list[str], missing: str) -> str:
    """'`cairn models serve` needs fastapi: pip install 'cairn[serving]''."""
    from cairn.extras import install_hint

    umbrella = [extra for entry, extra in EXTRA_OF_COMMAND.items() if _begins_with(words, entry)]
    advice = f"pip install 'cairn[{umbrella[0]}]'" if umbrella else install_hint(missing)
    return f"`{' '.join(['cairn', *words[:2]])}` needs {missing}: {advice}"


@dataclass
class CliState:
    """What the root options decided, shared with every subcommand through ``ctx.obj``."""

    tracking_uri: str | None = None
    debug: bool = False
    _client: Any = field(default=None, repr=False)

    def client(self) -> CairnClient:
        """The tracking client for the chosen store, opened on first use."""
        if self._client is None:
            from cairn.tracking.client import CairnClient

            self._client = CairnClient(self.tracking_uri)
        return self._client  # type: ignore[no-any-return]


def get_client() -> CairnClient:
    """The tracking client of the command being run."""
    state = click.get_current_context().find_object(CliState)
    return (state or CliState()).client()


def _debug_wanted(ctx: click.Context) -> bool:
    state = ctx.find_object(CliState)
    if state is not None:
        return state.debug
    return env_flag("CAIRN_DEBUG")


class SuggestingGroup(click.Group):
    """A group whose 'No such command' names the closest subcommands."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Like click's, with a 'Did you mean' for a mistyped subcommand."""
        from cairn.errors import did_you_mean

        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            hint = did_you_mean(name, self.list_commands(ctx))
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)


class LazyGroup(SuggestingGroup):
    """A group whose subcommands named in ``lazy`` (name -> "module:attribute") are imported
    only when used, so that a command loads nothing it does not run."""

    lazy: ClassVar[dict[str, str]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand name, sorted."""
        return sorted({*self.lazy, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A subcommand, importing its module on first use."""
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = self.lazy.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command: click.Command = getattr(import_module(module), attr)
        return command


class CairnGroup(LazyGroup):
    """The root group: loads subcommands lazily and renders cairn errors in one place."""

    lazy = COMMANDS

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Like the parent's; also notes the command path (the leading words of ``args``)."""
        words = []
        for arg in args[:3]:
            if arg.startswith("-"):
                break
            words.append(arg)
        ctx.meta[_WORDS] = words
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; turn a CairnError into ``Error: ...`` and its exit code."""
        try:
            return super().invoke(ctx)
        except CairnError as err:
            _report(ctx, err.message)
            ctx.exit(err.exit_code)
        except ImportError as err:
            from cairn.extras import missing_optional

            missing = missing_optional(err)
            if missing is None:
                raise
            _report(ctx, _missing_extra_message(ctx.meta.get(_WORDS, []), missing))
            ctx.exit(1)
        except BrokenPipeError:
            raise  # click's main() handles a closed pipe quietly
        except OSError as err:
            # A file the user named cannot be read or written (permissions, disk full ...).
            _report(ctx, str(err))
            ctx.exit(1)


def _report(ctx: click.Context, message: str) -> None:
    """The traceback when debugging, then ``Error: <message>``."""
    from cairn.cli import output

    if _debug_wanted(ctx):
        import traceback

        click.echo(traceback.format_exc(), err=True, nl=False)
    output.error(message)


@click.group(cls=CairnGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--tracking-uri",
    envvar="CAIRN_TRACKING_URI",
    metavar="URI",
    help="The store to use (sqlite:///PATH, postgresql://..., http://HOST:PORT). "
    "Default: .cairn/ at the project root.  [env: CAIRN_TRACKING_URI]",
)
@click.option(
    "--debug",
    is_flag=True,
    envvar="CAIRN_DEBUG",
    help="Show the traceback of an error.  [env: CAIRN_DEBUG]",
)
@click.version_option(__version__, "-V", "--version", prog_name="cairn")
@click.pass_context
def cli(ctx: click.Context, tracking_uri: str | None, debug: bool) -> None:
    """cairn: track, version, run, serve and monitor ML work."""
    ctx.obj = CliState(tracking_uri=tracking_uri or None, debug=debug)
    words = ctx.meta.get(_WORDS, [])
    if words and not any(_begins_with(words, entry) for entry in STARTS_A_PROJECT):
        ctx.with_resource(existing_project_only())


# Objects allocated between two collections of the youngest generation (Python's default is
# 700): a command that lasts a tenth of a second spent ~5 ms of it collecting while it imported.
GC_THRESHOLD = 50_000


def main(argv: list[str] | None = None) -> NoReturn:
    """The ``cairn`` console script: run the command, then exit with its status.

    The exit skips the interpreter's teardown (freeing every module and object, ~15 ms after
    a 0.1 s ``cairn data status``): exit handlers run and the output is flushed first, and
    while another thread still runs, the normal exit (which waits for it) is taken instead.
    """
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    try:
        cli.main(args=argv, prog_name="cairn")
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    if threading.active_count() > 1 or not isinstance(code, int | None):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # (a closed pipe, a closed stream)
            stream.flush()
    os._exit(code or 0)
