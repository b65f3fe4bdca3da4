"""The project file: ``cairn-project.yaml`` (cairn's) or ``MLproject`` (MLflow's), parsed into a
:class:`Project` of entry points with typed parameters and command templates.

Every problem is an :class:`~cairn.errors.InvalidInput` naming the file, the field and the fix.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cairn.errors import InvalidInput, NotFound, did_you_mean

__all__ = [
    "CAIRN_FILE",
    "ENV_MANAGERS",
    "MLPROJECT_FILE",
    "TYPES",
    "EntryPoint",
    "EnvSpec",
    "Parameter",
    "Project",
    "load_project",
]

CAIRN_FILE = "cairn-project.yaml"
MLPROJECT_FILE = "MLproject"
ENV_MANAGERS = ("local", "virtualenv", "uv")
TYPES = ("string", "int", "float", "bool", "path", "uri")
_TYPE_ALIASES = {
    "str": "string",
    "integer": "int",
    "double": "float",  # MLflow's docs write "double"
    "number": "float",
    "boolean": "bool",
}


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: its type and, when optional, its default."""

    name: str
    type: str = "string"
    default: Any = None
    required: bool = True


@dataclass(frozen=True)
class EntryPoint:
    """A named command template whose ``{name}`` fields are the declared parameters."""

    name: str
    command: str
    parameters: dict[str, Parameter] = field(default_factory=dict)


@dataclass(frozen=True)
class EnvSpec:
    """Where the environment's dependencies come from.

    ``kind`` is "requirements" (a pip requirements file), "pyproject" (the ``[project]``
    dependencies), "python_env" (MLflow's ``python_env.yaml``) or "conda" (refused unless local).
    """

    kind: str
    path: Path


@dataclass(frozen=True)
class Project:
    """A parsed project folder."""

    name: str
    root: Path
    source: str  # the project file's name
    entry_points: dict[str, EntryPoint]
    environment: EnvSpec | None = None
    env_manager: str | None = None  # the project's own choice; None: "local"


def load_project(path: Path) -> Project:
    """Parse ``cairn-project.yaml`` (preferred) or ``MLproject`` in the folder ``path``.

    A folder with neither is a project without entry points: only script entry points
    (``train.py``, ``run.sh``) can run in it, in the local environment.
    """
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise NotFound(f"project folder {str(path)!r} does not exist; give a folder or a git URL")
    for name in (CAIRN_FILE, MLPROJECT_FILE):
        file = root / name
        if file.is_file():
            return _parse(file, _read_yaml(file), mlflow=name == MLPROJECT_FILE)
    return Project(name=root.name, root=root, source="", entry_points={})


def _read_yaml(file: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise InvalidInput(f"{file.name} is not valid YAML: {err}; fix the file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidInput(f"cannot read {file}: {err}") from err
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(f"{file.name} must be a mapping (name:, entry_points:, ...)")
    return data


def _parse(file: Path, data: dict[str, Any], *, mlflow: bool) -> Project:
    where = file.name
    root = file.parent
    allowed = (
        {"name", "entry_points", "python_env", "conda_env", "docker_env"}
        if mlflow
        else {"name", "environment", "env_manager", "entry_points"}
    )
    for key in data:
        if key not in allowed:
            hint = did_you_mean(str(key), allowed)
            raise InvalidInput(f"{where}: unknown field {key!r}.{hint} Allowed: {_list(allowed)}")
    name = data.get("name", root.name)
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"{where}: name must be a non-empty string; got {name!r}")
    raw_entries = data.get("entry_points") or {}
    if not isinstance(raw_entries, dict):
        raise InvalidInput(f"{where}: entry_points must map names to {{command, parameters}}")
    entries = {str(k): _entry_point(where, str(k), v) for k, v in raw_entries.items()}
    if mlflow:
        environment, manager = _mlflow_environment(where, root, data)
    else:
        environment, manager = _cairn_environment(where, root, data)
    return Project(name, root, where, entries, environment, manager)


def _entry_point(where: str, name: str, raw: Any) -> EntryPoint:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: entry point {name!r} must be a mapping with a command")
    unknown = set(raw) - {"command", "parameters"}
    if unknown:
        raise InvalidInput(
            f"{where}: entry point {name!r} has unknown field(s) {_list(unknown)}; "
            "allowed: command, parameters"
        )
    command = raw.get("command")
    if not isinstance(command, str) or not command.strip():
        raise InvalidInput(f"{where}: entry point {name!r} needs a command (a string)")
    raw_params = raw.get("parameters") or {}
    if not isinstance(raw_params, dict):
        raise InvalidInput(f"{where}: parameters of entry point {name!r} must be a mapping")
    params = {str(k): _parameter(where, name, str(k), v) for k, v in raw_params.items()}
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(command) if f is not None}
    except ValueError as err:
        raise InvalidInput(
            f"{where}: command of entry point {name!r} is not a valid template ({err}); "
            "write literal braces as {{ and }}"
        ) from err
    for placeholder in sorted(fields):
        if placeholder not in params:
            raise InvalidInput(
                f"{where}: command of entry point {name!r} uses {{{placeholder}}}, which is not "
                f"a declared parameter; declared: {_list(params) or 'none'}"
            )
    return EntryPoint(name, command.strip(), params)


