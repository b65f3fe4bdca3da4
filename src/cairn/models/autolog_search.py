"""Autologging of hyper-parameter searches (``GridSearchCV``, ``RandomizedSearchCV`` and any
estimator with ``cv_results_`` and ``best_params_``).

On the search's run: ``best_<param>`` params, the ``best_cv_score`` metric and, with
``log_models``, the refitted best estimator as the model ``best_estimator``. Then one child
run per candidate (the first ``max_tuning_runs``, by rank, when set) named
``<Estimator>-candidate-<i>`` with the candidate's params and its ``mean_*``, ``std_*`` and
``rank_*`` values from ``cv_results_`` as metrics.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["candidate_order", "is_search", "log_search"]


def is_search(estimator: Any) -> bool:
    """Whether the fitted estimator is a hyper-parameter search with results."""
    return hasattr(estimator, "cv_results_") and hasattr(estimator, "best_params_")


def candidate_order(cv_results: dict[str, Any], limit: int | None) -> list[int]:
    """Indexes of the candidates to log: all in order, or the ``limit`` best by rank."""
    count = len(cv_results["params"])
    if limit is None:
        return list(range(count))
    ranks = cv_results.get("rank_test_score")
    if ranks is None:
        ranked = [
            f"rank_{k[len('mean_test_') :]}" for k in cv_results if k.startswith("mean_test_")
        ]
        ranks = cv_results.get(ranked[0]) if ranked else None
    order = (
        list(range(count)) if ranks is None else sorted(range(count), key=lambda i: (ranks[i], i))
    )
    return sorted(order[:limit])


def log_search(search: Any, max_tuning_runs: int | None, log_models: bool, example: Any) -> None:
    """Log the best result on the active run and one child run per candidate."""
    from cairn.tracking import fluent

    fluent.log_params({f"best_{k}": str(v) for k, v in search.best_params_.items()})
    best_score = getattr(search, "best_score_", None)
    if best_score is not None and _finite(best_score):
        fluent.log_metric("best_cv_score", float(best_score))
    if log_models and hasattr(search, "best_estimator_"):
        from cairn.models.flavors import sklearn as cairn_sklearn

        cairn_sklearn.log_model(search.best_estimator_, "best_estimator", input_example=example)
    results = search.cv_results_
    base = type(search.estimator).__name__ if hasattr(search, "estimator") else "candidate"
    for index in candidate_order(results, max_tuning_runs):
        with fluent.start_run(nested=True, run_name=f"{base}-candidate-{index}"):
            fluent.log_params({k: str(v) for k, v in results["params"][index].items()})
            fluent.log_metrics(_candidate_metrics(results, index))


def _candidate_metrics(results: dict[str, Any], index: int) -> dict[str, float]:
    out = {}
    for key, values in results.items():
        if not key.startswith(("mean_", "std_", "rank_")):
            continue
        value = values[index]
        if isinstance(value, (int, float)) or hasattr(value, "dtype"):
            number = float(value)
            if _finite(number):
                out[key] = number
    return out


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
