"""SQL constructs whose best (or only correct) spelling differs between SQLite, PostgreSQL and MySQL.

Each is a small ``ColumnElement`` compiled per dialect with ``@compiles``, so one ``Select``
serves every backend. Their values are bound parameters listed in ``_traverse_internals``, so
SQLAlchemy's statement cache stays correct when the same filter shape comes with new values.

- :class:`StringCompare`: ``= != IN NOT IN LIKE NOT LIKE`` on text, case-sensitive everywhere
  (SQLite's LIKE ignores case, so LIKE becomes GLOB there; MySQL's default collations ignore
  case, so the comparison is repeated on ``BINARY`` there).
- :class:`HasRow`: "has a key-value row matching ...": EXISTS, or ``IN (SELECT ...)`` on SQLite.
- :class:`BinarySort`: a text sort key in byte order (``BINARY`` on MySQL).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

__all__ = ["BinarySort", "HasRow", "StringCompare", "like_to_glob"]

_ESCAPE = "\\"
_NEGATED = {"!=": "=", "NOT IN": "IN", "NOT LIKE": "LIKE"}


def like_to_glob(pattern: str) -> str:
    """The SQLite GLOB pattern (case-sensitive) equivalent to a LIKE pattern escaped by ``\\``."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == _ESCAPE and i + 1 < len(pattern):
            i += 1
            ch = pattern[i]
        elif ch in "%_":
            out.append("*" if ch == "%" else "?")
            i += 1
            continue
        out.append(f"[{ch}]" if ch in "*?[" else ch)
        i += 1
    return "".join(out)


class StringCompare(ColumnElement[bool]):
    """``column op value`` on text, case-sensitive on every dialect."""

    inherit_cache = True
    type = sa.Boolean()
    _is_implicitly_boolean = True  # rendered bare in WHERE, not as ``(...) = 1``
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("comparison", InternalTraversal.dp_string),
        ("value", InternalTraversal.dp_clauseelement),
        ("glob", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, op: str, value: str | tuple[str, ...]) -> None:
        if op not in ("=", "IN", "LIKE", *_NEGATED):
            raise ValueError(f"StringCompare does not handle {op!r}")
        self.column = column
        self.comparison = op
        if isinstance(value, tuple):
            self.value = sa.bindparam(None, list(value), sa.String(), expanding=True, unique=True)
        else:
            self.value = sa.bindparam(None, value, sa.String(), unique=True)
        glob = like_to_glob(value) if "LIKE" in op and isinstance(value, str) else ""
        self.glob = sa.bindparam(None, glob, sa.String(), unique=True)

    def positive(self, column: Any) -> ColumnElement[bool]:
        """The comparison without its NOT, on ``column``."""
        op = _NEGATED.get(self.comparison, self.comparison)
        if op == "LIKE":
            return column.like(self.value, escape=_ESCAPE)  # type: ignore[no-any-return]
        if op == "IN":
            return column.in_(self.value)  # type: ignore[no-any-return]
        return column == self.value  # type: ignore[no-any-return]

    @property
    def negated(self) -> bool:
        """Whether the operator is a NOT form."""
        return self.comparison in _NEGATED


def _render(element: StringCompare, compiler: Any, positive: Any, **kw: Any) -> str:
    sql = compiler.process(positive, **kw)
    return f"(NOT ({sql}))" if element.negated else f"({sql})"


@compiles(StringCompare)
def _compare_default(element: StringCompare, compiler: Any, **kw: Any) -> str:
    return _render(element, compiler, element.positive(element.column), **kw)


@compiles(StringCompare, "sqlite")
def _compare_sqlite(element: StringCompare, compiler: Any, **kw: Any) -> str:
    if "LIKE" not in element.comparison:
        return _compare_default(element, compiler, **kw)
    # The unary + keeps SQLite from turning a GLOB prefix into an index range: for a common
    # prefix ('v%') that range covers every row, a far worse plan than driving from the runs.
    column = compiler.process(element.column, **kw)
    sql = f"+{column} GLOB {compiler.process(element.glob, **kw)}"
    return f"(NOT ({sql}))" if element.negated else f"({sql})"


@compiles(StringCompare, "mysql")
@compiles(StringCompare, "mariadb")
def _compare_mysql(element: StringCompare, compiler: Any, **kw: Any) -> str:
    # The plain comparison can use an index; the one on BINARY makes it case-sensitive.
    both = sa.and_(
        element.positive(element.column), element.positive(sa.func.binary(element.column))
    )
    return _render(element, compiler, both, **kw)


class HasRow(ColumnElement[bool]):
    """True when the searched object has a key-value row (aliased) meeting ``condition``.

    PostgreSQL and MySQL get a correlated EXISTS (planned as a semi-join, and NOT EXISTS as an
    anti-join). SQLite runs a correlated subquery once per candidate row, about ten times
    slower than ``id IN (SELECT ...)``, which it evaluates once into a temporary index.
    """

    inherit_cache = True
    type = sa.Boolean()
    _is_implicitly_boolean = True
    _traverse_internals = [
        ("owner_id", InternalTraversal.dp_clauseelement),
        ("row_id", InternalTraversal.dp_clauseelement),
        ("condition", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, owner_id: Any, row_id: Any, condition: ColumnElement[bool]) -> None:
        self.owner_id = owner_id
        self.row_id = row_id
        self.condition = condition


@compiles(HasRow)
def _has_row_exists(element: HasRow, compiler: Any, **kw: Any) -> str:
    exists = sa.exists().where(element.row_id == element.owner_id, element.condition)
    return compiler.process(exists, **kw)  # type: ignore[no-any-return]


@compiles(HasRow, "sqlite")
def _has_row_in(element: HasRow, compiler: Any, **kw: Any) -> str:
    member = element.owner_id.in_(sa.select(element.row_id).where(element.condition))
    return f"({compiler.process(member, **kw)})"


class BinarySort(ColumnElement[Any]):
    """A text column as a sort key in byte order, as SQLite and PostgreSQL (locale C) sort."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type


@compiles(BinarySort)
def _sort_default(element: BinarySort, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)  # type: ignore[no-any-return]


@compiles(BinarySort, "mysql")
@compiles(BinarySort, "mariadb")
def _sort_mysql(element: BinarySort, compiler: Any, **kw: Any) -> str:
    return compiler.process(sa.func.binary(element.column), **kw)  # type: ignore[no-any-return]