def _parameter(where: str, entry: str, name: str, raw: Any) -> Parameter:
    label = f"{where}: parameter {name!r} of entry point {entry!r}"
    if raw is None or isinstance(raw, str):
        return Parameter(name, _type(label, raw or "string"))
    if not isinstance(raw, dict):
        raise InvalidInput(f"{label} must be a type name or {{type, default}}; got {raw!r}")
    unknown = set(raw) - {"type", "default"}
    if unknown:
        raise InvalidInput(f"{label} has unknown field(s) {_list(unknown)}; allowed: type, default")
    kind = _type(label, raw.get("type") or "string")
    if "default" not in raw or raw["default"] is None:
        return Parameter(name, kind)
    from cairn.projects.params import convert  # checks the default has the declared type

    convert(Parameter(name, kind), raw["default"])
    return Parameter(name, kind, raw["default"], required=False)


def _type(label: str, raw: Any) -> str:
    kind = _TYPE_ALIASES.get(str(raw).lower(), str(raw).lower())
    if kind not in TYPES:
        hint = did_you_mean(str(raw), TYPES)
        raise InvalidInput(f"{label} has unknown type {raw!r}.{hint} Types: {_list(TYPES)}")
    return kind


def _cairn_environment(
    where: str, root: Path, data: dict[str, Any]
) -> tuple[EnvSpec | None, str | None]:
    manager = data.get("env_manager")
    if manager is not None and manager not in ENV_MANAGERS:
        raise InvalidInput(f"{where}: env_manager {manager!r} is not one of {_list(ENV_MANAGERS)}")
    env = data.get("environment")
    if env is None:
        return None, manager
    if not isinstance(env, str) or not env:
        raise InvalidInput(f"{where}: environment must be a file name such as requirements.txt")
    path = _inside(where, root, env, "environment")
    kind = "pyproject" if path.name == "pyproject.toml" else "requirements"
    return EnvSpec(kind, path), manager


def _mlflow_environment(
    where: str, root: Path, data: dict[str, Any]
) -> tuple[EnvSpec | None, str | None]:
    if data.get("docker_env") is not None:
        raise InvalidInput(
            f"{where}: docker_env projects are not supported by cairn run; "
            "use python_env (python_env.yaml) or run the image yourself"
        )
    if data.get("python_env") is not None:
        return EnvSpec("python_env", _inside(where, root, data["python_env"], "python_env")), (
            "virtualenv"
        )
    if data.get("conda_env") is not None:
        return EnvSpec("conda", _inside(where, root, data["conda_env"], "conda_env")), "conda"
    return None, None


def _inside(where: str, root: Path, name: Any, label: str) -> Path:
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"{where}: {label} must be a file name; got {name!r}")
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise InvalidInput(f"{where}: {label} {name!r} points outside the project folder")
    if not path.is_file():
        raise InvalidInput(f"{where}: {label} file {name!r} does not exist in {root}")
    return path


def _list(names: Any) -> str:
    return ", ".join(sorted(str(n) for n in names))
