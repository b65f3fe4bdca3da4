"""Reproduce a run: re-run its code at its commit on its data, and compare the results.

:func:`reproduce` checks out the run's commit in a temporary ``git worktree`` (applying the
recorded uncommitted diff when the run was dirty), restores its pointer-tracked data from the
project's cache or remotes, re-runs it the way it ran — a project run through
:func:`cairn.projects.run` with the same entry point, parameters and environment manager; a
script run through its recorded command; a pipeline stage through its stage's command — into
a new run tagged ``cairn.reproduction.of``, and returns a
:class:`~cairn.projects.reproduce_report.ReproductionReport` comparing metrics, datasets,
seeds and commit. Bad input (unknown run, missing commit, data in no cache or remote) raises
before anything runs; the worktree is removed afterwards unless ``keep_worktree``.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from pathlib import Path

from cairn.entities import PARENT_TAG, Run
from cairn.errors import InvalidInput
from cairn.projects.reproduce_data import restore_data
from cairn.projects.reproduce_exec import (
    REPRODUCTION_TAG,
    run_script,
    run_stage,
    script_command,
    stage_command,
)
from cairn.projects.reproduce_report import COMMIT_TAG, ReproductionReport, compare_runs
from cairn.projects.reproduce_source import (
    add_worktree,
    apply_diff,
    find_repository,
    remove_worktree,
    require_commit,
)
from cairn.tracking.client import CairnClient
from cairn.tracking.context import REQUIREMENTS_ARTIFACT
from cairn.tracking.context_git import DIFF_ARTIFACT

__all__ = ["REPRODUCTION_TAG", "ReproductionReport", "reproduce", "run_kind"]

ENV_MANAGERS = ("local", "virtualenv", "uv")
_PROJECT = "cairn.project."


def run_kind(original: Run) -> str:
    """The kind of run: "project" (``cairn run``), "stage" (a pipeline stage) or "script"."""
    tags = original.data.tags
    if f"{_PROJECT}entry_point" in tags:
        return "project"
    if tags.get("cairn.run.kind") == "stage":
        return "stage"
    return "script"


def reproduce(
    run_id: str,
    *,
    tracking_uri: str | None = None,
    repo: str | Path | None = None,
    atol: float = 1e-6,
    rtol: float = 0.0,
    env_manager: str | None = None,
    keep_worktree: bool = False,
    echo: Callable[[str], None] | None = None,
) -> ReproductionReport:
    """Re-run run ``run_id`` at its commit on its data and compare it with the original."""
    _check_tolerance("tolerance", atol)
    _check_tolerance("rtol", rtol)
    if env_manager is not None and env_manager not in ENV_MANAGERS:
        raise InvalidInput(
            f"--env-manager must be one of {', '.join(ENV_MANAGERS)}, got {env_manager!r}"
        )
    client = CairnClient(tracking_uri)
    original = client.get_run(run_id)
    kind = run_kind(original)
    source = original  # the run whose tags and artifacts describe the source
    if kind == "stage" and COMMIT_TAG not in original.data.tags:
        parent = original.data.tags.get(PARENT_TAG)
        source = client.get_run(parent) if parent else original
    commit = source.data.tags.get(COMMIT_TAG)
    if not commit:
        raise InvalidInput(
            f"run {run_id} records no git commit (tag {COMMIT_TAG}): it ran outside a git "
            "repository, so its code cannot be checked out again"
        )
    root = find_repository(Path(repo) if repo is not None else None)
    require_commit(root, commit, run_id)
    dirty = source.data.tags.get("cairn.source.git.dirty") == "true"
    diff = client.read_artifact(source.info.run_id, DIFF_ARTIFACT) if dirty else None
    worktree = add_worktree(root, commit)
    report = ReproductionReport(run_id, None, kind, commit, dirty, "", -1, atol, rtol)
    try:
        if diff is not None:
            untracked = apply_diff(
                worktree, diff, source.data.tags.get("cairn.source.git.diff_hash"), run_id
            )
            if untracked:
                report.notes.append(
                    "untracked files at run time were not recorded and are absent: "
                    + ", ".join(untracked)
                )
        report.data_restored = restore_data(worktree, root).paths
        new_id, code, command = _rerun(client, original, kind, worktree, root, env_manager,
                                       report, echo)  # fmt: skip
        report.reproduction_run_id, report.exit_code, report.command = new_id, code, command
    finally:
        if keep_worktree:
            report.worktree = str(worktree)
        else:
            remove_worktree(root, worktree)
    reproduced = client.get_run(new_id)
    compare_runs(
        report,
        original,
        reproduced,
        client.get_run_io(run_id).datasets,
        client.get_run_io(new_id).datasets,
    )
    return report


def _check_tolerance(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
        raise InvalidInput(f"{name} must be a number >= 0, got {value!r}")


def _rerun(
    client: CairnClient,
    original: Run,
    kind: str,
    worktree: Path,
    root: Path,
    env_manager: str | None,
    report: ReproductionReport,
    echo: Callable[[str], None] | None,
) -> tuple[str, int, str]:
    """Run the original's code again; (new run id, exit code, command)."""
    if kind == "project":
        return _rerun_project(client, original, worktree, root, env_manager, echo)
    if kind == "stage":
        command = stage_command(original, worktree)
        new_id, code = run_stage(client, original, command, worktree, echo)
        return new_id, code, command.text
    python = _script_python(client, original, worktree, env_manager, report)
    command = script_command(original, worktree, python)
    new_id, code, made = run_script(client, original, command, echo)
    if made > 1:
        report.notes.append(f"the script made {made} runs; compared with the one at the same place")
    return new_id, code, command.text


