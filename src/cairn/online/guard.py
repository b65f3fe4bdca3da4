"""The poisoning guard: every batch is scored before it may change the model.

``screen`` runs the per-source rate limit and the statistics of :mod:`cairn.online.guard_checks`
(feature outliers, label shift, disagreement with a trusted model); ``check_candidate`` is the
canary: the model updated with the batch is scored on a trusted holdout and rejected when it
does worse than the current model by more than ``max_holdout_drop`` (absolute accuracy or
macro F1 for classifiers, relative RMSE for regressors). A rejected batch goes to
:func:`cairn.online.quarantine.reject`; an accepted one is reported with ``accepted``.

The trusted model is ``trusted_model`` when given, else a copy of the model the guard first
screens against, renewed by :meth:`PoisoningGuard.checkpoint` (the trainer calls it when it
checkpoints a version).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from cairn.errors import InvalidInput
from cairn.monitoring.spec import ActionSpec
from cairn.online.guard_api import Batch, Verdict
from cairn.online.guard_checks import (
    CheckResult,
    DisagreementCheck,
    LabelShiftCheck,
    OutlierCheck,
    feature_matrix,
)

__all__ = ["GuardThresholds", "GuardWindow", "PoisoningGuard", "guard_from_config"]


@dataclass(frozen=True)
class GuardThresholds:
    """Significance levels and limits of the checks (defaults: < 1% clean batches rejected).

    ``alpha``: one-sided p-value under which a statistic rejects; ``outlier_margin`` and
    ``disagreement_margin``: how far above the clean rate a batch may go before the binomial
    test counts it; ``max_source_share``: the most rows one source may hold of the window;
    ``max_holdout_drop``: the canary's tolerance; ``metric``: ``accuracy`` or ``f1``.
    """

    alpha: float = 1e-3
    outlier_expected: float = 0.01
    outlier_margin: float = 0.02
    disagreement_margin: float = 0.05
    max_source_share: float = 0.25
    max_holdout_drop: float = 0.01
    metric: str = "accuracy"

    def __post_init__(self) -> None:
        for name in ("alpha", "outlier_expected", "max_source_share"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 < value <= 1:
                raise InvalidInput(f"guard threshold {name} must be in (0, 1], got {value!r}")
        for name in ("outlier_margin", "disagreement_margin", "max_holdout_drop"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 <= value < 1:
                raise InvalidInput(f"guard threshold {name} must be in [0, 1), got {value!r}")
        if self.metric not in ("accuracy", "f1"):
            raise InvalidInput(f"guard metric must be accuracy or f1, got {self.metric!r}")


@dataclass(frozen=True)
class GuardWindow:
    """The rate limit's window: the last ``rows`` accepted rows, or the last ``ms``
    milliseconds of accepted batches (then ``rows`` is the smallest denominator)."""

    rows: int = 5000
    ms: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rows, int) or self.rows < 1:
            raise InvalidInput(f"guard window rows must be a positive integer, got {self.rows!r}")
        if self.ms is not None and (not isinstance(self.ms, int) or self.ms < 1):
            raise InvalidInput(f"guard window ms must be a positive integer, got {self.ms!r}")


def _is_classification(y: np.ndarray) -> bool:
    if y.dtype.kind in "OUSbi" or isinstance(y.dtype, pd.CategoricalDtype):
        return True
    return y.dtype.kind == "f" and bool(np.all(np.mod(y, 1) == 0)) and len(np.unique(y)) <= 20


class PoisoningGuard:
    """Score batches against a trusted reference, holdout and model (see the module doc)."""

    def __init__(
        self,
        reference_X: pd.DataFrame,
        reference_y: Any,
        *,
        holdout: tuple[pd.DataFrame, Any],
        trusted_model: Any = None,
        thresholds: GuardThresholds | None = None,
        window: GuardWindow | int | None = None,
        alert_actions: Sequence[ActionSpec] | None = None,
        task: str | None = None,
    ) -> None:
        self.thresholds = thresholds or GuardThresholds()
        if isinstance(window, int):
            window = GuardWindow(rows=window)
        self.window: GuardWindow = window or GuardWindow()
        self.alert_actions = list(alert_actions or [])
        if not isinstance(reference_X, pd.DataFrame) or reference_X.empty:
            raise InvalidInput("reference_X must be a non-empty pandas DataFrame")
        self.columns = [str(c) for c in reference_X.columns]
        reference_y = np.asarray(reference_y)
        if len(reference_y) != len(reference_X):
            raise InvalidInput(
                f"reference_y has {len(reference_y)} labels for {len(reference_X)} rows"
            )
        holdout_X, holdout_y = holdout
        self.holdout_X = holdout_X[self.columns] if isinstance(holdout_X, pd.DataFrame) else None
        feature_matrix(holdout_X, self.columns, "the holdout")
        self.holdout_y = np.asarray(holdout_y)
        if len(self.holdout_y) != len(holdout_X) or len(self.holdout_y) == 0:
            raise InvalidInput("the holdout needs as many labels as rows, and at least one row")
        if task not in (None, "classification", "regression"):
            raise InvalidInput(f"task must be classification or regression, got {task!r}")
        self.classification = (
            _is_classification(reference_y) if task is None else task == "classification"
        )
        t = self.thresholds
        matrix = feature_matrix(reference_X, self.columns, "the reference")
        self.outliers = OutlierCheck(t.outlier_expected, t.alpha, t.outlier_margin).fit(matrix)
        self.label_shift = LabelShiftCheck(self.classification, t.alpha).fit(reference_y)
        self.disagreement: DisagreementCheck | None = None
        self._recent: deque[tuple[int, str, int]] = deque()  # (received_ms, source, rows)
        if trusted_model is not None:
            self.checkpoint(trusted_model, copy_model=False)

    # -- the UpdateGuard protocol -------------------------------------------------------------

    def screen(self, batch: Batch, model: Any) -> Verdict:
        """Rate limit, outliers, label shift and disagreement, before ``model`` sees the batch."""
        X, y = self._validated(batch)
        if self.disagreement is None and _fitted(model):
            self.checkpoint(model)
        results = [self._rate(batch), self.outliers.check(feature_matrix(X, self.columns))]
        results.append(self.label_shift.check(y))
        if self.disagreement is not None:
            results.append(self.disagreement.check(X, y))
        return _verdict("screen", results)

    def check_candidate(self, batch: Batch, current: Any, candidate: Any) -> Verdict:
        """The canary: the candidate's holdout score against the current model's."""
        after = self.holdout_score(candidate)
        if not _fitted(current):
            scores = {"holdout_candidate": after}
            return Verdict(True, "canary", [], scores)
        before = self.holdout_score(current)
        if self.classification:
            drop, what = before - after, self.thresholds.metric
        else:
            drop, what = (after - before) / max(before, 1e-12), "RMSE (relative rise)"
        scores = {"holdout_current": before, "holdout_candidate": after, "holdout_drop": drop}
        if drop <= self.thresholds.max_holdout_drop:
            return Verdict(True, "canary", [], scores)
        reason = (
            f"canary: the update worsens the holdout {what} by {drop:.4f} "
            f"({before:.4f} -> {after:.4f}; allowed {self.thresholds.max_holdout_drop})"
        )
        return Verdict(False, "canary", [reason], scores)

    def accepted(self, batch: Batch) -> None:
        """Count the batch's rows in its source's window."""
        if batch.source is not None:
            self._recent.append((batch.received_ms, batch.source, len(batch.y)))
        self._trim(batch.received_ms)

    # -- helpers ------------------------------------------------------------------------------

    def checkpoint(self, model: Any, *, copy_model: bool = True) -> None:
        """Trust ``model`` (a copy of it) for the disagreement check from now on."""
        trusted = copy.deepcopy(model) if copy_model else model
        t = self.thresholds
        check = DisagreementCheck(self.classification, t.alpha, t.disagreement_margin)
        self.disagreement = check.fit(trusted, self.holdout_X, self.holdout_y)

    def holdout_score(self, model: Any) -> float:
        """Accuracy / macro F1 (classes) or RMSE (targets) of ``model`` on the holdout."""
        predicted = np.asarray(model.predict(self.holdout_X))
        if not self.classification:
            residual = self.holdout_y.astype(float) - predicted.astype(float)
            return float(np.sqrt(np.mean(residual**2)))
        if self.thresholds.metric == "accuracy":
            return float(np.mean(predicted == self.holdout_y))
        from sklearn.metrics import f1_score

        return float(f1_score(self.holdout_y, predicted, average="macro"))

    def _validated(self, batch: Batch) -> tuple[pd.DataFrame, np.ndarray]:
        if not isinstance(batch, Batch):
            raise InvalidInput(f"the guard screens Batch objects, got {type(batch).__name__}")
        feature_matrix(batch.X, self.columns, f"batch {batch.index}")
        y = np.asarray(batch.y)
        if len(y) != len(batch.X) or len(y) == 0:
            raise InvalidInput(
                f"batch {batch.index} has {len(y)} labels for {len(batch.X)} rows: "
                "send one label per row, at least one row"
            )
        return batch.X[self.columns], y

    def _trim(self, now_ms: int) -> None:
        if self.window.ms is not None:
            while self._recent and self._recent[0][0] <= now_ms - self.window.ms:
                self._recent.popleft()
        else:
            while self._recent and (
                sum(r for _, _, r in self._recent) - self._recent[0][2] >= self.window.rows
            ):
                self._recent.popleft()

    def _rate(self, batch: Batch) -> CheckResult:
        if batch.source is None:
            return CheckResult("rate", True, {})
        self._trim(batch.received_ms)
        rows = len(batch.y)
        total = sum(r for _, _, r in self._recent) + rows
        mine = sum(r for _, s, r in self._recent if s == batch.source) + rows
        share = mine / max(total, self.window.rows)
        scores = {"source_share": share}
        if share <= self.thresholds.max_source_share:
            return CheckResult("rate", True, scores)
        reason = (
            f"rate: source {batch.source!r} would hold {share:.1%} of the window's rows "
            f"(limit {self.thresholds.max_source_share:.0%})"
        )
        return CheckResult("rate", False, scores, reason)


def _fitted(model: Any) -> bool:
    if model is None:
        return False
    try:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(model)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _verdict(stage: str, results: list[CheckResult]) -> Verdict:
    scores: dict[str, float] = {}
    for result in results:
        scores.update(result.scores)
    reasons = [r.reason for r in results if not r.passed]
    return Verdict(not reasons, stage, reasons, scores)


def guard_from_config(mapping: Mapping[str, Any], *, trusted_model: Any = None) -> PoisoningGuard:
    """A guard from a config mapping (``online.guard`` in a project, or a YAML file)::

    reference: data/reference.parquet   # features + the target column (CSV or Parquet)
    holdout: data/holdout.parquet
    target: label
    task: classification                # optional (guessed from the target)
    thresholds: {alpha: 0.001, max_source_share: 0.25, max_holdout_drop: 0.01}
    window: {rows: 5000}                # or {ms: 3600000, rows: 1000}
    alerts: [{webhook: https://hooks.example/guard}]
    """
    from cairn.monitoring.spec_fields import FieldReader, _action

    r = FieldReader("online guard config")
    known = ("reference", "holdout", "target", "task", "thresholds", "window", "alerts")
    data = r.keys(mapping, "", known)
    for key in ("reference", "holdout", "target"):
        if key not in data:
            raise r.fail(key, "is required (reference and holdout files, and the target column)")
    target = r.text(data["target"], "target")
    reference = _read_table(r.text(data["reference"], "reference"), "reference")
    holdout = _read_table(r.text(data["holdout"], "holdout"), "holdout")
    for name, table in (("reference", reference), ("holdout", holdout)):
        if target not in table.columns:
            raise r.fail(name, f"has no target column {target!r} (columns: {list(table.columns)})")
    names = tuple(f.name for f in fields(GuardThresholds))
    thresholds = replace(
        GuardThresholds(), **r.keys(data.get("thresholds") or {}, "thresholds", names)
    )
    window_data = r.keys(data.get("window") or {}, "window", ("rows", "ms"))
    window = GuardWindow(**window_data)
    alerts = data.get("alerts") or []
    if not isinstance(alerts, list):
        raise r.fail("alerts", f"must be a list of actions, got {alerts!r}")
    actions = [_action(r, a, f"alerts[{i}]") for i, a in enumerate(alerts)]
    return PoisoningGuard(
        reference.drop(columns=[target]),
        reference[target].to_numpy(),
        holdout=(holdout.drop(columns=[target]), holdout[target].to_numpy()),
        trusted_model=trusted_model,
        thresholds=thresholds,
        window=window,
        alert_actions=actions,
        task=data.get("task"),
    )


def _read_table(path: str, what: str) -> pd.DataFrame:
    from pathlib import Path

    found = Path(path)
    if not found.is_file():
        raise InvalidInput(f"the guard's {what} file {path} does not exist")
    if found.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(found)
    if found.suffix.lower() == ".csv":
        return pd.read_csv(found)
    raise InvalidInput(f"the guard's {what} file must be .csv or .parquet, got {path}")
