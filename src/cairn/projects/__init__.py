"""Project runs: run an entry point of a project described by ``cairn-project.yaml`` (or an
MLflow ``MLproject`` file) in a prepared environment, tracked as a cairn run.

``run(uri, entry_point, parameters)`` is the Python form of ``cairn run``;
:func:`load_project` parses a project folder; :func:`prepare_environment` builds (or reuses
from the cache) the Python environment an entry point runs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cairn.projects.environments import Environment
    from cairn.projects.runner import run_project as run
    from cairn.projects.spec import Project

__all__ = ["Environment", "Project", "ProjectRun", "load_project", "prepare_environment", "run"]


@dataclass(frozen=True)
class ProjectRun:
    """The outcome of :func:`run`: the tracked run, its end status and the command's exit code."""

    run_id: str
    status: str  # "FINISHED" | "FAILED" | "KILLED"
    exit_code: int
    command: str
    project_dir: Path


def load_project(path: Path) -> Project:
    """Parse the project at ``path``: its ``cairn-project.yaml`` or ``MLproject`` file."""
    from cairn.projects.spec import load_project as _load

    return _load(Path(path))


def prepare_environment(project: Project, manager: str) -> Environment:
    """Build or reuse the ``manager`` environment ("local", "virtualenv", "uv") of ``project``."""
    from cairn.projects.environments import prepare_environment as _prepare

    return _prepare(project, manager)


def __getattr__(name: str) -> Any:
    if name == "run":  # cairn.projects.run(uri, entry_point, parameters, ...): the runner's
        from cairn.projects.runner import run_project

        return run_project
    if name == "Project":
        from cairn.projects.spec import Project

        return Project
    if name == "Environment":
        from cairn.projects.environments import Environment

        return Environment
    raise AttributeError(f"module 'cairn.projects' has no attribute {name!r}")
