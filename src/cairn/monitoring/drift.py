"""Drift of a window's columns against the reference summary.

``method="auto"`` picks per column as Evidently 0.7.23's defaults do (``_get_default_stattest``),
with ``n`` the reference's non-missing rows and ``u`` the distinct values of reference and
current together:

- numeric, ``n <= 1000``: ``ks`` (two-sample Kolmogorov–Smirnov, drift when p < 0.05); with
  ``u <= 5``: ``chisquare`` (``u > 2``) or ``z`` (``u <= 2``);
- numeric, ``n > 1000``: ``wasserstein`` (distance / reference std, drift when > 0.1); with
  ``u <= 5``: ``jensenshannon`` (> 0.1);
- categorical, ``n <= 1000``: ``chisquare`` (``u > 2``) or ``z`` (``u <= 2``), p < 0.05;
- categorical, ``n > 1000``: ``jensenshannon`` (> 0.1).

Where Evidently's ``chisquare`` is a goodness-of-fit test that takes a small reference as the
exact truth (and so flags unshifted columns far more often than 5%), cairn's is the
chi-square test of homogeneity of the 2 x k table of both samples' counts
(``scipy.stats.chi2_contingency``); ``z`` is the pooled two-proportion z-test. ``psi`` is
available too (> 0.1). Jensen–Shannon and PSI bin as Evidently does: numeric columns with
more than 20 distinct reference values into Sturges bins over both samples, others per value,
empty bins filled with a small share. Missing and non-finite values are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from cairn.errors import InvalidInput
from cairn.monitoring.reference import (
    CategoricalSummary,
    NumericSummary,
    ReferenceSummary,
    category_counts,
    numeric_values,
)
from cairn.monitoring.results import ColumnDrift, Drift, Histogram
from cairn.monitoring.spec import DRIFT_METHODS, DRIFT_THRESHOLDS, MonitorSpec

__all__ = ["DEFAULT_THRESHOLDS", "METHODS", "column_drift", "dataset_drift"]

#: Default threshold per method: p-value for tests, distance for the others.
DEFAULT_THRESHOLDS = DRIFT_THRESHOLDS
METHODS = DRIFT_METHODS
_TESTS = {"ks", "chisquare", "z"}
_SMALL_REFERENCE = 1000
_KS_EXACT_MAX = 10_000  # scipy's ks_2samp method="auto" is exact up to this sample size
_MAX_CATEGORIES = 50  # categories drawn in a histogram; the rest are summed in "(other)"
_WORKERS = 2


def column_drift(
    reference: NumericSummary | CategoricalSummary,
    current: pd.Series,
    *,
    method: str = "auto",
    threshold: float | None = None,
) -> ColumnDrift:
    """Drift of ``current`` against the ``reference`` summary of the same column."""
    if method not in METHODS:
        raise InvalidInput(
            f"drift method {method!r} for column {reference.name!r} is not one of {', '.join(METHODS)}"
        )
    if isinstance(reference, NumericSummary):
        cur = np.sort(numeric_values(current))  # -inf first, then +inf, then NaN
        start = np.searchsorted(cur, -np.inf, side="right")
        end = np.searchsorted(cur, np.inf, side="left")
        return _numeric_drift(reference, cur[start:end], method, threshold)
    return _categorical_drift(reference, category_counts(current), method, threshold)


def dataset_drift(
    summary: ReferenceSummary,
    frame: pd.DataFrame,
    spec: MonitorSpec,
    *,
    problems: list[str] | None = None,
) -> Drift:
    """Drift of every spec feature present in ``frame`` and of the prediction column (when
    both the frame and the summary have it), with ``spec.drift``'s method and threshold and its
    per-column overrides. A column whose drift cannot be computed (a method that does not fit
    it) is left out, with a message appended to ``problems`` when given."""
    jobs: dict[str, Callable[[], ColumnDrift]] = {}
    for name in spec.feature_names:
        if name in frame.columns and name in summary.columns:
            jobs[name] = _job(summary.columns[name], frame[name], spec)
    prediction_job = None
    if summary.prediction is not None and spec.prediction in frame.columns:
        prediction_job = _job(summary.prediction, frame[spec.prediction], spec)
    names = list(jobs) + ([spec.prediction] if prediction_job else [])
    calls = list(jobs.values()) + ([prediction_job] if prediction_job else [])
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        outcomes = list(pool.map(_attempt, calls))
    columns: dict[str, ColumnDrift] = {}
    prediction: ColumnDrift | None = None
    for index, (name, outcome) in enumerate(zip(names, outcomes, strict=True)):
        if isinstance(outcome, InvalidInput):
            if problems is not None:
                problems.append(f"drift of {name!r} not computed: {outcome}")
        elif prediction_job is not None and index == len(names) - 1:
            prediction = outcome
        else:
            columns[name] = outcome
    measured = [drift for drift in columns.values() if drift["statistic"] is not None]
    drifted = sum(drift["drifted"] for drift in measured)
    return Drift(
        columns=columns,
        prediction=prediction,
        drifted_columns=drifted,
        column_count=len(measured),
        drift_share=drifted / len(measured) if measured else 0.0,
    )


def _job(
    reference: NumericSummary | CategoricalSummary, series: pd.Series, spec: MonitorSpec
) -> Callable[[], ColumnDrift]:
    override = spec.drift.columns.get(reference.name, {})
    method = override.get("method", spec.drift.method)
    threshold = override.get("threshold", spec.drift.threshold)
    return lambda: column_drift(reference, series, method=method, threshold=threshold)


def _attempt(call: Callable[[], ColumnDrift]) -> ColumnDrift | InvalidInput:
    try:
        return call()
    except InvalidInput as error:
        return error


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    if len(values) == 0:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def _numeric_drift(
    reference: NumericSummary, cur: np.ndarray, method: str, threshold: float | None
) -> ColumnDrift:
    ref = reference.values
    ref_unique = _sorted_unique(ref)
    cur_unique = (
        _sorted_unique(cur)
        if len(ref_unique) <= 5 or method in ("chisquare", "z", "jensenshannon", "psi")
        else None
    )
    few = cur_unique is not None and len(ref_unique) <= 5 and len(cur_unique) <= 5
    union = np.union1d(ref_unique, cur_unique) if few else None
    if method == "auto":
        small = reference.count <= _SMALL_REFERENCE
        if union is not None and len(union) <= 5:
            method = ("chisquare" if len(union) > 2 else "z") if small else "jensenshannon"
        else:
            method = "ks" if small else "wasserstein"
    edges = _sturges_edges(ref, cur)
    histogram = Histogram(
        edges=edges.tolist(),
        categories=None,
        reference=_shares(_sorted_histogram(ref, edges)),
        current=_shares(_sorted_histogram(cur, edges)),
    )
    statistic = p_value = None
    if len(ref) and len(cur):
        if method in ("ks", "wasserstein"):
            statistic, p_value = (
                _ks(ref, cur) if method == "ks" else (_wasserstein(ref, cur, reference.std), None)
            )
        elif method in ("jensenshannon", "psi") and len(ref_unique) > 20:
            statistic = _distance(
                method, _sorted_histogram(ref, edges), _sorted_histogram(cur, edges)
            )
        else:
            keys = union if union is not None else np.union1d(ref_unique, cur_unique)
            ref_counts = np.diff(np.searchsorted(ref, keys, side="left"), append=len(ref))
            cur_counts = np.diff(np.searchsorted(cur, keys, side="left"), append=len(cur))
            statistic, p_value = _count_test(method, ref_counts, cur_counts, reference.name)
    return _result(
        "numeric", method, statistic, p_value, threshold, reference.count, len(cur), histogram
    )


def _categorical_drift(
    reference: CategoricalSummary, current: dict[str, int], method: str, threshold: float | None
) -> ColumnDrift:
    if method in ("ks", "wasserstein"):
        raise InvalidInput(
            f"drift method {method!r} needs a numeric column; {reference.name!r} is categorical"
        )
    keys = sorted(reference.counts, key=lambda key: -reference.counts[key])
    keys += sorted(set(current) - set(reference.counts), key=lambda key: -current[key])
    ref_counts = np.array([reference.counts.get(key, 0) for key in keys], dtype=np.int64)
    cur_counts = np.array([current.get(key, 0) for key in keys], dtype=np.int64)
    if method == "auto":
        if reference.count <= _SMALL_REFERENCE:
            method = "chisquare" if len(keys) > 2 else "z"
        else:
            method = "jensenshannon"
    statistic = p_value = None
    if ref_counts.sum() and cur_counts.sum():
        statistic, p_value = _count_test(method, ref_counts, cur_counts, reference.name)
    shown = keys[:_MAX_CATEGORIES]
    ref_shown, cur_shown = ref_counts[: len(shown)], cur_counts[: len(shown)]
    if len(keys) > len(shown):
        shown = [*shown, "(other)"]
        ref_shown = np.append(ref_shown, ref_counts[len(shown) - 1 :].sum())
        cur_shown = np.append(cur_shown, cur_counts[len(shown) - 1 :].sum())
    histogram = Histogram(
        edges=None, categories=shown, reference=_shares(ref_shown), current=_shares(cur_shown)
    )
    return _result(
        "categorical",
        method,
        statistic,
        p_value,
        threshold,
        reference.count,
        int(cur_counts.sum()),
        histogram,
    )


def _result(
    kind: str,
    method: str,
    statistic: float | None,
    p_value: float | None,
    threshold: float | None,
    reference_rows: int,
    current_rows: int,
    histogram: Histogram,
) -> ColumnDrift:
    limit = DEFAULT_THRESHOLDS[method] if threshold is None else float(threshold)
    if statistic is None:
        drifted = False
    elif method in _TESTS:
        drifted = p_value is not None and p_value < limit
    else:
        drifted = statistic > limit
    return ColumnDrift(
        kind=kind,
        method=method,
        statistic=_number(statistic),
        p_value=_number(p_value),
        threshold=limit,
        drifted=bool(drifted),
        reference_rows=int(reference_rows),
        current_rows=int(current_rows),
        histogram=histogram,
    )


def _number(value: Any) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return float(value)


def _count_test(
    method: str, ref_counts: np.ndarray, cur_counts: np.ndarray, name: str
) -> tuple[float, float | None]:
    """A test or distance on the counts of the same categories in both samples."""
    if method in ("jensenshannon", "psi"):
        return _distance(method, ref_counts, cur_counts), None
    if method == "chisquare":
        table = np.vstack([ref_counts, cur_counts])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            return 0.0, 1.0
        result = stats.chi2_contingency(table)
        return float(result.statistic), float(result.pvalue)
    if method == "z":
        if len(ref_counts) > 2:
            raise InvalidInput(
                f"drift method 'z' needs at most 2 categories; {name!r} has {len(ref_counts)}"
            )
        return _z_test(ref_counts, cur_counts)
    raise InvalidInput(f"drift method {method!r} needs a numeric column; {name!r} is categorical")


def _z_test(ref_counts: np.ndarray, cur_counts: np.ndarray) -> tuple[float, float]:
    """Pooled two-proportion z-test of the first category's share in both samples."""
    n1, n2 = int(ref_counts.sum()), int(cur_counts.sum())
    p1, p2 = ref_counts[0] / n1, cur_counts[0] / n2
    pooled = (ref_counts[0] + cur_counts[0]) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 0.0, 1.0
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(z), float(2 * stats.norm.sf(abs(z)))


