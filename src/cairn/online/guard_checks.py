"""The poisoning guard's statistics, one fitted object per check.

Each check is fitted on trusted data (the reference or the holdout), then scores a batch and
returns a :class:`CheckResult`: the statistic, its p-value or threshold, and whether the batch
passes. The thresholds are significance levels of one-sided tests against what clean data
shows, so a clean batch fails a check with probability about ``alpha``:

- :class:`OutlierCheck`: robust Mahalanobis distance of each row to the reference; the share of
  rows beyond the reference's ``1 - expected`` quantile, binomial test against ``expected``.
- :class:`LabelShiftCheck`: classes: a G-test of independence of the batch's and the
  reference's label counts (classes expected under 5 rows in the batch pooled); targets: a
  two-sample KS test.
- :class:`DisagreementCheck`: classes: the trusted model's error rate on the batch, binomial
  test against its holdout error rate plus ``margin``; targets: the share of residuals beyond
  the holdout's ``1 - expected`` quantile, binomial test against ``expected + margin``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cairn.errors import InvalidInput

__all__ = [
    "CheckResult",
    "DisagreementCheck",
    "LabelShiftCheck",
    "OutlierCheck",
    "binomial_tail",
    "feature_matrix",
]

MIN_EXPECTED = 5.0  # a G-test cell needs this many expected rows; smaller ones are pooled


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict on a batch: ``scores`` go into the guard's Verdict."""

    name: str
    passed: bool
    scores: dict[str, float]
    reason: str = ""


def binomial_tail(successes: int, trials: int, rate: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, rate): the one-sided p-value."""
    if successes <= 0 or trials <= 0:
        return 1.0
    rate = min(max(rate, 1e-9), 1.0)
    return float(stats.binom.sf(successes - 1, trials, rate))


def feature_matrix(X: Any, columns: list[str], what: str = "the batch") -> np.ndarray:
    """``X``'s ``columns`` as floats; a missing column or a non-numeric value is bad input."""
    if not isinstance(X, pd.DataFrame):
        raise InvalidInput(f"{what} must be a pandas DataFrame, got {type(X).__name__}")
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise InvalidInput(
            f"{what} lacks the reference's columns {missing}: send every feature the "
            f"reference has ({', '.join(map(str, columns))})"
        )
    try:
        return X[columns].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} has non-numeric feature values: {exc}") from None


class OutlierCheck:
    """Rows outside the reference's robust envelope, against the share clean data shows."""

    def __init__(self, expected: float = 0.01, alpha: float = 1e-3, margin: float = 0.02) -> None:
        self.expected = expected
        self.alpha = alpha
        self.margin = margin

    def fit(self, reference: np.ndarray) -> OutlierCheck:
        """Learn the centre, scale, covariance and distance cut-off from reference rows."""
        rows = reference[~np.isnan(reference).any(axis=1)]
        if len(rows) < 2 * reference.shape[1] + 10:
            raise InvalidInput(
                f"the reference has {len(rows)} complete rows for {reference.shape[1]} "
                "features: give at least 2 rows per feature plus 10"
            )
        self.center_ = np.median(rows, axis=0)
        mad = np.median(np.abs(rows - self.center_), axis=0) * 1.4826
        std = rows.std(axis=0)
        self.scale_ = np.where(mad > 0, mad, np.where(std > 0, std, 1.0))
        z = (rows - self.center_) / self.scale_
        cov = np.cov(z, rowvar=False).reshape(z.shape[1], z.shape[1])
        shrunk = 0.95 * cov + 0.05 * np.eye(len(cov)) * max(np.trace(cov) / len(cov), 1e-9)
        self.precision_ = np.linalg.inv(shrunk)
        # The cut-off comes from one half, the rate it gives from the other (no in-sample bias).
        order = np.random.default_rng(0).permutation(len(z))
        half = len(z) // 2
        fit_d = self._distance(z[order[:half]])
        self.cutoff_ = float(np.quantile(fit_d, 1 - self.expected))
        held = self._distance(z[order[half:]])
        self.rate_ = max(float(np.mean(held > self.cutoff_)), self.expected)
        return self

    def _distance(self, z: np.ndarray) -> np.ndarray:
        return np.sqrt(np.einsum("ij,jk,ik->i", z, self.precision_, z))

    def distances(self, X: np.ndarray) -> np.ndarray:
        """Each row's distance to the reference (infinite for a row with a missing value)."""
        z = (X - self.center_) / self.scale_
        found = self._distance(np.nan_to_num(z))
        found[np.isnan(z).any(axis=1)] = np.inf
        return found

    def check(self, X: np.ndarray) -> CheckResult:
        """Binomial test of the batch's outlier count against the reference rate + margin."""
        n = len(X)
        outside = int(np.sum(self.distances(X) > self.cutoff_))
        p = binomial_tail(outside, n, self.rate_ + self.margin)
        share = outside / n if n else 0.0
        scores = {"outlier_share": share, "outlier_expected": self.rate_, "outlier_p": p}
        if p >= self.alpha:
            return CheckResult("outliers", True, scores)
        reason = (
            f"outliers: {share:.1%} of rows lie outside the reference envelope "
            f"(clean data: {self.rate_:.1%}; p={p:.2g})"
        )
        return CheckResult("outliers", False, scores, reason)


