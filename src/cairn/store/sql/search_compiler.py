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

One-key orders are read faster, band by band, by :mod:`cairn.store.sql.search_bands`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
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

__all__ = [
    "Builder",
    "build_experiment_search",
    "build_run_search",
    "count_run_search",
    "filtered_search",
    "ordered_search",
]

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


def sort_direction(column: Any, ascending: bool) -> Any:
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


RUN_TARGET = _Target(
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


class Builder:
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
            return sort_direction(column, key.ascending)

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
    builder, conditions = filtered_search(experiment_ids, expr, stages)
    return ordered_search(builder, conditions, order, limit, offset)


def build_experiment_search(
    expr: Expr | None,
    order: list[OrderKey],
    stages: tuple[str, ...],
    limit: int,
    offset: int,
) -> sa.Select[Any]:
    """A SELECT of the ``experiments`` columns matching ``expr`` in the lifecycle stages."""
    builder = Builder(_EXPERIMENTS)
    conditions = [experiments.c.lifecycle_stage.in_(list(stages)), *builder.where(expr)]
    order_by = builder.order(order)
    query = sa.select(*experiments.c).select_from(builder.source).where(*conditions)
    return query.order_by(*order_by).limit(limit).offset(offset)


def run_scope(experiment_ids: list[int], stages: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """Runs in the experiments and lifecycle stages searched."""
    return [
        runs.c.experiment_id.in_([int(i) for i in experiment_ids]),
        runs.c.lifecycle_stage.in_(list(stages)),
    ]


def filtered_search(
    experiment_ids: list[int], expr: Expr | None, stages: tuple[str, ...]
) -> tuple[Builder, list[ColumnElement[bool]]]:
    """A builder holding the filter's joins, and the conditions of the run search."""
    builder = Builder(RUN_TARGET)
    return builder, [*run_scope(experiment_ids, stages), *builder.where(expr)]


def count_run_search(
    experiment_ids: list[int], expr: Expr | None, stages: tuple[str, ...]
) -> sa.Select[Any]:
    """``SELECT count(*)`` of the runs matching ``expr`` in the experiments and stages."""
    builder, conditions = filtered_search(experiment_ids, expr, stages)
    return sa.select(sa.func.count()).select_from(builder.source).where(*conditions)


def ordered_search(
    builder: Builder,
    conditions: list[ColumnElement[bool]],
    order: list[OrderKey],
    limit: int,
    offset: int,
) -> sa.Select[Any]:
    """The run search as one statement, ordered by ``order`` then the tie-breakers."""
    order_by = builder.order(order)  # first: it may join the order's keys
    query = sa.select(*runs.c).select_from(builder.source).where(*conditions)
    return query.order_by(*order_by).limit(limit).offset(offset)