def _distance(method: str, ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Jensen–Shannon distance (natural log) or PSI of two count vectors, empty bins filled
    as Evidently does (a millionth of the smallest share, or 0.0001)."""
    ref, cur = (
        _fill_zeroes(ref_counts / ref_counts.sum()),
        _fill_zeroes(cur_counts / cur_counts.sum()),
    )
    if method == "jensenshannon":
        return float(jensenshannon(ref, cur))
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def _fill_zeroes(shares: np.ndarray) -> np.ndarray:
    shares = shares.astype(np.float64)
    smallest = shares[shares != 0].min()
    shares[shares == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return shares


def _sturges_edges(ref: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """``np.histogram_bin_edges(both, "sturges")`` from the two sorted samples."""
    n = len(ref) + len(cur)
    if n == 0:
        return np.array([0.0, 1.0])
    low = min(x[0] for x in (ref, cur) if len(x))
    high = max(x[-1] for x in (ref, cur) if len(x))
    if high == low:
        return np.array([low - 0.5, high + 0.5])
    width = (high - low) / (np.log2(n) + 1.0)
    return np.linspace(low, high, int(np.ceil((high - low) / width)) + 1)


def _sorted_histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.histogram(values, edges)[0]`` for sorted ``values``, by binary search."""
    below = np.searchsorted(values, edges, side="left")
    counts = np.diff(below)
    counts[-1] += np.searchsorted(values, edges[-1], side="right") - below[-1]
    return counts


def _shares(counts: np.ndarray) -> list[float]:
    total = counts.sum()
    return (counts / total).tolist() if total else [0.0] * len(counts)


def _merged(ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both sorted samples merged in order, and the difference of their empirical CDFs after
    each merged value (exact wherever the next value differs): a running sum of +1/n at each
    reference value and -1/m at each current one."""
    n, m = len(ref), len(cur)
    positions = np.searchsorted(cur, ref, side="left")
    merged = np.insert(cur, positions, ref)
    difference = np.full(n + m, -1.0 / m)
    difference[positions + np.arange(n)] = 1.0 / n
    np.cumsum(difference, out=difference)
    return merged, difference


def _ks(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
    """scipy.stats.ks_2samp (two-sided, method "auto") on two sorted samples."""
    if max(len(ref), len(cur)) <= _KS_EXACT_MAX:
        result = stats.ks_2samp(ref, cur)
        return float(result.statistic), float(result.pvalue)
    merged, difference = _merged(ref, cur)
    last = np.append(merged[1:] != merged[:-1], True)
    d = float(np.abs(difference[last]).max())
    big, small = max(len(ref), len(cur)), min(len(ref), len(cur))
    p = stats.kstwo.sf(d, np.round(big * small / (big + small)))
    return d, float(np.clip(p, 0, 1))


def _wasserstein(ref: np.ndarray, cur: np.ndarray, std: float | None) -> float:
    """scipy.stats.wasserstein_distance divided by the reference's std (at least 0.001), as
    Evidently normalises it."""
    merged, difference = _merged(ref, cur)
    distance = float(np.dot(np.abs(difference[:-1]), np.diff(merged)))
    return distance / max(std or 0.0, 0.001)