class LabelShiftCheck:
    """The batch's labels against the reference's: G-test (classes) or KS test (targets)."""

    def __init__(self, classification: bool, alpha: float = 1e-3) -> None:
        self.classification = classification
        self.alpha = alpha

    def fit(self, y: np.ndarray) -> LabelShiftCheck:
        """Learn the class proportions (or keep the target values) of the reference."""
        y = np.asarray(y)
        if self.classification:
            classes, counts = np.unique(y, return_counts=True)
            self.classes_ = classes
            self.counts_ = counts.astype(float)
            self.proportions_ = counts / counts.sum()
        else:
            self.values_ = y.astype(float)
        return self

    def check(self, y: np.ndarray) -> CheckResult:
        """Test the batch's labels against the reference's distribution."""
        y = np.asarray(y)
        if not self.classification:
            found = stats.ks_2samp(y.astype(float), self.values_)
            statistic, p = float(found.statistic), float(found.pvalue)
            scores = {"label_ks": statistic, "label_shift_p": p}
            if p >= self.alpha:
                return CheckResult("label_shift", True, scores)
            reason = f"label_shift: target distribution differs (KS={statistic:.3f}, p={p:.2g})"
            return CheckResult("label_shift", False, scores, reason)
        unknown = sorted({str(v) for v in np.setdiff1d(np.unique(y), self.classes_)})
        if unknown:
            scores = {"label_shift_g": math.inf, "label_shift_p": 0.0}
            reason = f"label_shift: classes {unknown} never occur in the reference"
            return CheckResult("label_shift", False, scores, reason)
        observed = np.array([np.sum(y == c) for c in self.classes_], dtype=float)
        statistic, dof = _g_statistic(np.vstack([self.counts_, observed]))
        p = float(stats.chi2.sf(statistic, dof)) if dof > 0 else 1.0
        scores = {"label_shift_g": statistic, "label_shift_p": p}
        if p >= self.alpha:
            return CheckResult("label_shift", True, scores)
        top = int(np.argmax(observed / max(len(y), 1) - self.proportions_))
        reason = (
            f"label_shift: class {self.classes_[top]!s} is {observed[top] / len(y):.1%} of the "
            f"batch (reference: {self.proportions_[top]:.1%}; G={statistic:.1f}, p={p:.2g})"
        )
        return CheckResult("label_shift", False, scores, reason)


def _g_statistic(table: np.ndarray) -> tuple[float, int]:
    """G statistic of a 2 x K table (reference and batch label counts) and its degrees of
    freedom; classes expected under MIN_EXPECTED rows in the batch are pooled into one."""
    expected_batch = table.sum(axis=0) * table[1].sum() / table.sum()
    small = expected_batch < MIN_EXPECTED
    if small.any():
        table = np.column_stack([table[:, ~small], table[:, small].sum(axis=1)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    ratio = np.where(table > 0, table / np.maximum(expected, 1e-12), 1.0)
    return float(2 * np.sum(table * np.log(ratio))), table.shape[1] - 1


class DisagreementCheck:
    """Labels the trusted model disagrees with, far more often than on the holdout."""

    def __init__(
        self,
        classification: bool,
        alpha: float = 1e-3,
        margin: float = 0.05,
        expected: float = 0.01,
    ) -> None:
        self.classification = classification
        self.alpha = alpha
        self.margin = margin
        self.expected = expected

    def fit(self, model: Any, X: pd.DataFrame, y: np.ndarray) -> DisagreementCheck:
        """Measure the trusted model's usual disagreement on the holdout ``(X, y)``."""
        self.model_ = model
        predicted = np.asarray(model.predict(X))
        y = np.asarray(y)
        if self.classification:
            self.baseline_ = float(np.mean(predicted != y))
        else:
            residuals = np.abs(y.astype(float) - predicted.astype(float))
            self.cutoff_ = float(np.quantile(residuals, 1 - self.expected))
            self.baseline_ = max(float(np.mean(residuals > self.cutoff_)), self.expected)
        return self

    def check(self, X: pd.DataFrame, y: np.ndarray) -> CheckResult:
        """Binomial test of the batch's disagreement count against baseline + margin."""
        predicted = np.asarray(self.model_.predict(X))
        y = np.asarray(y)
        if self.classification:
            wrong = predicted != y
        else:
            wrong = np.abs(y.astype(float) - predicted.astype(float)) > self.cutoff_
        n, count = len(y), int(np.sum(wrong))
        p = binomial_tail(count, n, self.baseline_ + self.margin)
        rate = count / n if n else 0.0
        scores = {
            "disagreement_rate": rate,
            "disagreement_baseline": self.baseline_,
            "disagreement_p": p,
        }
        if p >= self.alpha:
            return CheckResult("disagreement", True, scores)
        what = "labels" if self.classification else "targets far from the trusted prediction"
        reason = (
            f"disagreement: the trusted model disagrees with {rate:.1%} of the {what} "
            f"(usual: {self.baseline_:.1%}; p={p:.2g})"
        )
        return CheckResult("disagreement", False, scores, reason)
