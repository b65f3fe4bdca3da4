"""The Python environment an entry point runs in: the running interpreter ("local") or a
virtual environment built with ``venv`` + pip ("virtualenv") or with uv ("uv").

Built environments live in ``$CAIRN_CACHE_DIR/envs/<key>`` (default ``~/.cache/cairn``), where
``key`` is the blake3 of the manager, the Python version, the running cairn and the dependency
list (the requirements file's text, the pyproject's ``[project] dependencies`` or
``python_env.yaml``'s dependencies), so an unchanged project reuses its environment.

An environment is built under a per-key file lock, in its final folder (a venv's scripts hold
absolute paths, so it cannot be built elsewhere and renamed), and counts as built only once its
``.cairn-env.json`` marker exists; the marker is written last, through a rename, so a build that
died half-way is wiped and redone by the next run, and two concurrent runs build it once.

cairn itself is made importable in the environment without installing it there: a ``.pth`` file
points at a folder holding a link to the running cairn package, and cairn's own runtime
dependencies are installed together with the project's (one pip resolution, from PyPI or pip's
cache). The environment is thus isolated from the running one except for cairn's code.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

import blake3
import yaml

import cairn
from cairn.data.lock import data_lock
from cairn.errors import InvalidInput
from cairn.projects.spec import ENV_MANAGERS, Project

__all__ = ["MARKER", "Environment", "dependencies", "envs_dir", "prepare_environment"]

logger = logging.getLogger(__name__)
MARKER = ".cairn-env.json"
_LINK_DIR = ".cairn-link"


@dataclass(frozen=True)
class Environment:
    """Where to run: ``python`` is the interpreter, ``env`` the variables to add to the
    process's environment (``PATH`` first of all), ``key`` identifies the environment."""

    manager: str
    python: str
    key: str
    env: dict[str, str] = field(default_factory=dict)
    path: Path | None = None


def envs_dir() -> Path:
    """Where built environments are cached."""
    root = os.environ.get("CAIRN_CACHE_DIR") or Path.home() / ".cache" / "cairn"
    return Path(root) / "envs"


def prepare_environment(project: Project, manager: str) -> Environment:
    """The ``manager`` environment of ``project``, built on first use and reused after."""
    spec = project.environment
    if spec is not None and spec.kind == "conda" and manager != "local":
        raise InvalidInput(
            f"project {project.name!r} declares a conda environment ({spec.path.name}), which "
            "cairn run does not build; pass --env-manager local to run it in the current "
            "environment, or describe it with python_env.yaml"
        )
    if manager not in ENV_MANAGERS:
        raise InvalidInput(
            f"env manager {manager!r} is not one of {', '.join(ENV_MANAGERS)}; "
            "pass --env-manager local, virtualenv or uv"
        )
    if manager == "local":
        bindir = str(Path(sys.executable).parent)
        path = bindir + os.pathsep + os.environ.get("PATH", "")
        return Environment("local", sys.executable, "local", {"PATH": path})
    if manager == "uv" and shutil.which("uv") is None:
        raise InvalidInput(
            "--env-manager uv needs the uv command, which is not on PATH; install it "
            "(pip install uv, or see https://docs.astral.sh/uv/) or use --env-manager virtualenv"
        )
    requirements = dependencies(project)
    key = _key(manager, requirements)
    target = envs_dir() / key
    with data_lock(envs_dir() / ".locks" / key, f"cairn run: building environment {key}"):
        if not (target / MARKER).is_file():
            _build(project, manager, requirements, target, key)
    python = str(target / "bin" / "python")
    path = str(target / "bin") + os.pathsep + os.environ.get("PATH", "")
    return Environment(manager, python, key, {"PATH": path, "VIRTUAL_ENV": str(target)}, target)


def dependencies(project: Project) -> list[str]:
    """The pip arguments naming the project's dependencies (``-r FILE`` for a requirements
    file), empty when it declares none."""
    spec = project.environment
    if spec is None or spec.kind == "conda":
        return []
    if spec.kind == "requirements":
        return ["-r", str(spec.path)]
    try:
        text = spec.path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if spec.kind == "pyproject" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as err:
        raise InvalidInput(f"cannot read {spec.path.name}: {err}; fix the file") from err
    if spec.kind == "pyproject":
        deps = (data.get("project") or {}).get("dependencies", [])
        where = "[project] dependencies"
    else:
        data = data or {}
        if not isinstance(data, dict):
            raise InvalidInput(f"{spec.path.name} must be a mapping (python:, dependencies:)")
        deps = [*(data.get("build_dependencies") or []), *(data.get("dependencies") or [])]
        where = "dependencies"
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise InvalidInput(f"{spec.path.name}: {where} must be a list of requirement strings")
    return list(deps)


def _cairn_requirements() -> list[str]:
    """cairn's runtime dependencies (no extras), as its installed metadata declares them."""
    try:
        declared = metadata.requires("cairn") or []
    except metadata.PackageNotFoundError:
        return []
    return sorted(r for r in declared if "extra ==" not in r and "extra==" not in r)


def _key(manager: str, requirements: list[str]) -> str:
    parts = [manager, platform.python_version(), cairn.__version__, _cairn_package()]
    parts.extend(requirements)
    if requirements[:1] == ["-r"]:
        parts.append(Path(requirements[1]).read_text(encoding="utf-8", errors="replace"))
    parts.extend(_cairn_requirements())
    return blake3.blake3("\0".join(parts).encode()).hexdigest()[:32]


def _cairn_package() -> str:
    return str(Path(cairn.__file__).resolve().parent)


def _build(project: Project, manager: str, requirements: list[str], target: Path, key: str) -> None:
    if target.exists():
        logger.info("removing the unfinished environment %s", target)
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    python = str(target / "bin" / "python")
    packages = [*requirements, *_cairn_requirements()]
    try:
        if manager == "uv":
            _call(["uv", "venv", "--quiet", "--python", sys.executable, str(target)], project)
            install = ["uv", "pip", "install", "--python", python]
        elif find_spec("pip") is not None:  # the running pip installs into the new env
            _call([sys.executable, "-m", "venv", "--without-pip", str(target)], project)
            install = [sys.executable, "-m", "pip", "--python", python, "install"]
        else:
            _call([sys.executable, "-m", "venv", str(target)], project)
            install = [python, "-m", "pip", "install"]
        if packages:
            _call([*install, "--disable-pip-version-check", *packages], project)
        _link_cairn(target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    facts = {
        "key": key,
        "manager": manager,
        "python": platform.python_version(),
        "project": project.name,
        "requirements": requirements,
    }
    scratch = target / (MARKER + ".tmp")
    scratch.write_text(json.dumps(facts, indent=1), encoding="utf-8")
    os.replace(scratch, target / MARKER)


def _link_cairn(target: Path) -> None:
    site = sorted(target.glob("lib/python*/site-packages"))
    if not site:
        raise InvalidInput(f"the environment {target} has no site-packages folder; remove it")
    link_dir = target / _LINK_DIR
    link_dir.mkdir(exist_ok=True)
    (link_dir / "cairn").symlink_to(_cairn_package(), target_is_directory=True)
    (site[0] / "_cairn_link.pth").write_text(str(link_dir) + "\n", encoding="utf-8")


def _call(argv: list[str], project: Project) -> None:
    logger.info("environment: %s", " ".join(argv))
    done = subprocess.run(argv, cwd=project.root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise InvalidInput(
            f"building the environment of project {project.name!r} failed: {argv[0]} "
            f"{' '.join(argv[1:3])} ... exited {done.returncode}:\n{tail}\n"
            "fix the project's dependencies, or run with --env-manager local"
        )
