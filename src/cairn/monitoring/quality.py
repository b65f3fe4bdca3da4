"""Model quality of one set of labelled predictions: :func:`compute_quality`.

Classification metrics come from one confusion matrix (accuracy, precision, recall and F1,
macro and weighted, with ``zero_division=0``), ROC AUC and log loss from the probability
columns; regression metrics are MAE, RMSE, R² and MAPE. Every value equals scikit-learn's
on the same rows (the tests check it); a value that cannot be computed is None.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score, roc_auc_score

from cairn.errors import InvalidInput
from cairn.monitoring.results import CLASSIFICATION_METRICS, REGRESSION_METRICS

__all__ = ["compute_quality", "normalise_labels"]


def compute_quality(
    task: str, y_true: Any, y_pred: Any, probabilities: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Quality of ``y_pred`` against ``y_true`` (aligned by position) for ``task``
    ("classification" or "regression").

    Rows where either value is missing are left out. Classification labels go through
    :func:`normalise_labels` (so ``"1"`` from a JSON round trip equals ``1``); the column
    names of ``probabilities`` (class label -> probability of that class, one row per
    prediction) are normalised the same way. Regression values are read as numbers; rows
    that are not numbers are left out.
    """
    true = (
        pd.Series(np.asarray(y_true, dtype=object)) if not isinstance(y_true, pd.Series) else y_true
    )
    pred = (
        pd.Series(np.asarray(y_pred, dtype=object)) if not isinstance(y_pred, pd.Series) else y_pred
    )
    if len(true) != len(pred):
        raise InvalidInput(f"y_true has {len(true)} values but y_pred has {len(pred)}")
    true, pred = true.reset_index(drop=True), pred.reset_index(drop=True)
    if task == "classification":
        return _classification(true, pred, probabilities)
    if task == "regression":
        return _regression(true, pred)
    raise InvalidInput(f"task must be 'classification' or 'regression', got {task!r}")


def normalise_labels(*columns: pd.Series) -> tuple[list[pd.Series], bool]:
    """Give every series one label type: numbers when every value of every series reads as
    a number (int64 when all are whole, e.g. ``"1"``, ``1`` and ``1.0`` all become ``1``;
    else float64), else text (whole floats written as integers, ``1.0`` -> ``"1"``;
    booleans as ``"True"``/``"False"``). Series must hold no missing values. Returns the
    series and whether they are numeric."""
    numbers = [_as_number(column) for column in columns]
    if all(number is not None for number in numbers):
        values = [np.asarray(number, dtype=np.float64) for number in numbers]
        whole = all(np.all(np.isfinite(v)) and np.all(v == np.round(v)) for v in values)
        return [pd.Series(v.astype(np.int64) if whole else v) for v in values], True
    return [_as_text(column) for column in columns], False


def _as_number(column: pd.Series) -> np.ndarray | None:
    if pd.api.types.is_bool_dtype(column.dtype):
        return None  # booleans are labels, compared as text
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(dtype=np.float64)
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    if "boolean" in pd.api.types.infer_dtype(column, skipna=True):
        return None
    number = pd.to_numeric(column, errors="coerce")
    if number.isna().any():
        return None
    return number.to_numpy(dtype=np.float64)


def _as_text(column: pd.Series) -> pd.Series:
    uniques, codes = _factorize(column)
    texts = np.array([_text(value) for value in uniques], dtype=object)
    return pd.Series(texts[codes] if len(texts) else np.array([], dtype=object))


