"""Compile the search AST to SQLAlchemy Core selects over runs and experiments.

Filtering happens in SQL only, reading ``latest_metrics`` (never the metric history):

- a top-level AND of comparisons on metrics/params/tags becomes one aliased inner JOIN per
  key (SQLite plans these well); under OR and NOT, and for IS NULL, each comparison is a
  :class:`~cairn.store.sql.search_dialects.HasRow` test (EXISTS, or ``IN (SELECT ...)`` on
  SQLite);
- a comparison on a key matches only runs that have the key; ``NOT x`` is the complement;
- NaN metrics (``is_nan``) behave like IEEE NaN: only ``!=`` and ``NOT IN`` are true for them;
- params compare as text against strings and through ``value_num`` against numbers;
- text comparisons and LIKE are case-sensitive and ILIKE is not, on SQLite, PostgreSQL and
  MySQL alike, with backslash as the LIKE escape character everywhere.

Ordering by a metric/param/tag LEFT JOINs the key's row and puts runs without it last in both
directions (NaN metrics just before them, as MLflow does); params sort numbers numerically
before text; text sorts in byte order; ties break by start_time DESC, run_uuid ASC.

That one statement sorts every run in scope (the CASE that puts runs without the key last
hides the ``(key, value)`` index). :func:`execute_run_search` returns the same rows faster
when the order is one metric/param/tag key: it reads the order's bands in turn (for a metric:
runs with a number, with NaN, without the key), each band one SELECT whose order an index
yields, so that the database walks ``(key, value)`` and stops at LIMIT. A band with many
entries is walked only down to its ``budget``-th index entry (a range on the value, so that
ties at the edge stay in); a page that the range does not fill falls back to the one
statement, so no page costs much more than before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

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
from cairn.store.sql.search_dialects import BinarySort, HasRow, StringCompare

__all__ = ["build_experiment_search", "build_run_search", "execute_run_search"]

_NAN_FALSE_OPS = ("=", "<", "<=", ">", ">=", "IN")  # false for NaN, like IEEE comparisons


def _scalar_condition(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    """``column op value`` for every operator but IS [NOT] NULL."""
    if op == "ILIKE":
        return column.ilike(value, escape="\\")  # type: ignore[no-any-return]
    if op == "NOT ILIKE":
        return column.not_ilike(value, escape="\\")  # type: ignore[no-any-return]
    first = value[0] if isinstance(value, tuple) else value
    if isinstance(first, str):
        return StringCompare(column, op, value)
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
            return sa.and_(
                row.c.is_nan == sa.false(), _scalar_condition(row.c.value, term.op, term.value)
            )
        return sa.or_(
            row.c.is_nan == sa.true(), _scalar_condition(row.c.value, term.op, term.value)
        )
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


def _direction(column: Any, ascending: bool) -> Any:
    """``column`` as an ASC/DESC sort key (text in byte order)."""
    if isinstance(column.type, sa.String):
        column = BinarySort(column)
    return column.asc() if ascending else column.desc()


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
        return sa.and_(row.c[self.target.id_name] == own_id, StringCompare(row.c.key, "=", key))

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
        """A self-contained condition on the searched row (HasRow for metrics/params/tags)."""
        if isinstance(expr, And):
            return sa.and_(sa.true(), *(self.predicate(term) for term in expr.terms))
        if isinstance(expr, Or):
            return sa.or_(sa.false(), *(self.predicate(term) for term in expr.terms))
        if isinstance(expr, Not):
            return sa.not_(self.predicate(expr.term))
        if expr.entity_type == ATTRIBUTE:
            return self.attribute(expr)
        row = self.new_row(expr.entity_type)
        own_id = self.target.table.c[self.target.id_name]
        if expr.op == "IS NULL":
            has_key = StringCompare(row.c.key, "=", expr.key)
            return sa.not_(HasRow(own_id, row.c[self.target.id_name], has_key))
        condition = sa.and_(StringCompare(row.c.key, "=", expr.key), _entity_condition(row, expr))
        return HasRow(own_id, row.c[self.target.id_name], condition)

    def where(self, expr: Expr | None) -> list[ColumnElement[bool]]:
        """Conditions for ``expr``, joining the keys of a top-level AND where it can."""
        terms = expr.terms if isinstance(expr, And) else (() if expr is None else (expr,))
        conditions = []
        for term in map(_push_not, terms):
            if (
                not isinstance(term, Comparison)
                or term.entity_type == ATTRIBUTE
                or term.op == "IS NULL"
            ):
                conditions.append(self.predicate(term))
                continue
            joined = self.join(term.entity_type, term.key, inner=True)
            joined.nan_excluded |= term.entity_type == METRIC and term.op in _NAN_FALSE_OPS
            if term.op != "IS NOT NULL":  # the inner join alone says the key is there
                conditions.append(_entity_condition(joined.row, term))
        return conditions

    def order(self, keys: list[OrderKey]) -> list[Any]:
        """ORDER BY terms for ``keys`` (or the default order), then the tie-breakers."""
        keys = list(keys) or list(self.target.default_order)
        return [term for key in [*keys, *self.tiebreak(keys)] for term in self.order_terms(key)]

    def tiebreak(self, keys: list[OrderKey]) -> list[OrderKey]:
        """The tie-breakers that ``keys`` do not already name."""
        named = {(k.entity_type, k.key) for k in keys}
        return [k for k in self.target.tiebreak if (k.entity_type, k.key) not in named]

    def order_terms(self, key: OrderKey) -> list[Any]:
        def direction(column: Any) -> Any:
            return _direction(column, key.ascending)

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
    builder, conditions = _filtered(experiment_ids, expr, stages)
    return _ordered(builder, conditions, order, limit, offset)


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


def _scope(experiment_ids: list[int], stages: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """Runs in the experiments and lifecycle stages searched."""
    return [
        runs.c.experiment_id.in_([int(i) for i in experiment_ids]),
        runs.c.lifecycle_stage.in_(list(stages)),
    ]


def _filtered(
    experiment_ids: list[int], expr: Expr | None, stages: tuple[str, ...]
) -> tuple[_Builder, list[ColumnElement[bool]]]:
    """A builder holding the filter's joins, and the conditions of the run search."""
    builder = _Builder(_RUNS)
    return builder, [*_scope(experiment_ids, stages), *builder.where(expr)]


