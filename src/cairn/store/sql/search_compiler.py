"""Compile the search AST to SQLAlchemy Core selects over runs and experiments.

Filtering happens in SQL only, reading ``latest_metrics`` (never the metric history):

- a top-level AND of comparisons on metrics/params/tags becomes one aliased inner JOIN per
  key (SQLite plans these well); OR, NOT and IS NULL test each key with :class:`HasRow` (EXISTS, or IN on SQLite);
- a comparison on a key matches only runs that have the key; ``NOT x`` is the complement;
- NaN metrics (``is_nan``) behave like IEEE NaN: only ``!=`` and ``NOT IN`` are true for them;
- params compare as text against strings and through ``value_num`` against numbers;
- LIKE is case-sensitive and ILIKE case-insensitive on SQLite, PostgreSQL and MySQL, with
  backslash as the escape character everywhere.

Ordering by a metric/param/tag LEFT JOINs the key's row and puts runs without it last in both
directions (then NaN metrics just before them, as MLflow does); ties break by start_time DESC,
run_uuid ASC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from cairn.store.search.ast import (
    ATTRIBUTE,
    METRIC,
    PARAM,
    TAG,
    And,
    Comparison,
    Expr,
    Not,
    Or,
    OrderKey,
)
from cairn.store.sql.schema import experiment_tags, experiments, latest_metrics, params, runs, tags

__all__ = [
    "CaseSensitiveLike",
    "HasRow",
    "build_experiment_search",
    "build_run_search",
    "like_to_glob",
]

_NAN_FALSE_OPS = ("=", "<", "<=", ">", ">=", "IN")  # false for NaN, like IEEE comparisons


def like_to_glob(pattern: str) -> str:
    """The SQLite GLOB pattern (case-sensitive) equivalent to a LIKE pattern escaped by ``\\``."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            i += 1
            ch = pattern[i]
            out.append(f"[{ch}]" if ch in "*?[" else ch)
        elif ch in "%_":
            out.append("*" if ch == "%" else "?")
        else:
            out.append(f"[{ch}]" if ch in "*?[" else ch)
        i += 1
    return "".join(out)


class CaseSensitiveLike(ColumnElement[bool]):
    """``column [NOT] LIKE pattern``, case-sensitive on every dialect (GLOB on SQLite)."""

    inherit_cache = True
    type = sa.Boolean()
    _is_implicitly_boolean = True  # render it bare in WHERE, not as ``(...) = 1``
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("pattern", InternalTraversal.dp_clauseelement),
        ("glob", InternalTraversal.dp_clauseelement),
        ("negate", InternalTraversal.dp_boolean),
    ]

    def __init__(self, column: ColumnElement[Any], pattern: str, negate: bool = False) -> None:
        self.column = column
        self.pattern = sa.literal(pattern, sa.String())
        self.glob = sa.literal(like_to_glob(pattern), sa.String())
        self.negate = negate


def _wrap(element: CaseSensitiveLike, sql: str) -> str:
    return f"(NOT ({sql}))" if element.negate else f"({sql})"


@compiles(CaseSensitiveLike)
def _like_default(element: CaseSensitiveLike, compiler: Any, **kw: Any) -> str:
    return _wrap(element, compiler.process(element.column.like(element.pattern, escape="\\"), **kw))


@compiles(CaseSensitiveLike, "sqlite")
def _like_sqlite(element: CaseSensitiveLike, compiler: Any, **kw: Any) -> str:
    # The unary + keeps SQLite from turning a GLOB prefix into an index range: for a common
    # prefix ('v%') that range covers every row, a far worse plan than driving from the runs.
    column = compiler.process(element.column, **kw)
    return _wrap(element, f"+{column} GLOB {compiler.process(element.glob, **kw)}")


