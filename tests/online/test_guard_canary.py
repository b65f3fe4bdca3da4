"""The canary: an update that lowers the trusted holdout's score beyond the threshold is
rejected; small changes pass. Classifiers (accuracy, macro F1) and regressors (relative RMSE)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from guard_support import clean_batches, guard_for, regression_task, task, with_labels
from sklearn.linear_model import SGDClassifier, SGDRegressor

from cairn.online.guard import GuardThresholds


@pytest.fixture(scope="module")
def data() -> dict:
    return task(seed=5)


def _sgd(data: dict) -> SGDClassifier:
    model = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.002, random_state=0)
    for _ in range(5):
        model.partial_fit(*data["reference"], classes=[0, 1, 2])
    return model


def test_a_damaging_update_is_rejected(data: dict) -> None:
    guard = guard_for(data)
    current = _sgd(data)
    batch = clean_batches(data)[0]
    poisoned = with_labels(batch, np.full(len(batch.y), 1))
    candidate = copy.deepcopy(current).set_params(eta0=0.05)
    for _ in range(3):
        candidate.partial_fit(poisoned.X, poisoned.y)
    verdict = guard.check_candidate(poisoned, current, candidate)
    assert not verdict.accepted
    assert verdict.stage == "canary"
    assert verdict.reasons[0].startswith("canary: the update worsens the holdout accuracy by")
    drop = verdict.scores["holdout_current"] - verdict.scores["holdout_candidate"]
    assert verdict.scores["holdout_drop"] == pytest.approx(drop)
    assert drop > 0.1


def test_a_clean_update_passes(data: dict) -> None:
    guard = guard_for(data)
    current = _sgd(data)
    passed = 0
    for batch in clean_batches(data)[:10]:
        candidate = copy.deepcopy(current)
        candidate.partial_fit(batch.X, batch.y)
        verdict = guard.check_candidate(batch, current, candidate)
        passed += verdict.accepted
        assert verdict.scores["holdout_drop"] < 0.02
        current = candidate if verdict.accepted else current
    assert passed == 10


def test_threshold_and_metric_are_configurable(data: dict) -> None:
    current = _sgd(data)
    batch = clean_batches(data)[0]
    candidate = copy.deepcopy(current).set_params(eta0=0.05)
    candidate.partial_fit(batch.X, with_labels(batch, np.full(len(batch.y), 2)).y)
    strict = guard_for(data).check_candidate(batch, current, candidate)
    lenient = guard_for(data, thresholds=GuardThresholds(max_holdout_drop=0.9))
    assert not strict.accepted
    assert lenient.check_candidate(batch, current, candidate).accepted
    f1 = guard_for(data, thresholds=GuardThresholds(metric="f1"))
    found = f1.check_candidate(batch, current, candidate)
    assert not found.accepted and "holdout f1" in found.reasons[0]


def test_an_unfitted_current_model_accepts_the_first_update(data: dict) -> None:
    guard = guard_for(data)
    first = SGDClassifier(random_state=0)
    batch = clean_batches(data)[0]
    candidate = copy.deepcopy(first).partial_fit(batch.X, batch.y, classes=[0, 1, 2])
    verdict = guard.check_candidate(batch, first, candidate)
    assert verdict.accepted and "holdout_candidate" in verdict.scores


def test_regressor_canary_uses_relative_rmse() -> None:
    data = regression_task(seed=2)
    guard = guard_for(data, thresholds=GuardThresholds(max_holdout_drop=0.05))
    current = data["model"]
    batch = clean_batches(data)[0]
    candidate = copy.deepcopy(current)
    for _ in range(5):
        candidate.partial_fit(batch.X, batch.y * -1.0)
    verdict = guard.check_candidate(batch, current, candidate)
    assert not verdict.accepted
    assert "RMSE (relative rise)" in verdict.reasons[0]
    assert verdict.scores["holdout_candidate"] > verdict.scores["holdout_current"] * 1.05
    fine = copy.deepcopy(current)
    fine.partial_fit(batch.X, batch.y)
    assert guard.check_candidate(batch, current, fine).accepted
    assert isinstance(current, SGDRegressor)
