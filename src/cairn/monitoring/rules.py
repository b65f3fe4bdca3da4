"""Decay and alert rules: a small grammar over one window's results.

Grammar (case-insensitive keywords, spaces optional around operators)::

    rule     := metric op number [for N window[s]]
              | metric (drops|falls) number% below [the] reference [for N window[s]]
              | metric rises number% above [the] reference [for N window[s]]
    metric   := name | name(column)            column may be quoted: drift("plan type")
    op       := <  <=  >  >=  ==  !=

Metrics:

- quality (None on a window without labels): accuracy, precision_macro, recall_macro,
  f1_macro, precision_weighted, recall_weighted, f1_weighted, roc_auc, log_loss, mae, rmse,
  r2, mape; aliases ``f1`` -> f1_macro, ``precision`` -> precision_macro, ``recall`` ->
  recall_macro;
- drift: ``drift_share``, ``drifted_columns``, ``prediction_drift`` (the prediction's drift
  statistic), ``prediction_drifted`` (1 or 0), ``drift(col)`` (the column's statistic),
  ``drifted(col)`` (1 or 0);
- data quality: ``missing_share(col)``, ``out_of_range_share(col)``,
  ``new_category_share(col)``, ``type_mismatch_share(col)``, ``duplicate_share``;
- counts: ``rows``, ``labelled_rows``.

``drops 5% below the reference`` holds when the value is below ``ref - |ref| * 5/100``,
where ``ref`` is the reference's own quality for that metric (so only quality metrics have
one); ``rises ... above`` mirrors it for error metrics such as rmse.

Firing: a rule *holds* on a window when its metric has a value there and the comparison is
true; a window where the metric is None (no labels yet, the column absent) does not hold and
so ends a streak. A rule with ``for N windows`` fires on the window where it has held on N
consecutive computed windows, i.e. once per streak: not again while the streak goes on, and
again only after a window where it did not hold (``for`` defaults to 1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cairn.comparisons import COMPARISONS
from cairn.entities import MonitorWindow
from cairn.errors import InvalidInput, did_you_mean
from cairn.monitoring.results import CLASSIFICATION_METRICS, REGRESSION_METRICS

__all__ = ["METRICS", "Firing", "Rule", "evaluate", "holds", "metric_value", "parse_rule", "streak"]

ALIASES = {"f1": "f1_macro", "precision": "precision_macro", "recall": "recall_macro"}
QUALITY = (*CLASSIFICATION_METRICS, *REGRESSION_METRICS)
_COLUMN_METRICS = {
    "drift",
    "drifted",
    "missing_share",
    "out_of_range_share",
    "new_category_share",
    "type_mismatch_share",
}
_PLAIN = {"drift_share", "drifted_columns", "prediction_drift", "prediction_drifted"}
_PLAIN |= {"duplicate_share", "rows", "labelled_rows"}
#: Every metric name a rule may use (aliases included).
METRICS = tuple(sorted({*QUALITY, *ALIASES, *_PLAIN, *(f"{m}(col)" for m in _COLUMN_METRICS)}))

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_HEAD = re.compile(
    r"""\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*("[^"]*"|'[^']*'|[^()]*?)\s*\))?\s*(.*)$""", re.S
)
_COMPARE = re.compile(rf"(<=|>=|==|!=|<|>)\s*({_NUMBER})\s*(.*)$", re.S)
_RELATIVE = re.compile(
    rf"(drops|falls|rises)\s+({_NUMBER})\s*%\s*(below|above)\s+(?:the\s+)?reference\b\s*(.*)$",
    re.S | re.I,
)
_FOR = re.compile(r"for\s+(\S+)\s+windows?\s*$", re.I)
_FORMS = "'<metric> <op> <number> [for <N> windows]' or '<metric> drops <P>% below the reference'"


@dataclass(frozen=True)
class Rule:
    """A parsed rule: ``metric`` (canonical name) of ``column``, compared with ``op``
    against ``threshold``, or (``relative`` "below"/"above") ``percent`` % off the
    reference; it must hold on ``windows`` consecutive windows."""

    expr: str
    metric: str
    column: str | None
    op: str
    threshold: float | None = None
    relative: str | None = None
    percent: float | None = None
    windows: int = 1


@dataclass(frozen=True)
class Firing:
    """A rule that fired on ``window_id`` with ``value``; ``streak`` lists the ids of the
    windows it held on (oldest first)."""

    window_id: int
    value: float | None
    message: str
    streak: tuple[int, ...]


def _fail(expr: str, problem: str) -> InvalidInput:
    return InvalidInput(f"rule {expr!r}: {problem}")


def _metric(expr: str, name: str, column: str | None, task: str | None) -> str:
    key = name.lower()
    canonical = ALIASES.get(key, key)
    if canonical in _COLUMN_METRICS:
        if not column:
            raise _fail(expr, f"{canonical} needs a column, e.g. {canonical}(age)")
        return canonical
    if canonical not in QUALITY and canonical not in _PLAIN:
        hint = did_you_mean(key, [m.split("(")[0] for m in METRICS])
        raise _fail(expr, f"unknown metric {name!r}{hint}; metrics: {', '.join(METRICS)}")
    if column is not None:
        raise _fail(expr, f"{canonical} takes no column, got ({column})")
    allowed = {"classification": CLASSIFICATION_METRICS, "regression": REGRESSION_METRICS}
    if task in allowed and canonical in QUALITY and canonical not in allowed[task]:
        raise _fail(expr, f"{canonical} is not a {task} metric; use one of {allowed[task]}")
    return canonical


