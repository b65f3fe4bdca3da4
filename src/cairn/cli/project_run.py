"""``cairn run [PATH|GIT_URL]``: run an entry point of a project as a tracked run."""

from __future__ import annotations

import click

from cairn.cli import output
from cairn.errors import InvalidInput


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name.strip():
            raise InvalidInput(f"-P takes name=value; got {pair!r}")
        name = name.strip()
        if name in values:
            raise InvalidInput(f"parameter {name!r} is given twice with -P; give it once")
        values[name] = value
    return values


@click.command("run")
@click.argument("uri", default=".", metavar="[PATH|GIT_URL]")
@click.option(
    "-e",
    "--entry-point",
    default="main",
    show_default=True,
    help="The entry point to run: a name from the project file, or a .py/.sh script.",
)
@click.option(
    "-P",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter value (repeatable); undeclared names are passed as --NAME VALUE.",
)
@click.option(
    "--env-manager",
    type=click.Choice(["local", "virtualenv", "uv"]),
    default=None,
    help="Where to run: the current interpreter, or a cached venv built with venv+pip or uv. "
    "Default: the project's env_manager, else local.",
)
@click.option("--version", "version", metavar="REV", help="The git revision of a GIT_URL.")
@click.option("--experiment-name", metavar="NAME", help="Track the run in this experiment.")
@click.option("--experiment-id", metavar="ID", help="Track the run in this experiment id.")
@click.option("--run-name", metavar="NAME", help="The run's name (default: PROJECT-ENTRY).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print {run_id, status, exit_code} as JSON (the command's stdout goes to stderr).",
)
@click.pass_context
def run(
    ctx: click.Context,
    uri: str,
    entry_point: str,
    params: tuple[str, ...],
    env_manager: str | None,
    version: str | None,
    experiment_name: str | None,
    experiment_id: str | None,
    run_name: str | None,
    as_json: bool,
) -> None:
    """Run an entry point (-e, default main) of the project at PATH or GIT_URL, tracked.

    The project is described by cairn-project.yaml (or MLflow's MLproject): entry points,
    typed parameters with defaults, command templates and the environment. The command runs
    in the project folder with CAIRN_RUN_ID set, so cairn.start_run() / cairn.log_metric in
    it log into the run; git commit, diff, environment and hardware are recorded on the run.
    See docs/projects.md.

    \b
    Exit status:
      0  the command succeeded (run FINISHED)
      N  the command's own exit code (run FAILED; KILLED after Ctrl-C or SIGTERM)
      1  the store failed
      2  bad input: unknown entry point, bad parameter, missing project, bad URL or
         version, or the environment's dependencies failed to install
    """
    from cairn.cli import CliState
    from cairn.projects.runner import run_project

    state = ctx.find_object(CliState)
    with output.check_exits(ctx):
        result = run_project(
            uri, entry_point, _parse_params(params), env_manager=env_manager,
            experiment_name=experiment_name, experiment_id=experiment_id, run_name=run_name,
            version=version, tracking_uri=state.tracking_uri if state else None,
            stdout_to_stderr=as_json,
        )  # fmt: skip
    if as_json:
        output.print_json(
            {"run_id": result.run_id, "status": result.status, "exit_code": result.exit_code}
        )
    else:
        output.note(f"run {result.run_id} {result.status} (exit code {result.exit_code})")
    ctx.exit(result.exit_code)
