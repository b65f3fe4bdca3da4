"""Model quality: hand-checked cases and equality with scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from cairn.errors import InvalidInput
from cairn.monitoring.quality import compute_quality, normalise_labels
from cairn.monitoring.results import CLASSIFICATION_METRICS, REGRESSION_METRICS


def test_binary_case_checked_by_hand():
    quality = compute_quality("classification", [0, 0, 1, 1], [0, 1, 1, 1])
    assert quality["accuracy"] == 0.75
    assert quality["confusion_matrix"] == {"labels": [0, 1], "matrix": [[1, 1], [0, 2]]}
    assert quality["precision_macro"] == pytest.approx((1 + 2 / 3) / 2)
    assert quality["recall_macro"] == pytest.approx((0.5 + 1) / 2)
    assert quality["f1_macro"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert quality["roc_auc"] is None
    assert quality["log_loss"] is None


def _sklearn_classification(y_true, y_pred):
    return {
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        **{
            f"{name}_{average}": function(y_true, y_pred, average=average, zero_division=0)
            for name, function in (
                ("precision", metrics.precision_score),
                ("recall", metrics.recall_score),
                ("f1", metrics.f1_score),
            )
            for average in ("macro", "weighted")
        },
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multiclass_equals_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    n, classes = 500, [0, 1, 2, 3]
    y_true = rng.choice(classes, n)
    raw = rng.random((n, 4)) + np.eye(4)[y_true] * rng.random((n, 1))
    proba = raw / raw.sum(axis=1, keepdims=True)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.choice([0, 1, 2], n))  # 3 never predicted
    quality = compute_quality(
        "classification", y_true, y_pred, pd.DataFrame(proba, columns=classes)
    )
    for key, expected in _sklearn_classification(y_true, y_pred).items():
        assert quality[key] == pytest.approx(expected, abs=1e-12), key
    assert quality["roc_auc"] == pytest.approx(
        metrics.roc_auc_score(y_true, proba, multi_class="ovr", average="macro"), abs=1e-12
    )
    assert quality["log_loss"] == pytest.approx(
        metrics.log_loss(y_true, proba, labels=classes), abs=1e-12
    )
    assert (
        quality["confusion_matrix"]["matrix"] == metrics.confusion_matrix(y_true, y_pred).tolist()
    )


def test_binary_text_labels_with_one_probability_column_equal_scikit_learn():
    rng = np.random.default_rng(5)
    y_true = rng.choice(["no", "yes"], 300)
    p_yes = np.clip(0.3 + 0.4 * (y_true == "yes") + rng.normal(0, 0.2, 300), 0, 1)
    y_pred = np.where(p_yes > 0.5, "yes", "no")
    quality = compute_quality("classification", y_true, y_pred, pd.DataFrame({"yes": p_yes}))
    assert quality["roc_auc"] == pytest.approx(metrics.roc_auc_score(y_true == "yes", p_yes))
    assert quality["log_loss"] == pytest.approx(metrics.log_loss(y_true, p_yes))
    assert quality["confusion_matrix"]["labels"] == ["no", "yes"]
    # only the negative class's column: AUC from 1 - p(no)
    only_no = compute_quality("classification", y_true, y_pred, pd.DataFrame({"no": 1 - p_yes}))
    assert only_no["roc_auc"] == pytest.approx(quality["roc_auc"])


def test_labels_from_a_json_round_trip_match_integer_predictions():
    quality = compute_quality(
        "classification",
        pd.Series(["1", "0", "1.0", "2"]),
        pd.Series([1, 0, 1, 1]),
        pd.DataFrame(
            {"0": [0.1, 0.8, 0.2, 0.3], "1": [0.8, 0.1, 0.7, 0.4], "2": [0.1, 0.1, 0.1, 0.3]}
        ),
    )
    assert quality["accuracy"] == 0.75
    assert quality["confusion_matrix"]["labels"] == [0, 1, 2]
    assert quality["roc_auc"] is not None


def test_normalise_labels_rules():
    (a, b), numeric = normalise_labels(pd.Series(["1", "2.0"]), pd.Series([1.0, 2]))
    assert numeric and a.tolist() == [1, 2] and b.tolist() == [1, 2]
    (a, b), numeric = normalise_labels(pd.Series(["x", 1.0]), pd.Series([True, 2]))
    assert not numeric and a.tolist() == ["x", "1"] and b.tolist() == ["True", "2"]


def test_one_class_present_gives_no_auc_or_log_loss():
    quality = compute_quality(
        "classification",
        [1, 1, 1],
        [1, 0, 1],
        pd.DataFrame({0: [0.2, 0.6, 0.1], 1: [0.8, 0.4, 0.9]}),
    )
    assert quality["roc_auc"] is None and quality["log_loss"] is None
    assert quality["accuracy"] == pytest.approx(2 / 3)


def test_missing_rows_and_missing_probabilities_are_left_out():
    quality = compute_quality(
        "classification",
        [0, 1, None, 1, 0],
        [0, 1, 1, np.nan, 1],
        pd.DataFrame({1: [0.1, 0.9, 0.5, 0.5, np.nan]}),
    )
    assert quality["confusion_matrix"]["matrix"] == [[1, 1], [0, 1]]
    assert quality["roc_auc"] == 1.0  # the row with a missing probability is left out


def test_probabilities_outside_zero_one_give_no_log_loss():
    quality = compute_quality(
        "classification", [0, 1], [0, 1], pd.DataFrame({0: [0.5, -0.5], 1: [0.5, 1.5]})
    )
    assert quality["log_loss"] is None
    assert quality["roc_auc"] == 1.0


def test_no_rows_gives_none_everywhere():
    quality = compute_quality("classification", [], [])
    assert all(quality[key] is None for key in CLASSIFICATION_METRICS)
    assert quality["confusion_matrix"] == {"labels": [], "matrix": []}
    assert all(value is None for value in compute_quality("regression", [], []).values())


def test_regression_equals_scikit_learn():
    rng = np.random.default_rng(3)
    y = rng.normal(10, 3, 400)
    y[:20] = 0.0
    p = y + rng.normal(0, 1, 400)
    quality = compute_quality("regression", y, p)
    assert set(quality) == set(REGRESSION_METRICS)
    assert quality["mae"] == pytest.approx(metrics.mean_absolute_error(y, p))
    assert quality["rmse"] == pytest.approx(metrics.root_mean_squared_error(y, p))
    assert quality["r2"] == pytest.approx(metrics.r2_score(y, p))
    assert quality["mape"] == pytest.approx(metrics.mean_absolute_percentage_error(y[20:], p[20:]))


def test_regression_edge_cases():
    assert compute_quality("regression", [0.0, 0.0], [1.0, -1.0])["mape"] is None
    one = compute_quality("regression", ["2"], [3])
    assert one["mae"] == 1.0 and one["rmse"] == 1.0 and one["r2"] is None and one["mape"] == 0.5
    text = compute_quality("regression", [1.0, "x", 3.0], [1.0, 2.0, 5.0])
    assert text["mae"] == 1.0


def test_bad_task_and_lengths_are_refused():
    with pytest.raises(InvalidInput, match="task must be"):
        compute_quality("ranking", [1], [1])
    with pytest.raises(InvalidInput, match="y_true has 2 values but y_pred has 1"):
        compute_quality("classification", [1, 2], [1])