def _ordered(
    builder: _Builder,
    conditions: list[ColumnElement[bool]],
    order: list[OrderKey],
    limit: int,
    offset: int,
) -> sa.Select[Any]:
    """The run search as one statement, ordered by ``order`` then the tie-breakers."""
    order_by = builder.order(order)  # first: it may join the order's keys
    query = sa.select(*runs.c).select_from(builder.source).where(*conditions)
    return query.order_by(*order_by).limit(limit).offset(offset)


# -- one-key orders, band by band -------------------------------------------------------------


@dataclass(frozen=True)
class _Band:
    """Runs in one band of ``ORDER BY <entity>.<key>``: with a row for the key meeting
    ``condition`` (``present``), or without one. ``order`` names the row's sort columns ahead
    of the tie-breakers; ``column``, the one that an index on ``(key, column)`` yields in order.
    """

    present: bool
    condition: Callable[[Any], ColumnElement[bool]] = lambda row: sa.true()
    order: tuple[str, ...] = ()
    column: str | None = None


_MISSING = _Band(present=False)

# The bands in the order that ``_Builder.order_terms`` sorts them.
_BANDS = {
    METRIC: (
        _Band(True, lambda row: row.c.is_nan == sa.false(), ("value",), "value"),
        _Band(True, lambda row: row.c.is_nan == sa.true(), ("value",)),
        _MISSING,
    ),
    PARAM: (
        _Band(True, lambda row: row.c.value_num.is_not(None), ("value_num", "value"), "value_num"),
        _Band(True, lambda row: row.c.value_num.is_(None), ("value",), "value"),
        _MISSING,
    ),
    TAG: (_Band(True, order=("value",), column="value"), _MISSING),
}

# A walk reads at most one index entry per _WALK_SHARE runs in scope, so that a walk that finds
# too few rows costs less than the one statement that follows it (which visits every run in
# scope), and at most _WALK_REACH entries per row wanted.
_WALK_SHARE = 4
_WALK_REACH = 10


