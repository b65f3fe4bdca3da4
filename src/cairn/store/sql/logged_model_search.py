"""Searching logged models: the run filter grammar over a model's attributes, tags, params
and metrics.

An experiment holds few logged models (one per ``log_model`` call), so the rows of the
experiments searched are loaded and the parsed filter is evaluated on each model; an
equality on ``name`` at the top of the filter (what MLflow's client sends to find a run's
model) narrows the SQL query first. A metric compares by its latest point (greatest step,
then timestamp), counting only points on the datasets asked for, if any.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import LoggedModel, ModelMetric
from cairn.store.search import ATTRIBUTE, METRIC, PARAM, TAG, And, Comparison, Expr, Not, Or
from cairn.store.search.ast import OrderKey
from cairn.store.search.fields import NUMBER, STRING, Schema
from cairn.store.search.parser import parse_filter_with, parse_order_by_with
from cairn.store.sql import schema as t
from cairn.store.sql.logged_model_reads import ACTIVE, load_models

Datasets = list[tuple[str, str | None]]

LOGGED_MODELS = Schema(
    noun="logged model",
    prefixes={
        "metric": METRIC,
        "metrics": METRIC,
        "param": PARAM,
        "params": PARAM,
        "tag": TAG,
        "tags": TAG,
        "attribute": ATTRIBUTE,
        "attributes": ATTRIBUTE,
    },
    attributes={
        "name": STRING,
        "model_id": STRING,
        "model_type": STRING,
        "status": STRING,
        "source_run_id": STRING,
        "creation_timestamp": NUMBER,
        "last_updated_timestamp": NUMBER,
    },
    nullable=frozenset({"model_type", "source_run_id"}),
    aliases={"creation_time": "creation_timestamp", "last_updated_time": "last_updated_timestamp"},
    bare_attributes_in_filter=True,
    entity_kinds={METRIC: NUMBER, PARAM: STRING, TAG: STRING},
)

_ATTRIBUTES: dict[str, Callable[[LoggedModel], Any]] = {
    "name": lambda m: m.name,
    "model_id": lambda m: m.model_id,
    "model_type": lambda m: m.model_type,
    "status": lambda m: m.status,
    "source_run_id": lambda m: m.source_run_id,
    "creation_timestamp": lambda m: m.creation_time,
    "last_updated_timestamp": lambda m: m.last_update_time,
}
_DEFAULT_ORDER = [OrderKey(ATTRIBUTE, "creation_timestamp", ascending=False)]


def search_models(
    conn: Connection,
    experiment_ids: list[int],
    filter_string: str | None,
    order_by: list[str],
    datasets: Datasets,
) -> list[LoggedModel]:
    """Every active model of the experiments that matches, in order."""
    expr = parse_filter_with(filter_string, LOGGED_MODELS)
    order = parse_order_by_with(order_by, LOGGED_MODELS) or _DEFAULT_ORDER
    query = sa.select(t.logged_models).where(
        t.logged_models.c.experiment_id.in_(experiment_ids),
        t.logged_models.c.lifecycle_stage == ACTIVE,
    )
    name = _required_name(expr)
    if name is not None:
        query = query.where(t.logged_models.c.name == name)
    models = load_models(conn, conn.execute(query).all())
    found = [m for m in models if expr is None or _matches(expr, m, datasets)]
    found.sort(key=lambda m: m.model_id)
    for key in reversed(order):
        found = _sorted(found, key, datasets)
    return found


def _required_name(expr: Expr | None) -> str | None:
    terms = expr.terms if isinstance(expr, And) else (expr,)
    for term in terms:
        if (
            isinstance(term, Comparison)
            and (term.entity_type, term.key, term.op) == (ATTRIBUTE, "name", "=")
            and isinstance(term.value, str)
        ):
            return term.value
    return None


def _value(model: LoggedModel, entity_type: str, key: str, datasets: Datasets) -> Any:
    if entity_type == ATTRIBUTE:
        return _ATTRIBUTES[key](model)
    if entity_type == TAG:
        return model.tags.get(key)
    if entity_type == PARAM:
        return model.params.get(key)
    points = [m for m in model.metrics if m.key == key and _on(m, datasets)]
    if not points:
        return None
    latest = max(points, key=lambda m: (m.step, m.timestamp)).value
    return None if math.isnan(latest) else latest  # NaN orders and compares as no value


def _on(metric: ModelMetric, datasets: Datasets) -> bool:
    if not datasets:
        return True
    return any(
        metric.dataset_name == name and (digest is None or metric.dataset_digest == digest)
        for name, digest in datasets
    )


def _matches(expr: Expr, model: LoggedModel, datasets: Datasets) -> bool:
    if isinstance(expr, And):
        return all(_matches(term, model, datasets) for term in expr.terms)
    if isinstance(expr, Or):
        return any(_matches(term, model, datasets) for term in expr.terms)
    if isinstance(expr, Not):
        return not _matches(expr.term, model, datasets)
    return _compare(expr, _value(model, expr.entity_type, expr.key, datasets))


def _compare(cond: Comparison, lhs: Any) -> bool:
    op, rhs = cond.op, cond.value
    if op == "IS NULL":
        return lhs is None
    if op == "IS NOT NULL":
        return lhs is not None
    if lhs is None:
        return False  # a missing value satisfies no comparison, as in SQL
    if op in ("IN", "NOT IN"):
        return (lhs in rhs) == (op == "IN")  # type: ignore[operator]
    if op.endswith("LIKE"):
        found = _like(str(rhs), "ILIKE" in op).fullmatch(str(lhs)) is not None
        return found != op.startswith("NOT")
    return {
        "=": lhs == rhs,
        "!=": lhs != rhs,
        "<": lhs < rhs,
        "<=": lhs <= rhs,
        ">": lhs > rhs,
        ">=": lhs >= rhs,
    }[op]


@lru_cache(maxsize=256)
def _like(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """A SQL LIKE pattern as a regular expression (``%``, ``_``, backslash escapes)."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _sorted(models: list[LoggedModel], key: OrderKey, datasets: Datasets) -> list[LoggedModel]:
    """A stable sort on one key; models without a value come last either way."""
    present = [m for m in models if _value(m, key.entity_type, key.key, datasets) is not None]
    missing = [m for m in models if _value(m, key.entity_type, key.key, datasets) is None]
    present.sort(
        key=lambda m: _value(m, key.entity_type, key.key, datasets), reverse=not key.ascending
    )
    return present + missing
