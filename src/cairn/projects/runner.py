"""Running an entry point as a tracked run: the run is created first (with the context capture
of the project folder and the command), then the command runs as a subprocess in the project
folder with ``CAIRN_RUN_ID``, ``CAIRN_TRACKING_URI`` and ``CAIRN_EXPERIMENT_ID`` set, so that
``cairn.start_run()`` / ``cairn.log_metric`` in the user's code land in that run.

The run ends FINISHED when the command exits 0, FAILED otherwise; Ctrl-C or SIGTERM terminate
the command (its whole process group: SIGTERM, then SIGKILL after a grace period) and end the
run KILLED.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from cairn import config
from cairn.entities import Param, RunStatus
from cairn.errors import InvalidInput
from cairn.projects import ProjectRun
from cairn.projects.environments import Environment, prepare_environment
from cairn.projects.params import Invocation, resolve_invocation
from cairn.projects.source import ProjectSource, locate
from cairn.projects.spec import Project, load_project
from cairn.store import validation
from cairn.tracking.client import CairnClient
from cairn.tracking.context import REQUIREMENTS_ARTIFACT, collect_run_context
from cairn.tracking.context_git import content_hash

__all__ = ["GRACE_SECONDS", "run_project"]

GRACE_SECONDS = 10.0
_ENV_EXPERIMENT_ID = "CAIRN_EXPERIMENT_ID"
_ENV_EXPERIMENT_NAME = "CAIRN_EXPERIMENT_NAME"
_STDERR_FD = 2
_LOGS = ("project/stdout.txt", "project/stderr.txt")


class _Terminated(Exception):  # noqa: N818 - a signal, not an error
    """SIGTERM arrived while the command ran."""


def run_project(
    uri: str | Path = ".",
    entry_point: str = "main",
    parameters: Mapping[str, Any] | None = None,
    *,
    env_manager: str | None = None,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    version: str | None = None,
    tracking_uri: str | None = None,
    stream_output: bool = True,
    stdout_to_stderr: bool = False,
) -> ProjectRun:
    """Run ``entry_point`` of the project at ``uri`` (a folder or a git URL, at ``version``)
    with ``parameters``, tracked as a run; the outcome once the command ended
    (``cairn.projects.run`` is this function).

    ``stdout_to_stderr`` sends the command's streamed stdout to stderr (``cairn run --json``
    keeps stdout for its report)."""
    if experiment_name is not None and experiment_id is not None:
        raise InvalidInput("give experiment_name or experiment_id, not both")
    source = locate(uri, version)
    project = load_project(source.directory)
    invocation = resolve_invocation(project, entry_point, parameters)
    for key, value in invocation.params.items():
        validation.validate_key(key, "param")
        validation.validate_param_value(key, value)
    manager = env_manager or project.env_manager or "local"
    client = CairnClient(config.resolve(tracking_uri).tracking_uri)
    exp_id = _experiment_id(client, experiment_name, experiment_id)
    environment = prepare_environment(project, manager)
    run_id = _create_run(client, exp_id, source, project, invocation, environment, run_name, tags)
    env = {
        **os.environ,
        **environment.env,
        config.ENV_TRACKING_URI: client.tracking_uri,
        "CAIRN_RUN_ID": run_id,
        _ENV_EXPERIMENT_ID: exp_id,
    }
    env.pop(_ENV_EXPERIMENT_NAME, None)
    streams = "stderr" if stdout_to_stderr and stream_output else "inherit" if stream_output else ""
    status, code = _execute(client, run_id, invocation.command, project.root, env, streams)
    client.set_tag(run_id, "cairn.project.exit_code", code)
    client.set_terminated(run_id, status)
    return ProjectRun(run_id, status, code, invocation.command, project.root)


def _experiment_id(client: CairnClient, name: str | None, experiment_id: str | None) -> str:
    experiments = client.store.experiments
    if experiment_id is not None:
        return client.get_experiment(str(experiment_id)).experiment_id
    if name is not None:
        return experiments.get_or_create_experiment(name).experiment_id
    if os.environ.get(_ENV_EXPERIMENT_ID):
        return os.environ[_ENV_EXPERIMENT_ID]
    if os.environ.get(_ENV_EXPERIMENT_NAME):
        return experiments.get_or_create_experiment(os.environ[_ENV_EXPERIMENT_NAME]).experiment_id
    return "0"


def _create_run(
    client: CairnClient,
    experiment_id: str,
    source: ProjectSource,
    project: Project,
    invocation: Invocation,
    environment: Environment,
    run_name: str | None,
    extra_tags: Mapping[str, str] | None,
) -> str:
    context = collect_run_context(
        entry_point=None,
        argv=shlex.split(invocation.command),
        cwd=str(project.root),
        capture_packages=environment.manager == "local",
    )
    artifacts = dict(context.artifacts)
    tags = dict(context.tags)
    if environment.manager != "local":
        packages = _packages_of(environment)
        if packages is not None:
            artifacts[REQUIREMENTS_ARTIFACT] = packages.encode()
            tags["cairn.environment.hash"] = content_hash(artifacts[REQUIREMENTS_ARTIFACT])
    tags.update(
        {
            "cairn.run.kind": "project",
            "cairn.source.type": "PROJECT",
            "cairn.source.name": source.uri,
            "cairn.project.name": project.name,
            "cairn.project.uri": source.uri,
            "cairn.project.entry_point": invocation.entry_point,
            "cairn.project.env_manager": environment.manager,
            "cairn.project.environment": environment.key,
            "cairn.project.command": invocation.command,
        }
    )
    if source.commit is not None:
        tags["cairn.project.version"] = source.commit
    tags.update(extra_tags or {})
    name = run_name or f"{project.name}-{invocation.entry_point}"
    run = client.create_run(experiment_id, tags=tags, run_name=name)
    run_id = run.info.run_id
    try:
        params = [Param(k, v) for k, v in invocation.params.items()]
        if params:
            client.log_batch(run_id, params=params)
        for path, content in artifacts.items():
            client.log_bytes(run_id, content, path)
    except BaseException:
        client.set_terminated(run_id, RunStatus.FAILED.value)
        raise
    return run_id


def _packages_of(environment: Environment) -> str | None:
    """``name==version`` lines of the environment's packages (best effort: None on trouble)."""
    code = "from cairn.tracking.context_host import requirements_text as r; print(r(), end='')"
    try:
        done = subprocess.run(
            [environment.python, "-c", code], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _execute(
    client: CairnClient,
    run_id: str,
    command: str,
    cwd: Path,
    env: dict[str, str],
    streams: str,
) -> tuple[str, int]:
    with _output_files(streams) as (out, err):
        try:
            process = subprocess.Popen(  # noqa: S602 - the project's command is a shell line
                command,
                shell=True,
                cwd=cwd,
                env=env,
                stdout=_STDERR_FD if streams == "stderr" else out,
                stderr=err,
                start_new_session=True,
            )
        except OSError as error:
            client.set_terminated(run_id, RunStatus.FAILED.value)
            raise InvalidInput(f"cannot start {command!r}: {error}") from error
        try:
            with _sigterm_raises():
                code = process.wait()
        except (KeyboardInterrupt, _Terminated) as stop:
            _stop(process)
            sig = signal.SIGINT if isinstance(stop, KeyboardInterrupt) else signal.SIGTERM
            status, code = RunStatus.KILLED.value, 128 + sig
        else:
            code = 128 - code if code < 0 else code  # killed by a signal: 128 + its number
            status = RunStatus.FINISHED.value if code == 0 else RunStatus.FAILED.value
        if out is not None and err is not None:
            for handle, path in zip((out, err), _LOGS, strict=True):
                handle.seek(0)
                client.log_bytes(run_id, handle.read(), path)
    return status, code


@contextmanager
def _output_files(streams: str) -> Iterator[tuple[IO[bytes] | None, IO[bytes] | None]]:
    """Files capturing stdout and stderr, or (None, None) when they stream."""
    if streams:
        yield None, None
        return
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        yield out, err


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into :class:`_Terminated` while the command runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the command's process group, killing it after the grace period."""
    for sig, wait in ((signal.SIGTERM, GRACE_SECONDS), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
