"""Data quality of a window against a real reference summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cairn.monitoring.data_quality import _duplicate_rows, category_text, check_frame, data_quality
from cairn.monitoring.reference import category_counts, summarize
from cairn.monitoring.spec import ColumnSpec, MonitorSpec

SPEC = MonitorSpec(
    name="churn-monitor",
    model="churn",
    task="classification",
    features=(ColumnSpec("age", "numeric"), ColumnSpec("city", "categorical")),
    segments=("region",),
)


@pytest.fixture(scope="module")
def summary():
    reference = pd.DataFrame(
        {
            "age": [20.0, 30.0, 40.0, 50.0, 60.0],
            "city": ["paris", "lyon", "paris", "nice", "lyon"],
            "region": ["n", "s", "n", "s", "n"],
            "income": [1, 2, 3, 4, 5],
            "prediction": [0, 1, 0, 1, 0],
        }
    )
    return summarize(reference, SPEC)


def test_shares_checked_by_hand(summary):
    window = pd.DataFrame(
        {
            "age": [10.0, 30.0, np.nan, 70.0, 30.0, 45.0, np.nan, 60.0],
            "city": ["paris", "rome", None, "rome", "rome", "oslo", "lyon", "nice"],
            "region": ["n"] * 8,
            "prediction": [0] * 8,
            "score": [0.5] * 8,
            "__cairn_model_version__": [1] * 8,
        }
    )
    quality, problems = data_quality(summary, window, SPEC)
    assert problems == []
    age, city = quality["columns"]["age"], quality["columns"]["city"]
    assert age == {"missing_share": 0.25, "type_mismatch_share": 0.0, "out_of_range_share": 0.25}
    assert city["missing_share"] == 0.125
    assert city["new_categories"] == ["rome", "oslo"]
    assert city["new_category_share"] == 0.5
    assert quality["duplicate_rows"] == 1  # (30, rome) twice
    assert quality["duplicate_share"] == 0.125
    assert quality["columns_lost"] == []
    assert quality["columns_added"] == ["score"]  # income is known, region/prediction monitored


def test_missing_monitored_column_is_a_problem_not_a_crash(summary):
    quality, problems = data_quality(summary, pd.DataFrame({"city": ["paris"]}), SPEC)
    assert problems == ["column 'age' is missing from the window"]
    assert quality["columns_lost"] == ["age"]
    assert "age" not in quality["columns"]


def test_text_in_a_numeric_column_is_counted_and_coerced(summary):
    ages = [25.0] * 396 + ["n/a", "old", "x", "?"]
    window = pd.DataFrame({"age": pd.Series(ages, dtype=object), "city": ["paris"] * 400})
    checked = check_frame(summary, window, SPEC)
    assert checked.problems == ["column 'age' has 4 values (1.0%) that are not numbers"]
    assert checked.quality["columns"]["age"]["type_mismatch_share"] == 0.01
    usable = checked.usable["age"]
    assert usable.dtype == np.float64 and usable.notna().sum() == 396
    # the four text values are distinct rows, not four duplicates of "missing"
    assert checked.quality["duplicate_rows"] == 395


def test_numbers_written_as_text_are_numbers(summary):
    window = pd.DataFrame({"age": ["20", "35.5", None], "city": ["paris", "lyon", "nice"]})
    quality, problems = data_quality(summary, window, SPEC)
    assert problems == []
    assert quality["columns"]["age"]["type_mismatch_share"] == 0.0
    assert quality["columns"]["age"]["missing_share"] == pytest.approx(1 / 3)


def test_a_column_with_no_number_at_all_is_not_usable_for_drift(summary):
    window = pd.DataFrame({"age": ["a", "b"], "city": ["paris", "lyon"]})
    checked = check_frame(summary, window, SPEC)
    assert "age" not in checked.usable and "city" in checked.usable
    assert checked.problems == ["column 'age' has 2 values (100.0%) that are not numbers"]


def test_empty_window(summary):
    quality, problems = data_quality(summary, pd.DataFrame({"age": [], "city": []}), SPEC)
    assert problems == []
    assert quality["columns"]["age"]["missing_share"] == 0.0
    assert quality["duplicate_rows"] == 0


def test_categories_compare_as_the_reference_counts_them():
    values = pd.Series([4.0, 2.5, True, "a", np.int64(3)], dtype=object)
    assert {category_text(value) for value in values} == set(category_counts(values))
    spec = MonitorSpec(
        name="m", model="m", task="regression", features=(ColumnSpec("code", "categorical"),)
    )
    summary = summarize(pd.DataFrame({"code": [1, 2, 3]}), spec)
    quality, _ = data_quality(summary, pd.DataFrame({"code": [1.0, 2.0, 4.0]}), spec)
    assert quality["columns"]["code"]["new_categories"] == ["4"]


@pytest.mark.parametrize("seed", [0, 1])
def test_duplicate_count_equals_pandas(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    frame = pd.DataFrame(
        {
            "a": rng.integers(0, 4, n).astype(float),
            "b": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 3, n).astype(float)),
            "c": rng.choice(["x", "y", None], n),
            "d": rng.choice([-0.0, 0.0, 1.0], n),
        }
    )
    columns = [
        frame["a"].to_numpy(),
        frame["b"].to_numpy(),
        pd.factorize(frame["c"])[0],
        frame["d"].to_numpy(),
    ]
    assert _duplicate_rows(columns, n) == frame.duplicated().sum()


def test_duplicates_of_distinct_rows_is_zero():
    values = np.arange(1000, dtype=np.float64)
    assert _duplicate_rows([values, values], 1000) == 0
    assert _duplicate_rows([], 10) == 0
