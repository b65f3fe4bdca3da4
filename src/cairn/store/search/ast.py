"""The search AST: frozen dataclasses that filter strings and order-by items parse into.

A filter is a tree of :class:`Comparison` leaves joined by :class:`And`, :class:`Or` and
:class:`Not`. ``And`` and ``Or`` are n-ary and flattened (``a AND (b AND c)`` is one ``And``
of three terms), so two filters that mean the same conjunction compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "ATTRIBUTE",
    "COMPARISON_OPS",
    "METRIC",
    "PARAM",
    "TAG",
    "And",
    "Comparison",
    "Expr",
    "Not",
    "Or",
    "OrderKey",
    "Scalar",
    "Value",
    "format_filter",
]

METRIC = "metric"
PARAM = "param"
TAG = "tag"
ATTRIBUTE = "attribute"

# Every operator a Comparison may carry, in canonical spelling.
COMPARISON_OPS = (
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "LIKE",
    "ILIKE",
    "NOT LIKE",
    "NOT ILIKE",
    "IN",
    "NOT IN",
    "IS NULL",
    "IS NOT NULL",
)

Scalar: TypeAlias = str | int | float
Value: TypeAlias = Scalar | tuple[Scalar, ...] | None


@dataclass(frozen=True)
class Comparison:
    """``<entity_type>.<key> <op> <value>``; ``value`` is a tuple for IN, None for IS NULL."""

    entity_type: str
    key: str
    op: str
    value: Value = None


@dataclass(frozen=True)
class And:
    """All of ``terms`` hold."""

    terms: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """At least one of ``terms`` holds."""

    terms: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    """``term`` does not hold."""

    term: Expr


@dataclass(frozen=True)
class OrderKey:
    """One order-by item: sort by ``entity_type.key``, ascending unless told otherwise."""

    entity_type: str
    key: str
    ascending: bool = True


Expr: TypeAlias = Comparison | And | Or | Not

_PREFIX = {METRIC: "metrics", PARAM: "params", TAG: "tags", ATTRIBUTE: "attributes"}
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _format_scalar(value: Scalar) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return repr(value)


def _format_key(key: str) -> str:
    if _BARE_KEY.match(key):
        return key
    return "`" + key.replace("`", "``") + "`"


def _format(expr: Expr, parent: str) -> str:
    if isinstance(expr, Comparison):
        text = f"{_PREFIX[expr.entity_type]}.{_format_key(expr.key)} {expr.op}"
        if isinstance(expr.value, tuple):
            return text + " (" + ", ".join(_format_scalar(v) for v in expr.value) + ")"
        if expr.value is None:
            return text
        return f"{text} {_format_scalar(expr.value)}"
    if isinstance(expr, Not):
        inner = _format(expr.term, "NOT")
        return f"NOT {inner}"
    word = "AND" if isinstance(expr, And) else "OR"
    text = f" {word} ".join(_format(term, word) for term in expr.terms)
    # AND binds tighter than OR: only an OR inside an AND, or anything under NOT, needs parens.
    if parent == "NOT" or (parent == "AND" and word == "OR") or parent == word:
        return f"({text})"
    return text


def format_filter(expr: Expr | None) -> str:
    """The canonical filter string of ``expr`` (parsing it gives ``expr`` back)."""
    if expr is None:
        return ""
    return _format(expr, "")
