"""The rule grammar, metric lookup and when a rule fires."""

from __future__ import annotations

from typing import Any

import pytest

from cairn.entities import MonitorWindow
from cairn.errors import InvalidInput
from cairn.monitoring.rules import METRICS, Rule, evaluate, holds, metric_value, parse_rule, streak


def results(f1: float | None = 0.9, **extra: Any) -> dict[str, Any]:
    drift_column = {"statistic": 0.3, "drifted": True, "p_value": None}
    base: dict[str, Any] = {
        "rows": 100,
        "labelled_rows": 0 if f1 is None else 80,
        "quality": None
        if f1 is None
        else {"f1_macro": f1, "accuracy": 0.95, "confusion_matrix": {}},
        "reference_quality": {"f1_macro": 0.9, "rmse": 2.0, "r2": -0.5},
        "data_quality": {
            "columns": {
                "age": {
                    "missing_share": 0.2,
                    "type_mismatch_share": 0.0,
                    "out_of_range_share": 0.05,
                },
                "plan": {"missing_share": 0.0, "new_category_share": 0.1, "new_categories": ["x"]},
            },
            "duplicate_rows": 3,
            "duplicate_share": 0.03,
            "columns_lost": [],
            "columns_added": [],
        },
        "drift": {
            "columns": {
                "age": drift_column,
                "plan": {**drift_column, "statistic": 0.01, "drifted": False},
            },
            "prediction": {**drift_column, "statistic": 0.25},
            "drifted_columns": 1,
            "column_count": 2,
            "drift_share": 0.5,
        },
        "segments": [],
        "problems": [],
    }
    base.update(extra)
    return base


