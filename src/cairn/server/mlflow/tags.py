"""MLflow's system tags and where cairn keeps the same facts: one table, read both ways.

A run logged by MLflow's client is stored the way cairn's own client stores it, so it looks
the same in cairn (``cairn.note.content``, ``cairn.source.*``, ``cairn.user``, the run-name
column, the parent run), and MLflow's client reads back exactly the tags it wrote:

=============================  =====================================================
MLflow                         cairn
=============================  =====================================================
``mlflow.runName``             the run's name (a column; never stored as a tag)
``mlflow.parentRunId``         ``cairn.parentRunId`` (and the parent-run column at creation)
``mlflow.user``                ``cairn.user``
``mlflow.note.content``        ``cairn.note.content``
``mlflow.source.name``         ``cairn.source.name``
``mlflow.source.type``         ``cairn.source.type``; ``LOCAL`` is cairn's ``SCRIPT``
``mlflow.source.git.commit``   ``cairn.source.git.commit``
``mlflow.source.git.branch``   ``cairn.source.git.branch``
``mlflow.source.git.repoURL``  ``cairn.source.git.remote``
=============================  =====================================================

Every other tag, ``mlflow.log-model.history`` included, is stored under its own key. cairn's
source types MODULE and INTERACTIVE read as MLflow's LOCAL; MLflow's other types are kept.
Filters and order-by items naming these tags are rewritten to what cairn stores.
"""

from __future__ import annotations

from dataclasses import replace

from cairn.entities import PARENT_TAG, Run
from cairn.store.search import (
    ATTRIBUTE,
    TAG,
    And,
    Comparison,
    Expr,
    Not,
    Or,
    OrderKey,
    format_filter,
    parse_filter,
    parse_order_by,
)
from cairn.store.search.ast import Scalar, Value
from cairn.store.search.fields import PLURAL
from cairn.tracking.fluent import NOTE_TAG

RUN_NAME = "mlflow.runName"
PARENT_RUN = "mlflow.parentRunId"
SOURCE_TYPE = "mlflow.source.type"
LOG_MODEL_HISTORY = "mlflow.log-model.history"

TO_CAIRN = {
    PARENT_RUN: PARENT_TAG,
    "mlflow.user": "cairn.user",
    "mlflow.note.content": NOTE_TAG,
    "mlflow.source.name": "cairn.source.name",
    SOURCE_TYPE: "cairn.source.type",
    "mlflow.source.git.commit": "cairn.source.git.commit",
    "mlflow.source.git.branch": "cairn.source.git.branch",
    "mlflow.source.git.repoURL": "cairn.source.git.remote",
}
TO_MLFLOW = {cairn: mlflow for mlflow, cairn in TO_CAIRN.items()}
_SOURCE_TYPE_TO_CAIRN = {"LOCAL": "SCRIPT"}
_SOURCE_TYPE_TO_MLFLOW = {"SCRIPT": "LOCAL", "MODULE": "LOCAL", "INTERACTIVE": "LOCAL"}


def to_cairn(key: str, value: str) -> tuple[str, str]:
    """The cairn tag storing MLflow's tag ``key`` (``mlflow.runName`` is not a tag)."""
    if key == SOURCE_TYPE:
        value = _SOURCE_TYPE_TO_CAIRN.get(value, value)
    return TO_CAIRN.get(key, key), value


def to_mlflow(run: Run) -> dict[str, str]:
    """The run's tags as MLflow names them, with ``mlflow.runName`` from the run's name."""
    tags = {}
    for key, value in run.data.tags.items():
        name = TO_MLFLOW.get(key, key)
        if name == SOURCE_TYPE:
            value = _SOURCE_TYPE_TO_MLFLOW.get(value, value)
        tags[name] = value
    tags[RUN_NAME] = run.info.run_name
    return tags


def translate_filter(filter_string: str | None) -> str | None:
    """An MLflow run filter rewritten to the tags and attributes cairn stores."""
    expr = parse_filter(filter_string)
    return None if expr is None else format_filter(_translate(expr))


def translate_order_by(items: list[str]) -> list[str]:
    """MLflow order-by items rewritten to the tags and attributes cairn stores."""
    return [_order_text(_order_key(key)) for key in parse_order_by(items)]


def _translate(expr: Expr) -> Expr:
    if isinstance(expr, (And, Or)):
        return type(expr)(tuple(_translate(term) for term in expr.terms))
    if isinstance(expr, Not):
        return Not(_translate(expr.term))
    if expr.entity_type != TAG:
        return expr
    if expr.key == RUN_NAME:
        return replace(expr, entity_type=ATTRIBUTE, key="run_name")
    if expr.key == SOURCE_TYPE and isinstance(expr.value, (str, tuple)):
        value: Value = (
            tuple(_source_type(v) for v in expr.value)
            if isinstance(expr.value, tuple)
            else _source_type(expr.value)
        )
        return Comparison(TAG, TO_CAIRN[SOURCE_TYPE], expr.op, value)
    return replace(expr, key=TO_CAIRN.get(expr.key, expr.key))


def _source_type(value: Scalar) -> Scalar:
    """MLflow's source type as cairn's (LOCAL is SCRIPT; patterns stay as written)."""
    return _SOURCE_TYPE_TO_CAIRN.get(value, value) if isinstance(value, str) else value


def _order_key(key: OrderKey) -> OrderKey:
    if key.entity_type != TAG:
        return key
    if key.key == RUN_NAME:
        return OrderKey(ATTRIBUTE, "run_name", key.ascending)
    return OrderKey(TAG, TO_CAIRN.get(key.key, key.key), key.ascending)


def _order_text(key: OrderKey) -> str:
    name = "`" + key.key.replace("`", "``") + "`"
    return f"{PLURAL[key.entity_type]}.{name} {'ASC' if key.ascending else 'DESC'}"
