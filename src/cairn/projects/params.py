"""Parameters of an entry point: conversion to their declared types, defaults, and the command
line they render into.

Values are shell-quoted (``shlex.quote``) into the template. ``path`` values become absolute,
relative to the project folder (they need not exist: an output path is a path too); ``uri``
values without a scheme are treated the same way, others pass unchanged. Parameters given but
not declared are appended as ``--name value``, as MLflow does, unless the name looks like a
misspelling of a declared one (``alpah`` for ``alpha``): that is refused with the valid names.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cairn.config import parse_flag
from cairn.errors import InvalidInput, NotFound, did_you_mean
from cairn.projects.spec import EntryPoint, Parameter, Project

__all__ = ["Invocation", "convert", "resolve_invocation"]

SCRIPT_RUNNERS = {".py": "python", ".sh": "bash"}


class Invocation:
    """An entry point with its final parameter values and the command line to run."""

    def __init__(self, entry_point: str, params: dict[str, str], command: str) -> None:
        self.entry_point = entry_point
        self.params = params  # name -> text, as logged on the run
        self.command = command

    def __repr__(self) -> str:
        return f"Invocation({self.entry_point!r}, {self.params!r}, {self.command!r})"


def convert(param: Parameter, value: Any, root: Path | None = None) -> str:
    """The text of ``value`` as ``param``'s type; :class:`InvalidInput` when it is not one."""
    kind = param.type
    text = value if isinstance(value, str) else _text(value)
    if kind in ("int", "float", "bool"):
        try:
            return _scalar(kind, value, text.strip())
        except ValueError:
            expected = {"int": "an integer", "float": "a number", "bool": "true or false"}[kind]
            raise InvalidInput(
                f"parameter {param.name!r} is of type {kind}: expected {expected}, got {value!r}"
            ) from None
    if kind in ("path", "uri") and root is not None:
        if not text:
            raise InvalidInput(f"parameter {param.name!r} is of type {kind}: got an empty value")
        if kind == "path" or "://" not in text:
            return str((root / Path(text).expanduser()).resolve())
    return text


def _scalar(kind: str, value: Any, text: str) -> str:
    """``value`` as an int, float or bool, in text; ValueError when it is not one."""
    if isinstance(value, bool) and kind != "bool":
        raise ValueError(value)
    if kind == "int":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return str(int(value) if isinstance(value, float) else int(text))
    if kind == "float":
        return repr(float(value) if isinstance(value, int | float) else float(text))
    if isinstance(value, bool):
        return "true" if value else "false"
    flag = parse_flag(text)
    if flag is None:
        raise ValueError(value)
    return "true" if flag else "false"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_invocation(
    project: Project, entry_point: str, given: Mapping[str, Any] | None
) -> Invocation:
    """Fill ``entry_point``'s template with ``given`` values and defaults, checked and quoted.

    ``entry_point`` names a declared entry point or a script file in the project
    (``train.py`` runs with ``python``, ``run.sh`` with ``bash``).
    """
    given = dict(given or {})
    for key in given:
        if not isinstance(key, str) or not key or key.startswith("-") or "=" in key:
            raise InvalidInput(f"parameter name {key!r} is not valid; write -P name=value")
    entry = project.entry_points.get(entry_point)
    if entry is None:
        return _script(project, entry_point, given)
    values: dict[str, str] = {}
    missing = [p.name for p in entry.parameters.values() if p.required and p.name not in given]
    if missing:
        raise InvalidInput(
            f"entry point {entry.name!r} needs parameter(s) {', '.join(missing)}; "
            f"give each with -P name=value"
        )
    for key in given:
        hint = did_you_mean(key, [n for n in entry.parameters if n not in given])
        if key not in entry.parameters and hint:
            raise InvalidInput(
                f"entry point {entry.name!r} has no parameter {key!r}.{hint} Declared: "
                f"{_declared(entry)} (a name unlike any declared one is passed as --{key} VALUE)"
            )
    for param in entry.parameters.values():
        raw = given.pop(param.name) if param.name in given else param.default
        values[param.name] = convert(param, raw, project.root)
    command = entry.command.format_map({k: shlex.quote(v) for k, v in values.items()})
    extras = {k: _text(v) for k, v in given.items()}
    if extras:
        command += " " + _flags(extras)
    return Invocation(entry.name, {**values, **extras}, command)


def _script(project: Project, entry_point: str, given: dict[str, Any]) -> Invocation:
    runner = SCRIPT_RUNNERS.get(Path(entry_point).suffix)
    script = (project.root / entry_point).resolve()
    inside = script.is_relative_to(project.root)
    if runner is None or not inside or not script.is_file():
        choices = sorted(project.entry_points)
        hint = did_you_mean(entry_point, choices)
        known = ", ".join(choices) or "none declared"
        raise NotFound(
            f"entry point {entry_point!r} is neither declared in the project file nor a .py/.sh "
            f"script in {project.root}.{hint} Entry points: {known}"
        )
    rel = script.relative_to(project.root).as_posix()
    params = {k: _text(v) for k, v in given.items()}
    command = f"{runner} {shlex.quote(rel)}"
    if params:
        command += " " + _flags(params)
    return Invocation(rel, params, command)


def _flags(values: Mapping[str, str]) -> str:
    return " ".join(f"--{k} {shlex.quote(v)}" for k, v in values.items())


def _declared(entry: EntryPoint) -> str:
    return ", ".join(entry.parameters) or "none"
