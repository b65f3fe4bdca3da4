"""Re-running a plain script run or a pipeline stage run in a reproduction worktree.

A stage's run is created first (tag ``cairn.reproduction.of``, the worktree's source context)
and handed to the stage's process as ``CAIRN_RUN_ID``, as the pipeline does. A script makes its
own runs, maybe several: it runs with a fresh ``CAIRN_INVOCATION_ID``, and afterwards the run
standing where the original stood (:mod:`cairn.projects.reproduce_match`) is tagged. Both run
with ``CAIRN_TRACKING_URI`` naming the original store. The process's output is passed on line
by line to ``echo`` (the CLI sends it to stderr, keeping stdout for the report).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cairn import config
from cairn.entities import Metric, Run, RunStatus
from cairn.errors import InvalidInput
from cairn.projects.reproduce_match import match_reproduction
from cairn.tracking.client import CairnClient
from cairn.tracking.context import (
    ENV_INVOCATION,
    INVOCATION_TAG,
    REDACTED,
    collect_run_context,
)

__all__ = ["Command", "run_script", "run_stage", "script_command", "stage_command"]

REPRODUCTION_TAG = "cairn.reproduction.of"
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?(\.exe)?")


@dataclass(frozen=True)
class Command:
    """What to run: argv (or a shell string), its folder and extra environment."""

    argv: list[str] | str
    cwd: Path
    env: Mapping[str, str]
    metrics_files: tuple[str, ...] = ()  # a stage's metrics files, logged after it ends
    deps: tuple[str, ...] = ()  # a stage's deps, logged as inputs as the pipeline does

    @property
    def text(self) -> str:
        """The command as one line."""
        return self.argv if isinstance(self.argv, str) else shlex.join(self.argv)


def script_command(original: Run, worktree: Path, python: str) -> Command:
    """The recorded ``cairn.source.command`` of a script run, its interpreter replaced by
    ``python``, in the folder it was started from (worked out from ``cairn.source.name``)."""
    tags = original.data.tags
    recorded = tags.get("cairn.source.command")
    if not recorded:
        raise InvalidInput(
            f"run {original.info.run_id} records no command (tag cairn.source.command), so "
            "there is nothing to re-run"
        )
    argv = shlex.split(recorded)
    if any(REDACTED in arg for arg in argv):
        raise InvalidInput(
            f"the command of run {original.info.run_id} had secret arguments that were not "
            f"recorded ({recorded}); reproduce it by hand"
        )
    if _PYTHON.fullmatch(Path(argv[0]).name):
        argv[0] = python
    return Command(argv, _start_folder(worktree, argv, tags.get("cairn.source.name")), {})


def _start_folder(worktree: Path, argv: list[str], source_name: str | None) -> Path:
    """The folder under ``worktree`` the script was started from: where the script argument
    (relative to that folder) meets ``cairn.source.name`` (relative to the repository)."""
    if not source_name or os.path.isabs(source_name):
        return worktree
    for arg in argv[1:]:
        if arg.startswith("-") or os.path.isabs(arg):
            continue
        rel = os.path.normpath(arg).replace(os.sep, "/")
        if source_name == rel:
            return worktree
        if source_name.endswith("/" + rel):
            folder = worktree / source_name.removesuffix("/" + rel)
            return folder if folder.is_dir() else worktree
    return worktree


def stage_command(original: Run, worktree: Path) -> Command:
    """The command of the pipeline stage that made ``original``, read from the worktree's
    pipeline."""
    from cairn.pipelines.loading import load_pipeline

    name = original.data.tags.get("cairn.stage.name")
    if not name:
        raise InvalidInput(f"stage run {original.info.run_id} does not name its stage")
    stage = load_pipeline(worktree).stage(name)
    return Command(
        stage.cmd, worktree / stage.wdir, dict(stage.env), tuple(stage.metrics), tuple(stage.deps)
    )


def run_stage(
    client: CairnClient,
    original: Run,
    command: Command,
    worktree: Path,
    echo: Callable[[str], None] | None = None,
) -> tuple[str, int]:
    """Run a stage's ``command`` into a new run made beforehand; (run id, exit code)."""
    argv = [command.argv] if isinstance(command.argv, str) else command.argv
    context = collect_run_context(argv=argv, cwd=str(command.cwd))
    tags = {**context.tags, REPRODUCTION_TAG: original.info.run_id}
    name = f"{original.info.run_name}-reproduction" if original.info.run_name else None
    run = client.create_run(original.info.experiment_id, tags=tags, run_name=name)
    run_id = run.info.run_id
    for path, content in context.artifacts.items():
        client.log_bytes(run_id, content, path)
    code = _execute(command, _environment(client, original, command, CAIRN_RUN_ID=run_id), echo)
    if command.metrics_files:
        _log_stage_metrics(client, run_id, worktree, command)
    if command.deps:
        _log_stage_deps(client, run_id, worktree, command)
    if client.get_run(run_id).info.status == RunStatus.RUNNING.value:
        status = RunStatus.FINISHED if code == 0 else RunStatus.FAILED
        client.set_terminated(run_id, status.value)
    return run_id, code