def _band_query(
    experiment_ids: list[int],
    expr: Expr | None,
    stages: tuple[str, ...],
    key: OrderKey,
    band: _Band,
    bound: Any,
) -> sa.Select[Any] | None:
    """The runs of ``band`` in order (up to ``bound`` on its column); None if none can match."""
    builder, conditions = _filtered(experiment_ids, expr, stages)
    joined = builder.join(key.entity_type, key.key, inner=band.present)
    row = joined.row
    if not band.present:
        if joined.inner:  # the filter asks for the key
            return None
        conditions.append(row.c[_RUNS.id_name].is_(None))
    else:
        conditions.append(band.condition(row))
    if bound is not None and band.column is not None:
        value = row.c[band.column]
        value = BinarySort(value) if isinstance(value.type, sa.String) else value
        conditions.append(value <= bound if key.ascending else value >= bound)
    order_by = [_direction(row.c[name], key.ascending) for name in band.order]
    order_by += [term for k in builder.tiebreak([key]) for term in builder.order_terms(k)]
    return sa.select(*runs.c).select_from(builder.source).where(*conditions).order_by(*order_by)


def _bound(conn: Connection, key: OrderKey, column_name: str, budget: int) -> Any:
    """The ``budget``-th value of ``key`` in the order's direction (any run), or None."""
    table = _RUNS.entity_tables[key.entity_type]
    column = table.c[column_name]
    query = (
        sa.select(column)
        .where(StringCompare(table.c.key, "=", key.key), column.is_not(None))
        .order_by(_direction(column, key.ascending))
        .limit(1)
        .offset(budget - 1)
    )
    return conn.execute(query).scalar()


def _count(conn: Connection, query: sa.Select[Any]) -> int:
    """How many rows ``query`` returns."""
    counted = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    return int(conn.execute(counted).scalar_one())


def _sorts_without_case(builder: _Builder, key: OrderKey) -> bool:
    """Whether the filter (joined by ``builder``) leaves one band of ``key`` (rows for it; for a
    metric, no NaN), so that ``_Builder.order_terms`` sorts by the value alone, as the
    ``(key, value)`` index does.
    """
    joined = builder.joined.get((key.entity_type, key.key))
    if joined is None or not joined.inner:
        return False
    return key.entity_type == TAG or (key.entity_type == METRIC and joined.nan_excluded)


def _walk_budget(
    conn: Connection, experiment_ids: list[int], stages: tuple[str, ...], need: int
) -> int:
    """How many index entries a walk may read for ``need`` rows; 0 when it should not try."""
    cap = _WALK_SHARE * _WALK_REACH * need
    scoped = sa.select(runs.c.experiment_id).where(*_scope(experiment_ids, stages)).limit(cap)
    budget = _count(conn, scoped) // _WALK_SHARE
    return budget if budget >= need else 0


def execute_run_search(
    conn: Connection,
    experiment_ids: list[int],
    expr: Expr | None,
    order: list[OrderKey],
    stages: tuple[str, ...],
    limit: int,
    offset: int,
    *,
    budget: int | None = None,
) -> list[sa.Row[Any]]:
    """The rows of :func:`build_run_search`, read band by band when ordering by one key.

    ``budget`` caps the index entries a walk reads; None sizes it from the runs in scope.
    Several statements may run: give a connection that reads one snapshot (SQLite's deferred
    transaction, MySQL's REPEATABLE READ; PostgreSQL needs REPEATABLE READ asked for).
    """
    builder, conditions = _filtered(experiment_ids, expr, stages)

    def whole() -> list[sa.Row[Any]]:
        query = _ordered(builder, conditions, order, limit, offset)
        return list(conn.execute(query).all())

    if len(order) != 1 or order[0].entity_type == ATTRIBUTE or not experiment_ids or limit < 1:
        return whole()
    key = order[0]
    if _sorts_without_case(builder, key):  # one statement that the index serves already
        return whole()
    if budget is None:
        budget = _walk_budget(conn, experiment_ids, stages, offset + limit)
    if budget < 1:
        return whole()
    rows: list[sa.Row[Any]] = []
    skip, want = offset, limit
    # A band is read past its bound only when every band before it ended within ``budget``
    # index entries of the key: then the key is rare, and the NaN band (a scan of the key's
    # rows) and the band without the key (a walk of the runs) are cheap too.
    for band in _BANDS[key.entity_type]:
        bound = _bound(conn, key, band.column, budget) if band.column else None
        query = _band_query(experiment_ids, expr, stages, key, band, bound)
        if query is None:
            continue
        found = conn.execute(query.limit(want).offset(skip)).all()
        rows += found
        want -= len(found)
        if want == 0:
            return rows
        if bound is not None:  # the band goes on past the bound: where it ends is unknown
            return whole()
        if found:
            skip = 0
        elif skip:  # the whole band lies before the page: skip past it
            skip -= _count(conn, query)
    return rows
