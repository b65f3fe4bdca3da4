"""Reading the model registry from SQL: rows to entities, and MLflow filter strings compiled
to WHERE clauses over the registry tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import STAGES, ModelVersion, RegisteredModel
from cairn.errors import InvalidFilter
from cairn.store import registry_validation as rv
from cairn.store.search.ast import ATTRIBUTE, And, Comparison, Expr, Not, Or
from cairn.store.search.parser import parse_filter_with, parse_order_by_with
from cairn.store.sql import schema as t
from cairn.store.sql.search_dialects import BinarySort, StringCompare

_m = t.registered_models
_v = t.model_versions
_mt = t.model_tags
_vt = t.model_version_tags
_a = t.model_aliases

MODEL_COLUMNS = {
    "name": _m.c.name,
    "creation_timestamp": _m.c.creation_time,
    "last_updated_timestamp": _m.c.last_updated_time,
}
VERSION_COLUMNS = {
    "name": _m.c.name,
    "version_number": _v.c.version,
    "run_id": _v.c.run_id,
    "source_path": _v.c.source,
    "current_stage": _v.c.current_stage,
    "creation_timestamp": _v.c.creation_time,
    "last_updated_timestamp": _v.c.last_updated_time,
}
_POSITIVE = {"!=": "=", "NOT LIKE": "LIKE", "NOT ILIKE": "ILIKE", "NOT IN": "IN"}
VERSIONS = sa.select(_v, _m.c.name).join(_m, _m.c.registered_model_id == _v.c.registered_model_id)


def model_id_of(conn: Connection, name: str) -> int:
    """The row id of the registered model called ``name`` (which must exist)."""
    return int(
        conn.execute(sa.select(_m.c.registered_model_id).where(_m.c.name == name)).scalar_one()
    )


def versions(conn: Connection, query: sa.Select) -> list[ModelVersion]:
    """The versions a query over :data:`VERSIONS` returns, with their tags and aliases."""
    rows = conn.execute(query).all()
    if not rows:
        return []
    ids = {r.registered_model_id for r in rows}
    tags: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
    for tag in conn.execute(sa.select(_vt).where(_vt.c.registered_model_id.in_(ids))):
        tags[(tag.registered_model_id, tag.version)][tag.key] = tag.value
    aliases: dict[tuple[int, int], list[str]] = defaultdict(list)
    alias_rows = conn.execute(
        sa.select(_a).where(_a.c.registered_model_id.in_(ids)).order_by(_a.c.alias)
    )
    for alias in alias_rows:
        aliases[(alias.registered_model_id, alias.version)].append(alias.alias)
    return [
        ModelVersion(
            name=r.name,
            version=int(r.version),
            creation_time=r.creation_time,
            last_updated_time=r.last_updated_time,
            source=r.source,
            run_id=r.run_id,
            description=r.description,
            status=r.status,
            current_stage=r.current_stage,
            tags=tags[(r.registered_model_id, r.version)],
            aliases=aliases[(r.registered_model_id, r.version)],
            model_id=r.model_id,
            user_id=r.user_id,
        )
        for r in rows
    ]


def latest_versions(
    conn: Connection, model_ids: Iterable[int], stages: Sequence[str] = ()
) -> dict[str, list[ModelVersion]]:
    """Per model name, the newest version in each stage (of ``stages``, default all)."""
    ids = list(model_ids)
    if not ids:
        return {}
    newest = (
        sa.select(
            _v.c.registered_model_id.label("rid"),
            _v.c.current_stage.label("stage"),
            sa.func.max(_v.c.version).label("top"),
        )
        .where(_v.c.registered_model_id.in_(ids))
        .where(_v.c.current_stage.in_(list(stages or STAGES)))
        .group_by(_v.c.registered_model_id, _v.c.current_stage)
        .subquery()
    )
    query = VERSIONS.join(
        newest,
        sa.and_(newest.c.rid == _v.c.registered_model_id, newest.c.top == _v.c.version),
    ).order_by(_v.c.registered_model_id, _v.c.version)
    found: dict[str, list[ModelVersion]] = defaultdict(list)
    for version in versions(conn, query):
        found[version.name].append(version)
    return found


def registered_models(conn: Connection, rows: Sequence[Any]) -> list[RegisteredModel]:
    """Registered model rows as entities, with tags, aliases and latest versions."""
    ids = [r.registered_model_id for r in rows]
    if not ids:
        return []
    tags: dict[int, dict[str, str]] = defaultdict(dict)
    for tag in conn.execute(sa.select(_mt).where(_mt.c.registered_model_id.in_(ids))):
        tags[tag.registered_model_id][tag.key] = tag.value
    aliases: dict[int, dict[str, int]] = defaultdict(dict)
    alias_query = sa.select(_a).where(_a.c.registered_model_id.in_(ids)).order_by(_a.c.alias)
    for alias in conn.execute(alias_query):
        aliases[alias.registered_model_id][alias.alias] = int(alias.version)
    latest = latest_versions(conn, ids)
    return [
        RegisteredModel(
            name=r.name,
            creation_time=r.creation_time,
            last_updated_time=r.last_updated_time,
            description=r.description,
            tags=tags[r.registered_model_id],
            aliases=aliases[r.registered_model_id],
            latest_versions=latest.get(r.name, []),
            user_id=r.user_id,
        )
        for r in rows
    ]


def model_filter(text: str | None) -> sa.ColumnElement[bool]:
    """The WHERE clause of a registered-model filter string."""
    expr = parse_filter_with(text, rv.REGISTERED_MODELS)
    return _where(
        expr, MODEL_COLUMNS, _mt, (_mt.c.registered_model_id == _m.c.registered_model_id,)
    )


def version_filter(text: str | None) -> sa.ColumnElement[bool]:
    """The WHERE clause of a model-version filter string."""
    expr = parse_filter_with(text, rv.MODEL_VERSIONS)
    link = (
        _vt.c.registered_model_id == _v.c.registered_model_id,
        _vt.c.version == _v.c.version,
    )
    return _where(expr, VERSION_COLUMNS, _vt, link)


def order_clauses(
    items: list[str], schema: Any, columns: dict[str, Any], default: list[Any]
) -> list[Any]:
    """ORDER BY terms for parsed order-by items, then ``default`` as tie-breakers."""
    found = []
    for key in parse_order_by_with(items, schema):
        column = columns[key.key]
        if key.key in ("name", "source_path", "run_id", "current_stage"):
            column = BinarySort(column)
        found.append(column.asc() if key.ascending else column.desc())
    return [*found, *default]


def _where(
    expr: Expr | None, columns: dict[str, Any], tags: sa.Table, link: tuple[Any, ...]
) -> sa.ColumnElement[bool]:
    if expr is None:
        return sa.true()
    if isinstance(expr, And):
        return sa.and_(*(_where(e, columns, tags, link) for e in expr.terms))
    if isinstance(expr, Or):
        return sa.or_(*(_where(e, columns, tags, link) for e in expr.terms))
    if isinstance(expr, Not):
        return sa.not_(_where(expr.term, columns, tags, link))
    assert isinstance(expr, Comparison)
    if expr.entity_type == ATTRIBUTE:
        return _compare(columns[expr.key], expr.op, expr.value)
    # A negated tag comparison holds for objects without the tag too (MLflow 3's client
    # adds "tag.`mlflow.prompt.is_prompt` != 'true'" to every search).
    positive = _POSITIVE.get(expr.op)
    op = positive or expr.op
    match = sa.and_(*link, tags.c.key == expr.key, _compare(tags.c.value, op, expr.value))
    found = sa.exists(sa.select(sa.literal(1)).select_from(tags).where(match))
    return sa.not_(found) if positive else found


def _compare(column: Any, op: str, value: Any) -> sa.ColumnElement[bool]:
    if op in ("IS NULL", "IS NOT NULL"):
        return column.is_(None) if op == "IS NULL" else column.is_not(None)
    if isinstance(value, str) or (
        isinstance(value, tuple) and all(isinstance(x, str) for x in value)
    ):
        if op in ("ILIKE", "NOT ILIKE"):
            found = sa.func.lower(column).like(sa.func.lower(value), escape="\\")
            return sa.not_(found) if op.startswith("NOT") else found
        return StringCompare(column, op, value)
    ops = {
        "=": column.__eq__,
        "!=": column.__ne__,
        "<": column.__lt__,
        "<=": column.__le__,
        ">": column.__gt__,
        ">=": column.__ge__,
    }
    if op == "IN":
        return column.in_(list(value))  # type: ignore[no-any-return]
    if op == "NOT IN":
        return column.not_in(list(value))  # type: ignore[no-any-return]
    if op not in ops:
        raise InvalidFilter(f"operator {op!r} does not apply here", "", 0)
    return ops[op](value)  # type: ignore[no-any-return]