def _text(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _factorize(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(column)
    return np.asarray(uniques, dtype=object), codes


def _none_metrics(keys: tuple[str, ...]) -> dict[str, Any]:
    return dict.fromkeys(keys)


def _classification(
    true: pd.Series, pred: pd.Series, probabilities: pd.DataFrame | None
) -> dict[str, Any]:
    keep = (true.notna() & pred.notna()).to_numpy()
    result = _none_metrics(CLASSIFICATION_METRICS)
    result["confusion_matrix"] = {"labels": [], "matrix": []}
    if not keep.any():
        return result
    (true, pred), numeric = normalise_labels(
        true[keep].reset_index(drop=True), pred[keep].reset_index(drop=True)
    )
    both = pd.concat([true, pred], ignore_index=True)
    codes, uniques = pd.factorize(both, sort=True)
    labels = list(uniques)
    n = len(true)
    true_codes, pred_codes = codes[:n], codes[n:]
    size = len(labels)
    matrix = np.bincount(true_codes * size + pred_codes, minlength=size * size).reshape(size, size)
    result.update(_from_confusion(matrix))
    result["confusion_matrix"] = {
        "labels": [label.item() if isinstance(label, np.generic) else label for label in labels],
        "matrix": matrix.tolist(),
    }
    if probabilities is not None and len(probabilities.columns):
        proba = _probability_frame(probabilities, keep, numeric)
        if proba is not None:
            result["roc_auc"] = _roc_auc(true, proba)
            result["log_loss"] = _log_loss(true, proba)
    return result


def _from_confusion(matrix: np.ndarray) -> dict[str, float]:
    tp = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1).astype(np.float64)
    predicted = matrix.sum(axis=0).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        denominator = support + predicted
        f1 = np.where(denominator > 0, 2 * tp / denominator, 0.0)
    weights = support / support.sum()
    return {
        "accuracy": float(tp.sum() / matrix.sum()),
        "precision_macro": float(precision.mean()),
        "recall_macro": float(recall.mean()),
        "f1_macro": float(f1.mean()),
        "precision_weighted": float((precision * weights).sum()),
        "recall_weighted": float((recall * weights).sum()),
        "f1_weighted": float((f1 * weights).sum()),
    }


def _probability_frame(
    probabilities: pd.DataFrame, keep: np.ndarray, numeric: bool
) -> pd.DataFrame | None:
    """The probability columns of the kept rows, keyed by labels of the same type as the
    normalised ``y_true``; None when they do not line up with the labels."""
    if len(probabilities) != len(keep):
        return None
    names = pd.Series(list(probabilities.columns), dtype=object)
    if names.isna().any():
        return None
    (keys,), keys_numeric = normalise_labels(names)
    if keys_numeric != numeric or keys.duplicated().any():
        return None
    frame = pd.DataFrame(
        {
            key: pd.to_numeric(probabilities.iloc[:, i], errors="coerce").to_numpy(dtype=np.float64)
            for i, key in enumerate(keys.tolist())
        }
    )
    return frame[keep].reset_index(drop=True)


def _roc_auc(true: pd.Series, proba: pd.DataFrame) -> float | None:
    """Binary: AUC of the larger label's probability (1 - the other's when only that one is
    given); more classes: one-vs-rest macro over the classes present. Rows with a missing
    probability are left out."""
    rows = proba.notna().all(axis=1).to_numpy()
    true, proba = true[rows].reset_index(drop=True), proba[rows].reset_index(drop=True)
    classes = sorted(true.unique().tolist())
    if len(classes) < 2:
        return None
    if len(classes) == 2:
        negative, positive = classes
        if positive in proba.columns:
            score = proba[positive].to_numpy()
        elif negative in proba.columns:
            score = 1.0 - proba[negative].to_numpy()
        else:
            return None
        return float(roc_auc_score((true == positive).to_numpy(), score))
    if any(label not in proba.columns for label in classes):
        return None
    scores = [
        roc_auc_score((true == label).to_numpy(), proba[label].to_numpy()) for label in classes
    ]
    return float(np.mean(scores))


def _log_loss(true: pd.Series, proba: pd.DataFrame) -> float | None:
    """Mean of -log(probability of the true class), clipped to [eps, 1 - eps] as
    scikit-learn does; None with one class, a true class without a column, or values
    outside 0..1. A binary monitor may give only the larger label's column."""
    rows = proba.notna().all(axis=1).to_numpy()
    true, proba = true[rows].reset_index(drop=True), proba[rows].reset_index(drop=True)
    classes = sorted(true.unique().tolist())
    if len(classes) < 2 or len(proba) == 0:
        return None
    if len(proba.columns) == 1 and len(classes) == 2 and classes[1] in proba.columns:
        proba = proba.assign(**{"__negative__": 1.0 - proba[classes[1]]}).rename(
            columns={"__negative__": classes[0]}
        )
    if any(label not in proba.columns for label in classes):
        return None
    values = proba.to_numpy(dtype=np.float64)
    if values.min() < 0 or values.max() > 1:
        return None
    index = pd.Index(list(proba.columns)).get_indexer(true.to_numpy())
    picked = values[np.arange(len(values)), index]
    eps = np.finfo(np.float64).eps
    return float(-np.log(np.clip(picked, eps, 1 - eps)).mean())


def _regression(true: pd.Series, pred: pd.Series) -> dict[str, Any]:
    y = pd.to_numeric(true, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    p = pd.to_numeric(pred, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    keep = np.isfinite(y) & np.isfinite(p)
    y, p = y[keep], p[keep]
    result = _none_metrics(REGRESSION_METRICS)
    if len(y) == 0:
        return result
    error = p - y
    result["mae"] = float(np.abs(error).mean())
    result["rmse"] = float(np.sqrt((error**2).mean()))
    if len(y) >= 2:
        result["r2"] = float(r2_score(y, p))
    nonzero = y != 0
    if nonzero.any():
        result["mape"] = float((np.abs(error[nonzero]) / np.abs(y[nonzero])).mean())
    return result