def run_script(
    client: CairnClient,
    original: Run,
    command: Command,
    echo: Callable[[str], None] | None = None,
) -> tuple[str, int, int]:
    """Run a script's ``command`` under a fresh invocation id and tag the run of it standing
    where ``original`` stood; (run id, exit code, how many runs the script made)."""
    invocation = uuid.uuid4().hex
    env = _environment(client, original, command, **{ENV_INVOCATION: invocation})
    code = _execute(command, env, echo)
    made = _invocation_runs(client, original.info.experiment_id, invocation)
    old = original.data.tags.get(INVOCATION_TAG)
    siblings = _invocation_runs(client, original.info.experiment_id, old) if old else []
    try:
        run = match_reproduction(original, siblings, made, client.get_run)
    except InvalidInput as exc:
        if code != 0:
            raise InvalidInput(f"`{command.text}` exited with code {code}; {exc}") from None
        raise
    client.set_tag(run.info.run_id, REPRODUCTION_TAG, original.info.run_id)
    return run.info.run_id, code, len(made)


def _invocation_runs(client: CairnClient, experiment_id: str, invocation: str) -> list[Run]:
    """Every run of one invocation: in the experiment first, else in any experiment."""
    query = f"tags.`{INVOCATION_TAG}` = '{invocation}'"
    runs = list(client.search_runs([experiment_id], query, max_results=1000))
    if not runs:
        ids = [exp.experiment_id for exp in client.search_experiments(max_results=1000)]
        runs = list(client.search_runs(ids, query, max_results=1000)) if ids else []
    return runs


def _environment(
    client: CairnClient, original: Run, command: Command, **extra: str
) -> dict[str, str]:
    env = {
        **os.environ,
        **command.env,
        config.ENV_TRACKING_URI: client.tracking_uri,
        "CAIRN_EXPERIMENT_ID": original.info.experiment_id,
    }
    env.pop("CAIRN_RUN_ID", None)  # a script makes its own runs; a stage's is in ``extra``
    env.update(extra)
    if client.settings.artifact_root:
        env[config.ENV_ARTIFACT_ROOT] = client.settings.artifact_root
    env.pop(config.ENV_SPOOL_DIR, None)
    return env


def _execute(command: Command, env: dict[str, str], echo: Callable[[str], None] | None) -> int:
    try:
        proc = subprocess.Popen(
            command.argv,
            cwd=command.cwd,
            env=env,
            shell=isinstance(command.argv, str),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    except OSError as exc:
        raise InvalidInput(f"could not start `{command.text}`: {exc}") from None
    with proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            (echo or _to_stderr)(line.decode(errors="replace").rstrip("\n"))
    return proc.returncode


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)


def _log_stage_metrics(client: CairnClient, run_id: str, worktree: Path, command: Command) -> None:
    from cairn.pipelines.outputs import read_metrics

    values = read_metrics(worktree, command.metrics_files)
    if values:
        points = [Metric(key, float(value), 0, 0) for key, value in sorted(values.items())]
        client.log_batch(run_id, metrics=points)


def _log_stage_deps(client: CairnClient, run_id: str, worktree: Path, command: Command) -> None:
    """The stage's deps as inputs (named by path, versioned by content), as a pipeline logs
    them, so the datasets compare."""
    from cairn.data.datasets import dataset
    from cairn.pipelines.tracked_values import dataset_input

    for dep in command.deps:
        if (worktree / dep).exists():
            version = dataset(dep, cwd=worktree)
            client.log_input(run_id, dataset_input(dep, version.oid, "input"))