class HasRow(ColumnElement[bool]):
    """True when the searched object has a key-value row (aliased ``row``) meeting ``condition``.

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
    return compiler.process(exists, **kw)


@compiles(HasRow, "sqlite")
def _has_row_in(element: HasRow, compiler: Any, **kw: Any) -> str:
    member = element.owner_id.in_(sa.select(element.row_id).where(element.condition))
    return f"({compiler.process(member, **kw)})"


@compiles(CaseSensitiveLike, "mysql")
def _like_mysql(element: CaseSensitiveLike, compiler: Any, **kw: Any) -> str:
    # The plain LIKE can use an index; BINARY makes the match case-sensitive.
    both = sa.and_(
        element.column.like(element.pattern, escape="\\"),
        sa.func.binary(element.column).like(element.pattern, escape="\\"),
    )
    return _wrap(element, compiler.process(both, **kw))


def _scalar_condition(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    """``column op value`` for every operator but IS [NOT] NULL."""
    if op in ("LIKE", "NOT LIKE"):
        return CaseSensitiveLike(column, value, negate=op == "NOT LIKE")
    if op == "ILIKE":
        return column.ilike(value, escape="\\")
    if op == "NOT ILIKE":
        return column.not_ilike(value, escape="\\")
    if op == "IN":
        return column.in_(value)
    if op == "NOT IN":
        return column.not_in(value)
    return column.operate(_OPERATORS[op], value)


_OPERATORS = {
    "=": sa.sql.operators.eq,
    "!=": sa.sql.operators.ne,
    "<": sa.sql.operators.lt,
    "<=": sa.sql.operators.le,
    ">": sa.sql.operators.gt,
    ">=": sa.sql.operators.ge,
}


def _entity_condition(row: Any, term: Comparison) -> ColumnElement[bool]:
    """The condition on a metric/param/tag row that ``term`` puts (its key is matched apart)."""
    if term.op == "IS NOT NULL":
        return sa.true()
    if term.entity_type == METRIC:
        if term.op in _NAN_FALSE_OPS:
            return sa.and_(row.c.is_nan == sa.false(), _scalar_condition(row.c.value, term.op, term.value))
        return sa.or_(row.c.is_nan == sa.true(), _scalar_condition(row.c.value, term.op, term.value))
    first = term.value[0] if isinstance(term.value, tuple) else term.value
    if term.entity_type == PARAM and not isinstance(first, str):
        return _scalar_condition(row.c.value_num, term.op, term.value)
    return _scalar_condition(row.c.value, term.op, term.value)


def _push_not(expr: Expr) -> Expr:
    """``NOT x IS NULL`` as ``x IS NOT NULL`` (and back), so that it can become a join."""
    if isinstance(expr, Not) and isinstance(expr.term, Comparison):
        flipped = {"IS NULL": "IS NOT NULL", "IS NOT NULL": "IS NULL"}.get(expr.term.op)
        if flipped:
            return Comparison(expr.term.entity_type, expr.term.key, flipped)
    return expr


@dataclass(frozen=True)
class _Target:
    """What is searched: the table, its id column, its key-value tables and attributes."""

    table: sa.Table
    id_name: str
    entity_tables: dict[str, sa.Table]
    attributes: dict[str, sa.Column[Any]]
    nullable: frozenset[str]
    default_order: tuple[OrderKey, ...]
    tiebreak: tuple[OrderKey, ...] = field(default=())


_RUNS = _Target(
    table=runs,
    id_name="run_uuid",
    entity_tables={METRIC: latest_metrics, PARAM: params, TAG: tags},
    attributes={
        "run_id": runs.c.run_uuid,
        "run_name": runs.c.name,
        "status": runs.c.status,
        "user_id": runs.c.user_id,
        "artifact_uri": runs.c.artifact_uri,
        "lifecycle_stage": runs.c.lifecycle_stage,
        "start_time": runs.c.start_time,
        "end_time": runs.c.end_time,
    },
    nullable=frozenset({"end_time"}),
    default_order=(OrderKey(ATTRIBUTE, "start_time", False), OrderKey(ATTRIBUTE, "run_id")),
    tiebreak=(OrderKey(ATTRIBUTE, "start_time", False), OrderKey(ATTRIBUTE, "run_id")),
)

_EXPERIMENTS = _Target(
    table=experiments,
    id_name="experiment_id",
    entity_tables={TAG: experiment_tags},
    attributes={
        "experiment_id": experiments.c.experiment_id,
        "name": experiments.c.name,
        "creation_time": experiments.c.creation_time,
        "last_update_time": experiments.c.last_update_time,
    },
    nullable=frozenset(),
    default_order=(OrderKey(ATTRIBUTE, "last_update_time", False),),
    tiebreak=(OrderKey(ATTRIBUTE, "experiment_id"),),
)


@dataclass
class _Joined:
    row: Any
    inner: bool
    nan_excluded: bool = False


class _Builder:
    """Accumulates the FROM clause (joins per key) and conditions of one search."""

    def __init__(self, target: _Target) -> None:
        self.target = target
        self.source: Any = target.table
        self.joined: dict[tuple[str, str], _Joined] = {}
        self.count = 0

    def new_row(self, entity: str) -> Any:
        self.count += 1
        return self.target.entity_tables[entity].alias(f"{entity}_{self.count}")

    def key_match(self, row: Any, key: str) -> ColumnElement[bool]:
        own_id = self.target.table.c[self.target.id_name]
        return sa.and_(row.c[self.target.id_name] == own_id, row.c.key == key)

    def join(self, entity: str, key: str, inner: bool) -> _Joined:
        found = self.joined.get((entity, key))
        if found is None:
            row = self.new_row(entity)
            self.source = self.source.join(row, self.key_match(row, key), isouter=not inner)
            found = self.joined[(entity, key)] = _Joined(row, inner)
        return found

    def attribute(self, term: Comparison) -> ColumnElement[bool]:
        column = self.target.attributes[term.key]
        if term.op == "IS NULL":
            return column.is_(None)
        if term.op == "IS NOT NULL":
            return column.is_not(None)
        condition = _scalar_condition(column, term.op, term.value)
        if term.key in self.target.nullable:  # two-valued, so that NOT gives the complement
            return sa.and_(column.is_not(None), condition)
        return condition

    def predicate(self, expr: Expr) -> ColumnElement[bool]:
        """A self-contained condition (correlated EXISTS for keyed rows)."""
        if isinstance(expr, And):
            return sa.and_(*(self.predicate(term) for term in expr.terms))
        if isinstance(expr, Or):
            return sa.or_(*(self.predicate(term) for term in expr.terms))
        if isinstance(expr, Not):
            return sa.not_(self.predicate(expr.term))
        if expr.entity_type == ATTRIBUTE:
            return self.attribute(expr)
        row = self.new_row(expr.entity_type)
        own_id = self.target.table.c[self.target.id_name]
        if expr.op == "IS NULL":
            return sa.not_(HasRow(own_id, row.c[self.target.id_name], row.c.key == expr.key))
        condition = sa.and_(row.c.key == expr.key, _entity_condition(row, expr))
        return HasRow(own_id, row.c[self.target.id_name], condition)

    def where(self, expr: Expr | None) -> list[ColumnElement[bool]]:
        """Conditions for ``expr``, joining the keys of a top-level AND where it can."""
        terms = expr.terms if isinstance(expr, And) else (() if expr is None else (expr,))
        conditions = []
        for term in map(_push_not, terms):
            joinable = isinstance(term, Comparison) and term.entity_type != ATTRIBUTE
            if not joinable or term.op == "IS NULL":
                conditions.append(self.predicate(term))
                continue
            joined = self.join(term.entity_type, term.key, inner=True)
            joined.nan_excluded |= term.entity_type == METRIC and term.op in _NAN_FALSE_OPS
            conditions.append(_entity_condition(joined.row, term))
        return conditions

    def order(self, keys: list[OrderKey]) -> list[Any]:
        """ORDER BY terms for ``keys`` (or the default order), then the tie-breakers."""
        terms: list[Any] = []
        keys = list(keys) or list(self.target.default_order)
        keys += [k for k in self.target.tiebreak if (k.entity_type, k.key) not in
                 {(o.entity_type, o.key) for o in keys}]
        for key in keys:
            terms.extend(self.order_terms(key))
        return terms

    def order_terms(self, key: OrderKey) -> list[Any]:
        def direction(column: Any) -> Any:
            return column.asc() if key.ascending else column.desc()

        if key.entity_type == ATTRIBUTE:
            column = self.target.attributes[key.key]
            if key.key in self.target.nullable:
                return [sa.case((column.is_(None), 1), else_=0), direction(column)]
            return [direction(column)]
        joined = self.join(key.entity_type, key.key, inner=False)
        row, last = joined.row, []
        if not joined.inner:
            last.append((row.c[self.target.id_name].is_(None), 2))
        if key.entity_type == METRIC:
            if not joined.nan_excluded:
                last.append((row.c.is_nan == sa.true(), 1))
            head = [sa.case(*last, else_=0)] if last else []
            return [*head, direction(row.c.value)]
        head = [sa.case(*last, else_=0)] if last else []
        if key.entity_type == PARAM:
            numeric_first = sa.case((row.c.value_num.is_(None), 1), else_=0)
            return [*head, numeric_first, direction(row.c.value_num), direction(row.c.value)]
        return [*head, direction(row.c.value)]


def build_run_search(
    experiment_ids: list[int],
    expr: Expr | None,
    order: list[OrderKey],
    stages: tuple[str, ...],
    limit: int,
    offset: int,
) -> sa.Select[Any]:
    """A SELECT of the ``runs`` columns matching ``expr`` in the experiments and stages."""
    builder = _Builder(_RUNS)
    conditions = [
        runs.c.experiment_id.in_([int(i) for i in experiment_ids]),
        runs.c.lifecycle_stage.in_(list(stages)),
        *builder.where(expr),
    ]
    order_by = builder.order(order)
    query = sa.select(*runs.c).select_from(builder.source).where(*conditions)
    return query.order_by(*order_by).limit(limit).offset(offset)


def build_experiment_search(
    expr: Expr | None,
    order: list[OrderKey],
    stages: tuple[str, ...],
    limit: int,
    offset: int,
) -> sa.Select[Any]:
    """A SELECT of the ``experiments`` columns matching ``expr`` in the lifecycle stages."""
    builder = _Builder(_EXPERIMENTS)
    conditions = [experiments.c.lifecycle_stage.in_(list(stages)), *builder.where(expr)]
    order_by = builder.order(order)
    query = sa.select(*experiments.c).select_from(builder.source).where(*conditions)
    return query.order_by(*order_by).limit(limit).offset(offset)