def _windows(expr: str, rest: str) -> int:
    if not rest:
        return 1
    found = _FOR.match(rest)
    if found is None:
        raise _fail(expr, f"cannot read {rest!r}; expected 'for <N> windows' or nothing")
    if not found.group(1).isdigit() or int(found.group(1)) < 1:
        raise _fail(expr, f"the window count must be a positive integer, got {found.group(1)}")
    return int(found.group(1))


def parse_rule(expr: str, *, task: str | None = None) -> Rule:
    """Parse ``expr`` (grammar in the module docstring); InvalidInput naming the problem.
    With ``task``, quality metrics of the other task are refused."""
    if not isinstance(expr, str) or not expr.strip():
        raise InvalidInput(f"a rule must be a non-empty text such as 'f1 < 0.8', got {expr!r}")
    head = _HEAD.match(expr)
    if head is None:
        raise _fail(expr, f"expected a metric first; rules look like {_FORMS}")
    name, column, rest = head.groups()
    column = column.strip("'\"") if column is not None else None
    metric = _metric(expr, name, column, task)
    compare = _COMPARE.match(rest)
    if compare is not None:
        op, number, tail = compare.groups()
        threshold = float(number)
        return Rule(expr, metric, column, op, threshold, windows=_windows(expr, tail.strip()))
    relative = _RELATIVE.match(rest)
    bare_op = re.match(r"(<=|>=|==|!=|<|>)\s*(\S*)", rest)
    if relative is None and bare_op is not None:
        got = bare_op.group(2) or "nothing"
        raise _fail(expr, f"expected a number after {bare_op.group(1)!r}, got {got!r}")
    if relative is None:
        raise _fail(expr, f"expected an operator (< <= > >= == !=) or 'drops P% below the "
                          f"reference' after {name!r}; rules look like {_FORMS}")  # fmt: skip
    verb, number, side, tail = relative.groups()
    verb, side = verb.lower(), side.lower()
    if (verb == "rises") != (side == "above"):
        raise _fail(expr, f"say '{verb} P% {'above' if verb == 'rises' else 'below'}'")
    if metric not in QUALITY:
        raise _fail(expr, f"only quality metrics have a reference value, not {metric}")
    percent = float(number)
    if not 0 <= percent <= 100:
        raise _fail(expr, f"the percentage must be between 0 and 100, got {number}")
    op = "<" if side == "below" else ">"
    return Rule(expr, metric, column, op, None, side, percent, _windows(expr, tail.strip()))


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool | str):
        return float(value) if isinstance(value, bool) else None
    number = float(value)
    return None if math.isnan(number) else number


def metric_value(results: Mapping[str, Any], name: str, column: str | None) -> float | None:
    """The value of metric ``name`` (canonical or alias) of ``column`` in one window's
    results, or None when the window does not have it."""
    name = ALIASES.get(name, name)
    drift = results.get("drift") or {}
    quality_data = results.get("data_quality") or {}
    if name in QUALITY:
        return _number((results.get("quality") or {}).get(name))
    if name in ("drift_share", "drifted_columns"):
        return _number(drift.get(name))
    if name in ("prediction_drift", "prediction_drifted"):
        entry = drift.get("prediction")
    elif name in ("drift", "drifted"):
        entry = (drift.get("columns") or {}).get(column)
    elif name in ("duplicate_share",):
        return _number(quality_data.get(name))
    elif name in ("rows", "labelled_rows"):
        return _number(results.get(name))
    else:
        return _number(((quality_data.get("columns") or {}).get(column) or {}).get(name))
    if not entry:
        return None
    return (
        _number(entry.get("drifted")) if name.endswith("drifted") else _number(entry["statistic"])
    )


def _limit(rule: Rule, reference_quality: Mapping[str, Any] | None) -> float | None:
    if rule.relative is None:
        return rule.threshold
    ref = _number((reference_quality or {}).get(rule.metric))
    if ref is None:
        return None
    shift = abs(ref) * (rule.percent or 0.0) / 100
    return ref - shift if rule.relative == "below" else ref + shift


def holds(
    rule: Rule, window: MonitorWindow, reference_quality: Mapping[str, Any] | None = None
) -> bool:
    """Whether ``rule``'s comparison is true on ``window`` (False when its metric or the
    reference value is None there)."""
    value = metric_value(window.results, rule.metric, rule.column)
    reference = reference_quality or window.results.get("reference_quality")
    limit = _limit(rule, reference)
    return value is not None and limit is not None and COMPARISONS[rule.op](value, limit)


def streak(
    rule: Rule, history: Sequence[MonitorWindow], reference_quality: Mapping[str, Any] | None
) -> list[int]:
    """Ids of the windows ending ``history`` on which ``rule`` held without a break."""
    held: list[int] = []
    for window in reversed(history):
        if not holds(rule, window, reference_quality):
            break
        held.append(window.window_id)
    return held[::-1]


def evaluate(
    rule: Rule,
    history: Sequence[MonitorWindow],
    reference_quality: Mapping[str, Any] | None = None,
) -> Firing | None:
    """Whether ``rule`` fires on the last window of ``history`` (windows in id order):
    it does when it has held on exactly ``rule.windows`` consecutive windows ending there.
    ``reference_quality`` defaults to what each window's results recorded."""
    if not history:
        return None
    held = streak(rule, history, reference_quality)
    if len(held) != rule.windows:
        return None
    last = history[-1]
    value = metric_value(last.results, rule.metric, rule.column)
    target = f"{rule.metric}({rule.column})" if rule.column else rule.metric
    limit = _limit(rule, reference_quality or last.results.get("reference_quality"))
    span = f" for {rule.windows} windows" if rule.windows > 1 else ""
    message = f"{target} = {value:.6g} {rule.op} {limit:.6g}{span} (rule: {rule.expr})"
    return Firing(last.window_id, value, message, tuple(held))
