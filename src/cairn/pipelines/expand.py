"""``foreach`` / ``matrix`` expansion and ``${...}`` interpolation of a cairn.yaml stage.

``foreach: [a, b]`` makes ``name@a`` and ``name@b`` with ``${item}`` replaced; a mapping makes
``name@KEY`` with ``${key}`` and ``${item}`` (or ``${item.field}``); ``matrix: {model: [x, y],
lr: [1, 2]}`` makes one stage per combination, ``name@x-1``, with ``${item.model}``.
``${params.KEY}`` takes a value from the params file and adds KEY to the stage's params. Other
``${NAME}`` are left to the shell.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from cairn.errors import InvalidInput
from cairn.pipelines.params import lookup

__all__ = ["expand_stage", "variants"]

_REFERENCE = re.compile(r"\$\{\s*((item|key|params)(?:\.[^\s{}]+)?)\s*\}")
_NAME_PART = re.compile(r"[A-Za-z0-9_.\-]+")
_SCALARS = (str, int, float, bool)


def expand_stage(
    name: str, body: Mapping[str, Any], params: Mapping[str, Any], source: str
) -> list[tuple[str, dict[str, Any]]]:
    """``(name, fields)`` for each stage ``body`` (read from ``source``) stands for."""
    fields = {k: v for k, v in body.items() if k not in ("foreach", "matrix")}
    expanded = []
    for suffix, context in variants(body, f"{source}: stage {name!r}"):
        full = name if suffix is None else f"{name}@{suffix}"
        used: list[str] = []
        interpolated = _interpolate(fields, context, params, used, f"{source}: stage {full!r}")
        if used:
            interpolated["params"] = _merged_params(interpolated.get("params"), used)
        expanded.append((full, interpolated))
    return expanded


def variants(body: Mapping[str, Any], where: str) -> list[tuple[str | None, dict[str, Any] | None]]:
    """``(suffix, context)`` per stage of ``body``'s foreach/matrix (``context`` holds
    ``item`` and, for a foreach mapping, ``key``); ``[(None, None)]`` without either."""
    if "foreach" in body and "matrix" in body:
        raise InvalidInput(f"{where}: use 'foreach' or 'matrix', not both")
    if "foreach" in body:
        return _foreach_items(body["foreach"], where)
    if "matrix" in body:
        return _matrix_items(body["matrix"], where)
    return [(None, None)]


def _foreach_items(value: Any, where: str) -> list[tuple[str | None, dict[str, Any] | None]]:
    if isinstance(value, list) and value:
        return [(_suffix(item, index, where), {"item": item}) for index, item in enumerate(value)]
    if isinstance(value, dict) and value:
        return [
            (_suffix(str(key), None, where), {"item": item, "key": key})
            for key, item in value.items()
        ]
    raise InvalidInput(f"{where}: 'foreach' must be a non-empty list or mapping, got {value!r}")


def _matrix_items(value: Any, where: str) -> list[tuple[str | None, dict[str, Any] | None]]:
    if not isinstance(value, dict) or not value:
        raise InvalidInput(
            f"{where}: 'matrix' must be a mapping of names to lists of values, got {value!r}"
        )
    for axis, options in value.items():
        if not isinstance(options, list) or not options:
            raise InvalidInput(
                f"{where}: 'matrix' entry {axis!r} must be a non-empty list, got {options!r}"
            )
    axes = list(value)
    items: list[tuple[str | None, dict[str, Any] | None]] = []
    for combo in itertools.product(*(enumerate(value[axis]) for axis in axes)):
        suffix = "-".join(_suffix(option, index, where) for index, option in combo)
        items.append(
            (
                suffix,
                {"item": {axis: option for axis, (_, option) in zip(axes, combo, strict=True)}},
            )
        )
    return items


def _suffix(item: Any, index: int | None, where: str) -> str:
    """The ``@suffix`` naming an expanded stage: the item itself, or its index when it is
    a structure."""
    if isinstance(item, _SCALARS) and not isinstance(item, bool):
        text = str(item)
        if _NAME_PART.fullmatch(text):
            return text
        raise InvalidInput(
            f"{where}: foreach/matrix item {text!r} cannot be part of a stage name (use letters, "
            "digits, '_', '-', '.'); write foreach as a mapping of names to items instead"
        )
    if isinstance(item, bool):
        return str(item).lower()
    if index is None:
        raise InvalidInput(f"{where}: foreach key {item!r} cannot name a stage")
    return str(index)


def _interpolate(
    node: Any,
    context: dict[str, Any] | None,
    params: Mapping[str, Any],
    used: list[str],
    where: str,
) -> Any:
    if isinstance(node, str):
        return _interpolate_text(node, context, params, used, where)
    if isinstance(node, list):
        return [_interpolate(item, context, params, used, where) for item in node]
    if isinstance(node, dict):
        return {
            _interpolate(key, context, params, used, where): _interpolate(
                value, context, params, used, where
            )
            for key, value in node.items()
        }
    return node


def _interpolate_text(
    text: str,
    context: dict[str, Any] | None,
    params: Mapping[str, Any],
    used: list[str],
    where: str,
) -> Any:
    whole = _REFERENCE.fullmatch(text.strip())
    if whole:  # a value that is only a reference keeps its type (retries: ${item.retries})
        return _resolve(whole[1], context, params, used, where)
    return _REFERENCE.sub(
        lambda m: _as_text(_resolve(m[1], context, params, used, where), m[0], where), text
    )


def _resolve(
    reference: str,
    context: dict[str, Any] | None,
    params: Mapping[str, Any],
    used: list[str],
    where: str,
) -> Any:
    head, _, rest = reference.partition(".")
    if head == "params":
        if not rest:
            raise InvalidInput(f"{where}: '${{params}}' needs a key, like '${{params.train.lr}}'")
        try:
            value = lookup(params, rest)
        except KeyError:
            raise InvalidInput(
                f"{where}: '${{{reference}}}' names param {rest!r}, which the params file "
                "does not define"
            ) from None
        used.append(rest)
        return value
    if context is None:
        raise InvalidInput(
            f"{where}: '${{{reference}}}' is only defined in a stage with 'foreach' or 'matrix'"
        )
    if head not in context:
        raise InvalidInput(f"{where}: '${{key}}' is only defined when 'foreach' is a mapping")
    value = context[head]
    if rest:
        try:
            value = lookup(value, rest) if isinstance(value, Mapping) else _missing(rest)
        except KeyError:
            raise InvalidInput(
                f"{where}: '${{{reference}}}': the item {context[head]!r} has no field {rest!r}"
            ) from None
    return value


def _missing(field: str) -> Any:
    raise KeyError(field)


def _as_text(value: Any, reference: str, where: str) -> str:
    if isinstance(value, (dict, list)) or value is None:
        raise InvalidInput(f"{where}: {reference} is {value!r}, which cannot be placed inside text")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _merged_params(declared: Any, used: list[str]) -> Any:
    """The declared params plus the keys ``${params.*}`` used that no declared key covers."""
    if declared is None:
        declared = []
    elif isinstance(declared, str):
        declared = [declared]
    if not isinstance(declared, list):
        return declared  # the field check reports the wrong type
    keys = list(declared)
    for key in used:
        if not any(key == have or key.startswith(f"{have}.") for have in keys):
            keys.append(key)
    return keys
