"""compute_window: one window's results, JSON-ready, and bad input as problems."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cairn.monitoring.compute import compute_window, json_ready
from cairn.monitoring.drift import dataset_drift
from cairn.monitoring.quality import compute_quality
from cairn.monitoring.reference import ReferenceSummary, summarize
from cairn.monitoring.spec import ColumnSpec, MonitorSpec

SPEC = MonitorSpec(
    name="churn-monitor",
    model="churn",
    task="classification",
    features=(ColumnSpec("age", "numeric"), ColumnSpec("plan", "categorical")),
    probabilities={"0": "p_no", "1": "p_yes"},
    segments=("region",),
)


def _frame(rng, n, *, shift=0.0):
    target = rng.integers(0, 2, n)
    p_yes = np.clip(0.25 + 0.5 * target + rng.normal(0, 0.2, n), 0, 1)
    return pd.DataFrame(
        {
            "age": rng.normal(40 + shift, 10, n),
            "plan": rng.choice(["basic", "pro", "team"], n),
            "region": rng.choice(["eu", "us"], n),
            "target": target,
            "prediction": (p_yes > 0.5).astype(int),
            "p_yes": p_yes,
            "p_no": 1 - p_yes,
        }
    )


@pytest.fixture(scope="module")
def summary():
    reference = _frame(np.random.default_rng(0), 1500)
    # stored and read back, as a window reads it
    return ReferenceSummary.from_bytes(summarize(reference, SPEC).to_bytes())


def _dumps(results):
    return json.dumps(results, allow_nan=False)


def test_a_full_window(summary):
    window = _frame(np.random.default_rng(1), 400, shift=15)
    window["target"] = window["target"].astype(object).where(np.arange(400) < 300)  # 100 unlabelled
    results = compute_window(summary, SPEC, window, problems=["2 labels for unknown request ids"])
    _dumps(results)
    assert results["rows"] == 400 and results["labelled_rows"] == 300
    labelled = window.iloc[:300]
    expected = compute_quality(
        "classification",
        labelled.target,
        labelled.prediction,
        pd.DataFrame({"0": labelled.p_no, "1": labelled.p_yes}),
    )
    assert results["quality"] == expected
    assert results["quality"]["roc_auc"] > 0.8
    assert results["reference_quality"] == summary.quality
    assert results["drift"]["columns"]["age"]["drifted"] is True
    assert results["drift"]["columns"]["plan"]["drifted"] is False
    assert results["drift"] == json.loads(_dumps(dataset_drift(summary, window, SPEC)))
    assert results["drift"]["prediction"] is not None
    assert {s["segment"]["region"] for s in results["segments"]} == {"eu", "us"}
    assert results["data_quality"]["columns"]["age"]["out_of_range_share"] >= 0
    assert results["data_quality"]["columns_added"] == []
    assert results["problems"] == ["2 labels for unknown request ids"]


def test_an_empty_window(summary):
    results = compute_window(summary, SPEC, _frame(np.random.default_rng(2), 0))
    _dumps(results)
    assert results["rows"] == 0 and results["labelled_rows"] == 0
    assert results["quality"] is None and results["segments"] == []
    assert results["drift"] == {
        "columns": {},
        "prediction": None,
        "drifted_columns": 0,
        "column_count": 0,
        "drift_share": 0.0,
    }
    assert results["problems"] == ["the window has no rows"]
    empty = compute_window(summary, SPEC, pd.DataFrame())
    assert empty["problems"][0] == "the window has no rows"
    assert empty["data_quality"]["columns_lost"] == ["age", "plan"]


def test_a_missing_monitored_column(summary):
    window = _frame(np.random.default_rng(3), 200).drop(columns=["age", "p_no"])
    results = compute_window(summary, SPEC, window)
    _dumps(results)
    assert "column 'age' is missing from the window" in results["problems"]
    assert "probability column 'p_no' (class '0') is missing from the window" in results["problems"]
    assert set(results["drift"]["columns"]) == {"plan"}
    assert results["quality"]["roc_auc"] is None and results["quality"]["accuracy"] is not None
    assert results["data_quality"]["columns_lost"] == ["age"]


def test_a_column_of_the_wrong_type(summary):
    window = _frame(np.random.default_rng(4), 200)
    window["age"] = window["age"].astype(object)
    window.loc[:5, "age"] = "unknown"
    results = compute_window(summary, SPEC, window)
    _dumps(results)
    assert results["problems"] == ["column 'age' has 6 values (3.0%) that are not numbers"]
    assert results["drift"]["columns"]["age"]["current_rows"] == 194
    all_text = window.assign(age="old")
    results = compute_window(summary, SPEC, all_text)
    assert results["problems"] == ["column 'age' has 200 values (100.0%) that are not numbers"]
    assert "age" not in results["drift"]["columns"]


def test_nan_inf_and_text_labels_stay_json(summary):
    window = _frame(np.random.default_rng(5), 100)
    window.loc[:3, "age"] = [np.nan, np.inf, -np.inf, np.nan]
    window["target"] = window["target"].astype(str)  # labels back from JSON as text
    window.loc[:9, "p_yes"] = np.nan
    window["prediction"] = window["prediction"].where(window.index > 0)
    results = compute_window(summary, SPEC, window)
    _dumps(results)
    assert results["labelled_rows"] == 99
    assert results["quality"]["confusion_matrix"]["labels"] == [0, 1]
    assert results["quality"]["accuracy"] > 0.5


def test_a_regression_window_without_prediction_column():
    spec = MonitorSpec(
        name="r", model="r", task="regression", features=(ColumnSpec("x", "numeric"),)
    )
    rng = np.random.default_rng(6)
    summary = summarize(
        pd.DataFrame({"x": rng.normal(size=300), "target": rng.normal(size=300)}), spec
    )
    results = compute_window(
        summary, spec, pd.DataFrame({"x": rng.normal(size=50), "target": rng.normal(size=50)})
    )
    _dumps(results)
    assert results["quality"] is None and results["labelled_rows"] == 0
    assert results["problems"] == ["prediction column 'prediction' is missing from the window"]
    assert results["drift"]["column_count"] == 1


def test_a_repeated_column_uses_the_first(summary):
    window = _frame(np.random.default_rng(7), 50)
    window = pd.concat([window, window[["plan"]]], axis=1)
    results = compute_window(summary, SPEC, window)
    assert results["problems"] == [
        "column 'plan' appears more than once in the window; the first is used"
    ]
    assert results["drift"]["columns"]["plan"]["current_rows"] == 50


def test_json_ready():
    value = {
        1: np.float64("nan"),
        "a": [np.int64(3), float("inf")],
        "b": (np.bool_(True),),
        "c": np.array([1.5]),
    }
    assert json_ready(value) == {"1": None, "a": [3, None], "b": [True], "c": [1.5]}
