"""Run searches ordered by one metric/param/tag key, read band by band.

The one statement of :func:`cairn.store.sql.search_compiler.build_run_search` sorts every
run in scope (the CASE that puts runs without the key last hides the ``(key, value)`` index).
:func:`execute_run_search` returns the same rows faster when the order is one
metric/param/tag key: it reads the order's bands in turn (for a metric: runs with a number,
with NaN, without the key), each band one SELECT whose order an index yields, so that the
database walks ``(key, value)`` and stops at LIMIT. A band with many entries is walked only
down to its ``budget``-th index entry (a range on the value, so that ties at the edge stay
in); a page that the range does not fill falls back to the one statement, so no page costs
much more than before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from cairn.store.search.ast import ATTRIBUTE, METRIC, PARAM, TAG, Expr, OrderKey
from cairn.store.sql.schema import runs
from cairn.store.sql.search_compiler import (
    RUN_TARGET,
    Builder,
    filtered_search,
    ordered_search,
    run_scope,
    sort_direction,
)
from cairn.store.sql.search_dialects import BinarySort, StringCompare

__all__ = ["execute_run_search"]


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

# The bands in the order that ``Builder.order_terms`` sorts them.
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
    builder, conditions = filtered_search(experiment_ids, expr, stages)
    joined = builder.join(key.entity_type, key.key, inner=band.present)
    row = joined.row
    if not band.present:
        if joined.inner:  # the filter asks for the key
            return None
        conditions.append(row.c[RUN_TARGET.id_name].is_(None))
    else:
        conditions.append(band.condition(row))
    if bound is not None and band.column is not None:
        value = row.c[band.column]
        value = BinarySort(value) if isinstance(value.type, sa.String) else value
        conditions.append(value <= bound if key.ascending else value >= bound)
    order_by = [sort_direction(row.c[name], key.ascending) for name in band.order]
    order_by += [term for k in builder.tiebreak([key]) for term in builder.order_terms(k)]
    return sa.select(*runs.c).select_from(builder.source).where(*conditions).order_by(*order_by)


def _bound(conn: Connection, key: OrderKey, column_name: str, budget: int) -> Any:
    """The ``budget``-th value of ``key`` in the order's direction (any run), or None."""
    table = RUN_TARGET.entity_tables[key.entity_type]
    column = table.c[column_name]
    query = (
        sa.select(column)
        .where(StringCompare(table.c.key, "=", key.key), column.is_not(None))
        .order_by(sort_direction(column, key.ascending))
        .limit(1)
        .offset(budget - 1)
    )
    return conn.execute(query).scalar()


def _count(conn: Connection, query: sa.Select[Any]) -> int:
    """How many rows ``query`` returns."""
    counted = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    return int(conn.execute(counted).scalar_one())


def _sorts_without_case(builder: Builder, key: OrderKey) -> bool:
    """Whether the filter (joined by ``builder``) leaves one band of ``key`` (rows for it; for a
    metric, no NaN), so that ``Builder.order_terms`` sorts by the value alone, as the
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
    scoped = sa.select(runs.c.experiment_id).where(*run_scope(experiment_ids, stages)).limit(cap)
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
    builder, conditions = filtered_search(experiment_ids, expr, stages)

    def whole() -> list[sa.Row[Any]]:
        query = ordered_search(builder, conditions, order, limit, offset)
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