def window(window_id: int, **kwargs: Any) -> MonitorWindow:
    return MonitorWindow(
        monitor="m", window_id=window_id, start_time=0, end_time=1, first_seq=1, last_seq=100,
        rows=100, labelled_rows=80, model_version=None, results=results(**kwargs), computed_time=0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("f1 < 0.8", Rule("f1 < 0.8", "f1_macro", None, "<", 0.8)),
        (
            "f1<0.8 for 2 windows",
            Rule("f1<0.8 for 2 windows", "f1_macro", None, "<", 0.8, windows=2),
        ),
        (
            "accuracy >= .5 for 1 window",
            Rule("accuracy >= .5 for 1 window", "accuracy", None, ">=", 0.5),
        ),
        ("precision == 1e-3", Rule("precision == 1e-3", "precision_macro", None, "==", 0.001)),
        ("recall != -1", Rule("recall != -1", "recall_macro", None, "!=", -1.0)),
        ("drift_share > 0.5", Rule("drift_share > 0.5", "drift_share", None, ">", 0.5)),
        ("rows <= 10", Rule("rows <= 10", "rows", None, "<=", 10.0)),
        (
            "missing_share(age) > 0.1",
            Rule("missing_share(age) > 0.1", "missing_share", "age", ">", 0.1),
        ),
        (
            'drift("plan type") > 0.2',
            Rule('drift("plan type") > 0.2', "drift", "plan type", ">", 0.2),
        ),
        (
            "drifted('petal length (cm)') == 1",
            Rule("drifted('petal length (cm)') == 1", "drifted", "petal length (cm)", "==", 1.0),
        ),
        (
            "f1 drops 5% below the reference",
            Rule("f1 drops 5% below the reference", "f1_macro", None, "<", None, "below", 5.0),
        ),
        (
            "rmse rises 10 % above reference for 3 windows",
            Rule(
                "rmse rises 10 % above reference for 3 windows",
                "rmse",
                None,
                ">",
                None,
                "above",
                10.0,
                3,
            ),
        ),
    ],
)
def test_parse_every_form(expr: str, expected: Rule) -> None:
    assert parse_rule(expr) == expected


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("", "non-empty"),
        ("f2 < 1", "unknown metric 'f2'.*metrics: accuracy"),
        ("missing_share > 0.1", r"needs a column, e.g. missing_share\(age\)"),
        ("drift_share(age) > 0.1", "takes no column"),
        ("f1 <", "expected a number after '<', got 'nothing'"),
        ("f1 < high", "expected a number after '<', got 'high'"),
        ("f1 is low", "expected an operator"),
        ("f1 < 0.8 for 0 windows", "positive integer, got 0"),
        ("f1 < 0.8 for two windows", "positive integer, got two"),
        ("f1 < 0.8 forever", "cannot read 'forever'"),
        ("drift_share drops 5% below reference", "only quality metrics have a reference"),
        ("f1 drops 5% above reference", "say 'drops P% below'"),
        ("f1 drops 150% below reference", "between 0 and 100"),
        ("3 < f1", "expected a metric first"),
    ],
)
def test_parse_errors_name_the_problem(expr: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_rule(expr)


def test_parse_refuses_the_other_tasks_metric() -> None:
    with pytest.raises(InvalidInput, match="rmse is not a classification metric"):
        parse_rule("rmse > 3", task="classification")
    assert parse_rule("rmse > 3", task="regression").metric == "rmse"
    assert "f1" in METRICS and "missing_share(col)" in METRICS


def test_metric_values() -> None:
    r = results()
    assert metric_value(r, "f1", None) == 0.9
    assert metric_value(r, "roc_auc", None) is None
    assert metric_value(results(f1=None), "f1_macro", None) is None
    assert metric_value(r, "drift_share", None) == 0.5
    assert metric_value(r, "drifted_columns", None) == 1
    assert metric_value(r, "prediction_drift", None) == 0.25
    assert metric_value(r, "prediction_drifted", None) == 1.0
    assert metric_value(r, "drift", "age") == 0.3
    assert metric_value(r, "drifted", "plan") == 0.0
    assert metric_value(r, "drift", "nope") is None
    assert metric_value(r, "missing_share", "age") == 0.2
    assert metric_value(r, "out_of_range_share", "age") == 0.05
    assert metric_value(r, "new_category_share", "plan") == 0.1
    assert metric_value(r, "new_category_share", "age") is None
    assert metric_value(r, "type_mismatch_share", "age") == 0.0
    assert metric_value(r, "duplicate_share", None) == 0.03
    assert metric_value(r, "rows", None) == 100
    assert metric_value(r, "labelled_rows", None) == 80
    no_prediction = results(drift={**r["drift"], "prediction": None})
    assert metric_value(no_prediction, "prediction_drift", None) is None


def test_fires_once_per_streak_of_n_windows() -> None:
    rule = parse_rule("f1 < 0.8 for 2 windows")
    f1s = [0.7, 0.9, 0.7, 0.7, 0.7, 0.9, 0.7, 0.7]
    history = [window(i + 1, f1=f) for i, f in enumerate(f1s)]
    fired = [w.window_id for i, w in enumerate(history) if evaluate(rule, history[: i + 1])]
    assert fired == [4, 8]
    firing = evaluate(rule, history[:4])
    assert firing is not None
    assert firing.streak == (3, 4) and firing.value == 0.7
    assert firing.message == "f1_macro = 0.7 < 0.8 for 2 windows (rule: f1 < 0.8 for 2 windows)"


def test_a_window_without_labels_ends_the_streak() -> None:
    rule = parse_rule("f1 < 0.8 for 2 windows")
    history = [window(1, f1=0.7), window(2, f1=None), window(3, f1=0.7)]
    assert [evaluate(rule, history[: i + 1]) for i in range(3)] == [None, None, None]
    assert not holds(rule, history[1])
    assert streak(rule, history, None) == [3]
    assert evaluate(rule, []) is None


def test_relative_rules_use_the_reference_quality() -> None:
    drops = parse_rule("f1 drops 5% below the reference")  # reference 0.9: fires below 0.855
    assert evaluate(drops, [window(1, f1=0.86)]) is None
    firing = evaluate(drops, [window(1, f1=0.85)])
    assert firing is not None and "0.855" in firing.message
    assert evaluate(drops, [window(1, f1=0.85)], {"f1_macro": 0.8}) is None  # given reference
    assert evaluate(drops, [window(1, f1=0.5, reference_quality=None)]) is None
    rises = parse_rule("rmse rises 10% above reference")  # reference 2.0: fires above 2.2
    assert evaluate(rises, [window(1, quality={"rmse": 2.3})]) is not None
    assert evaluate(rises, [window(1, quality={"rmse": 2.1})]) is None
    r2 = parse_rule("r2 drops 10% below reference")  # reference -0.5: fires below -0.55
    assert evaluate(r2, [window(1, quality={"r2": -0.56})]) is not None
    assert evaluate(r2, [window(1, quality={"r2": -0.54})]) is None


def test_column_rules() -> None:
    assert evaluate(parse_rule("missing_share(age) > 0.1"), [window(1)]) is not None
    assert evaluate(parse_rule("missing_share(plan) > 0.1"), [window(1)]) is None
    assert evaluate(parse_rule("drifted(age) == 1"), [window(1)]) is not None
    assert evaluate(parse_rule("drift(gone) > 0"), [window(1)]) is None