def _script_python(
    client: CairnClient,
    original: Run,
    worktree: Path,
    env_manager: str | None,
    report: ReproductionReport,
) -> str:
    """The interpreter for a script run: this one, or an environment built from the run's
    recorded requirements through the projects' environment cache."""
    if env_manager in (None, "local"):
        report.notes.append(f"ran with the current interpreter {sys.executable}")
        return sys.executable
    from cairn.projects import prepare_environment
    from cairn.projects.spec import EnvSpec, Project

    try:
        requirements = client.read_artifact(original.info.run_id, REQUIREMENTS_ARTIFACT)
    except (LookupError, OSError) as exc:
        raise InvalidInput(
            f"run {original.info.run_id} recorded no {REQUIREMENTS_ARTIFACT}, so no "
            f"{env_manager} environment can be built for it; use --env-manager local"
        ) from exc
    path = worktree / ".cairn" / "reproduce-requirements.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(requirements)
    project = Project(
        name=worktree.name,
        root=worktree,
        source="",
        entry_points={},
        environment=EnvSpec("requirements", path),
    )
    environment = prepare_environment(project, env_manager)
    report.notes.append(f"ran in a {env_manager} environment built from the run's requirements")
    return str(environment.python)


def _rerun_project(
    client: CairnClient,
    original: Run,
    worktree: Path,
    root: Path,
    env_manager: str | None,
    echo: Callable[[str], None] | None,
) -> tuple[str, int, str]:
    from cairn.projects import load_project
    from cairn.projects.runner import run_project

    tags = original.data.tags
    entry = tags[f"{_PROJECT}entry_point"]
    folder = worktree / _project_subfolder(tags.get(f"{_PROJECT}uri"), root, worktree)
    params = dict(original.data.params)
    declared = load_project(folder).entry_points.get(entry)
    if declared is not None:
        params = {k: v for k, v in params.items() if k in declared.parameters}
    manager = env_manager or tags.get(f"{_PROJECT}env_manager") or None
    done = run_project(
        str(folder),
        entry,
        params,
        env_manager=manager,
        experiment_id=original.info.experiment_id,
        run_name=f"{original.info.run_name}-reproduction" if original.info.run_name else None,
        tags={REPRODUCTION_TAG: original.info.run_id},
        tracking_uri=client.tracking_uri,
        stdout_to_stderr=echo is not None,  # keep stdout for a JSON report
    )
    return done.run_id, done.exit_code, done.command


def _project_subfolder(uri: str | None, root: Path, worktree: Path) -> str:
    """Where the project lay inside the repository: a local ``uri`` under ``root`` (absolute,
    or relative and naming a folder of the worktree), else the repository's root."""
    if not uri or "://" in uri:
        return "."
    if not os.path.isabs(uri):
        rel = os.path.normpath(uri)
        inside = not rel.startswith("..") and (worktree / rel).is_dir()
        return Path(rel).as_posix() if inside else "."
    try:
        return Path(os.path.realpath(uri)).relative_to(root).as_posix()
    except ValueError:
        return "."
