"""Drift statistics equal scipy's to 1e-6; method choice follows Evidently 0.7.23's defaults;
dataset drift applies the spec's overrides and reports columns it cannot measure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from cairn.errors import InvalidInput
from cairn.monitoring.drift import column_drift, dataset_drift
from cairn.monitoring.reference import ReferenceSummary, summarize
from cairn.monitoring.spec import ColumnSpec, DriftSpec, MonitorSpec


def _spec(**kinds: str) -> MonitorSpec:
    features = tuple(ColumnSpec(name, kind) for name, kind in kinds.items())
    return MonitorSpec(name="m", model="m", task="classification", features=features)


def _summary(frame: pd.DataFrame, **kinds: str) -> ReferenceSummary:
    return ReferenceSummary.from_bytes(summarize(frame, _spec(**kinds)).to_bytes())


@pytest.mark.parametrize(("n", "m"), [(300, 500), (2_000, 20_000), (50_000, 80_000)])
def test_ks_and_wasserstein_equal_scipy(n: int, m: int) -> None:
    rng = np.random.default_rng(n)
    ref, cur = rng.normal(0, 1, n), rng.normal(0.05, 1.1, m)
    cur[:50] = np.round(cur[:50], 1)  # ties
    summary = _summary(pd.DataFrame({"x": ref}), x="numeric")
    ks = column_drift(summary.columns["x"], pd.Series(cur), method="ks")
    expected = stats.ks_2samp(ref, cur)
    assert ks["statistic"] == pytest.approx(expected.statistic, abs=1e-6)
    assert ks["p_value"] == pytest.approx(expected.pvalue, abs=1e-6)
    assert ks["drifted"] == (expected.pvalue < 0.05)
    wasserstein = column_drift(summary.columns["x"], pd.Series(cur), method="wasserstein")
    assert wasserstein["statistic"] == pytest.approx(
        stats.wasserstein_distance(ref, cur) / np.std(ref), abs=1e-6
    )
    assert wasserstein["p_value"] is None


def test_chisquare_is_scipys_test_of_homogeneity() -> None:
    rng = np.random.default_rng(3)
    ref = rng.choice(["a", "b", "c"], 400, p=[0.5, 0.3, 0.2])
    cur = rng.choice(["a", "b", "c", "d"], 700, p=[0.4, 0.3, 0.2, 0.1])
    drift = column_drift(
        _summary(pd.DataFrame({"c": ref}), c="categorical").columns["c"], pd.Series(cur)
    )
    table = pd.crosstab(np.r_[np.zeros(400), np.ones(700)], np.r_[ref, cur]).to_numpy()
    expected = stats.chi2_contingency(table)
    assert drift["method"] == "chisquare"
    assert drift["statistic"] == pytest.approx(expected.statistic, abs=1e-6)
    assert drift["p_value"] == pytest.approx(expected.pvalue, abs=1e-6)


def test_z_test_is_the_uncorrected_two_by_two_chisquare() -> None:
    rng = np.random.default_rng(4)
    ref, cur = rng.choice([True, False], 300), rng.choice([True, False], 500, p=[0.4, 0.6])
    drift = column_drift(
        _summary(pd.DataFrame({"b": ref}), b="categorical").columns["b"], pd.Series(cur)
    )
    table = pd.crosstab(np.r_[np.zeros(300), np.ones(500)], np.r_[ref, cur]).to_numpy()
    expected = stats.chi2_contingency(table, correction=False)
    assert drift["method"] == "z"
    assert drift["statistic"] ** 2 == pytest.approx(expected.statistic, abs=1e-6)
    assert drift["p_value"] == pytest.approx(expected.pvalue, abs=1e-6)


def _evidently_shares(
    ref_counts: np.ndarray, cur_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    def fill(shares: np.ndarray) -> np.ndarray:
        smallest = shares[shares != 0].min()
        return np.where(shares == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001, shares)

    return fill(ref_counts / ref_counts.sum()), fill(cur_counts / cur_counts.sum())


def test_jensenshannon_and_psi_bin_numbers_as_evidently() -> None:
    rng = np.random.default_rng(5)
    ref, cur = rng.normal(0, 1, 5_000), rng.normal(0.3, 1, 9_000)
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
    shares = _evidently_shares(np.histogram(ref, edges)[0], np.histogram(cur, edges)[0])
    summary = _summary(pd.DataFrame({"x": ref}), x="numeric")
    js = column_drift(summary.columns["x"], pd.Series(cur), method="jensenshannon")
    assert js["statistic"] == pytest.approx(jensenshannon(*shares), abs=1e-6)
    assert js["histogram"]["edges"] == pytest.approx(edges.tolist())
    psi = column_drift(summary.columns["x"], pd.Series(cur), method="psi", threshold=0.2)
    assert psi["statistic"] == pytest.approx(
        np.sum((shares[0] - shares[1]) * np.log(shares[0] / shares[1])), abs=1e-6
    )
    assert psi["threshold"] == 0.2


def test_jensenshannon_on_categories_with_a_new_one() -> None:
    ref = pd.Series(["a"] * 3000 + ["b"] * 2000)
    cur = pd.Series(["a"] * 1000 + ["b"] * 1000 + ["c"] * 500)
    drift = column_drift(_summary(pd.DataFrame({"c": ref}), c="categorical").columns["c"], cur)
    assert drift["method"] == "jensenshannon"
    shares = _evidently_shares(np.array([3000, 2000, 0]), np.array([1000, 1000, 500]))
    assert drift["statistic"] == pytest.approx(jensenshannon(*shares), abs=1e-6)
    assert drift["drifted"]
    assert drift["histogram"]["categories"] == ["a", "b", "c"]
    assert drift["histogram"]["current"] == pytest.approx([0.4, 0.4, 0.2])


@pytest.mark.parametrize(
    ("reference", "current", "method"),
    [
        (np.arange(1000) % 7, np.arange(500) % 7, "ks"),
        (np.arange(1000) % 4, np.arange(500) % 4, "chisquare"),
        (np.arange(1000) % 2, np.arange(500) % 2, "z"),
        (np.arange(1001) % 7, np.arange(500) % 7, "wasserstein"),
        (np.arange(1001) % 5, np.arange(500) % 5, "jensenshannon"),
    ],
)
def test_auto_method_for_numbers_follows_evidentlys_defaults(
    reference: np.ndarray, current: np.ndarray, method: str
) -> None:
    summary = _summary(pd.DataFrame({"x": reference.astype(float)}), x="numeric")
    drift = column_drift(summary.columns["x"], pd.Series(current))
    assert drift["method"] == method
    assert drift["drifted"] is False


def test_histograms_are_shares() -> None:
    rng = np.random.default_rng(6)
    summary = _summary(pd.DataFrame({"x": rng.normal(size=2000)}), x="numeric")
    histogram = column_drift(summary.columns["x"], pd.Series(rng.normal(size=3000)))["histogram"]
    assert sum(histogram["reference"]) == pytest.approx(1) and sum(
        histogram["current"]
    ) == pytest.approx(1)
    assert len(histogram["edges"]) == len(histogram["reference"]) + 1


def test_many_categories_are_drawn_with_an_other_bucket() -> None:
    ref = pd.Series([f"v{i % 80}" for i in range(4000)])
    drift = column_drift(_summary(pd.DataFrame({"c": ref}), c="categorical").columns["c"], ref)
    assert len(drift["histogram"]["categories"]) == 51
    assert drift["histogram"]["categories"][-1] == "(other)"
    assert sum(drift["histogram"]["current"]) == pytest.approx(1)
    assert drift["statistic"] == pytest.approx(0, abs=1e-9)


def test_missing_and_unreadable_values_are_left_out() -> None:
    summary = _summary(pd.DataFrame({"x": [1.0, 2.0, np.nan, 3.0, 4.0, 5.0, 6.0]}), x="numeric")
    drift = column_drift(
        summary.columns["x"], pd.Series(["1", "2", "oops", None, "3", "4", "5", "6"])
    )
    assert drift["reference_rows"] == 6 and drift["current_rows"] == 6
    assert drift["statistic"] == pytest.approx(0)
    empty = column_drift(summary.columns["x"], pd.Series([], dtype=float))
    assert empty["statistic"] is None and empty["drifted"] is False


def test_whole_floats_match_integer_categories() -> None:
    summary = _summary(pd.DataFrame({"c": [1, 2, 3, 1, 2, 3]}), c="categorical")
    drift = column_drift(summary.columns["c"], pd.Series([1.0, 2.0, 3.0, np.nan]))
    assert drift["histogram"]["categories"] == ["1", "2", "3"]


def test_bad_methods_are_refused() -> None:
    summary = _summary(
        pd.DataFrame({"c": list("abcabc"), "x": range(6)}), c="categorical", x="numeric"
    )
    with pytest.raises(InvalidInput, match="'median' .* not one of"):
        column_drift(summary.columns["x"], pd.Series([1.0]), method="median")
    with pytest.raises(InvalidInput, match="needs a numeric column; 'c' is categorical"):
        column_drift(summary.columns["c"], pd.Series(["a"]), method="ks")
    with pytest.raises(InvalidInput, match="at most 2 categories"):
        column_drift(summary.columns["c"], pd.Series(["a"]), method="z")


def test_dataset_drift_with_overrides_prediction_and_problems() -> None:
    rng = np.random.default_rng(7)
    reference = pd.DataFrame(
        {
            "x": rng.normal(size=3000),
            "y": rng.normal(size=3000),
            "c": rng.choice(list("abc"), 3000),
            "prediction": rng.choice(["yes", "no"], 3000),
        }
    )
    base = _spec(x="numeric", y="numeric", c="categorical", gone="numeric")
    spec = MonitorSpec(
        name="m",
        model="m",
        task="classification",
        features=base.features,
        drift=DriftSpec(columns={"y": {"method": "psi", "threshold": 0.5}, "c": {"method": "ks"}}),
    )
    summary = summarize(reference.assign(gone=1.0), spec)
    current = pd.DataFrame(
        {
            "x": rng.normal(2, 1, 5000),
            "y": rng.normal(size=5000),
            "c": rng.choice(list("abc"), 5000),
            "prediction": ["yes"] * 5000,
        }
    )
    problems: list[str] = []
    drift = dataset_drift(summary, current, spec, problems=problems)
    assert set(drift["columns"]) == {"x", "y"}
    assert drift["columns"]["x"]["method"] == "wasserstein" and drift["columns"]["x"]["drifted"]
    assert drift["columns"]["y"]["method"] == "psi" and drift["columns"]["y"]["threshold"] == 0.5
    assert not drift["columns"]["y"]["drifted"]
    assert (drift["drifted_columns"], drift["column_count"], drift["drift_share"]) == (1, 2, 0.5)
    assert drift["prediction"] is not None and drift["prediction"]["drifted"]
    assert problems == [
        "drift of 'c' not computed: drift method 'ks' needs a numeric column; 'c' is categorical"
    ]
