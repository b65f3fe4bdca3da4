"""The numbers logged per batch: accuracy and F1 for classifiers, MAE and RMSE for regressors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["score"]


def score(
    model: Any, X: Any, y: Any, *, classifier: bool, classes: Sequence[Any] | None, prefix: str = ""
) -> dict[str, float]:
    """``model``'s score on ``(X, y)`` as ``{prefix + name: value}``."""
    import numpy as np

    predicted = np.asarray(model.predict(X))
    truth = np.asarray(y)
    if classifier:
        from sklearn.metrics import accuracy_score, f1_score

        labels = sorted(set(truth.tolist()) | set(predicted.tolist()), key=str)
        known = list(classes) if classes is not None else labels
        if len(known) == 2:
            f1 = f1_score(truth, predicted, pos_label=known[-1], average="binary", zero_division=0)
        else:
            f1 = f1_score(truth, predicted, average="macro", zero_division=0)
        return {
            f"{prefix}accuracy": float(accuracy_score(truth, predicted)),
            f"{prefix}f1": float(f1),
        }
    errors = predicted.astype(float) - truth.astype(float)
    return {
        f"{prefix}mae": float(np.mean(np.abs(errors))),
        f"{prefix}rmse": float(np.sqrt(np.mean(errors**2))),
    }
