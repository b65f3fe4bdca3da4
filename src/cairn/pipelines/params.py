"""The params file (``params.yaml``): reading it, and picking the values a stage uses.

A stage names params as dotted keys (``train.lr``) or whole sections (``train``);
:func:`param_values` returns exactly those, so a change elsewhere in the file does not make
the stage stale.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput
from cairn.pipelines.model import PARAMS_FILE
from cairn.pipelines.parsed import read_document

if TYPE_CHECKING:
    import yaml

__all__ = ["lookup", "param_values", "read_params", "with_overrides"]

_MISSING = object()


def read_params(root: Path, params_file: str = PARAMS_FILE) -> dict[str, Any]:
    """The params file under ``root`` as a mapping; ``{}`` when the file does not exist."""
    path = Path(root) / params_file
    try:
        document = read_document(path, lambda text: _parse(text, params_file))
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{params_file} is not UTF-8 text: {exc}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise InvalidInput(
            f"{params_file} must hold a mapping of names to values, got {type(document).__name__}"
        )
    return document


def _parse(text: str, params_file: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{params_file} is not valid YAML: {_yaml_problem(exc)}") from None


def lookup(params: Mapping[str, Any], key: str) -> Any:
    """The value of a dotted ``key`` (``train.lr``) in ``params``; :class:`KeyError` if absent.

    A key that exists verbatim (with its dots) at some level wins over descending into sections.
    """
    found = _lookup(params, key)
    if found is _MISSING:
        raise KeyError(key)
    return found


def _lookup(node: Any, key: str) -> Any:
    if not isinstance(node, Mapping):
        return _MISSING
    if key in node:
        return node[key]
    head, dot, rest = key.partition(".")
    while dot:
        if head in node:
            found = _lookup(node[head], rest)
            if found is not _MISSING:
                return found
        more_head, dot, rest = rest.partition(".")
        head = f"{head}.{more_head}"
    return _MISSING


def param_values(
    params: Mapping[str, Any],
    keys: Iterable[str],
    *,
    stage: str | None = None,
    params_file: str = PARAMS_FILE,
) -> dict[str, object]:
    """``{key: value}`` for each of ``keys`` (dotted keys or whole sections).

    A key the params do not define raises :class:`InvalidInput` naming the stage that uses it.
    """
    values: dict[str, object] = {}
    for key in keys:
        found = _lookup(params, key)
        if found is _MISSING:
            who = f"stage {stage!r}" if stage else "a stage"
            raise InvalidInput(
                f"{who} uses param {key!r} which {params_file} does not define; add it to "
                f"{params_file} or remove it from the stage's params"
            )
        values[key] = copy.deepcopy(found)
    return values


def with_overrides(params: Mapping[str, Any], overrides: Mapping[str, object]) -> dict[str, Any]:
    """A copy of ``params`` with each dotted key of ``overrides`` set (sections created)."""
    result: dict[str, Any] = copy.deepcopy(dict(params))
    for key, value in overrides.items():
        node = result
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                if child is not None:
                    raise InvalidInput(
                        f"cannot set param {key!r}: {part!r} is a value ({child!r}), not a section"
                    )
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return result


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error on one line: what went wrong and where."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return str(problem)
