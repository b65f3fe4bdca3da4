"""Each statistic of the poisoning guard rejects its attack and passes clean batches (seeded)."""

from __future__ import annotations

import numpy as np
import pytest
from guard_support import (
    clean_batches,
    guard_for,
    regression_task,
    task,
    with_features,
    with_labels,
)

from cairn.errors import InvalidInput
from cairn.online.guard import GuardThresholds, PoisoningGuard, guard_from_config
from cairn.online.guard_api import Batch, UpdateGuard


@pytest.fixture(scope="module")
def data() -> dict:
    return task(seed=3)


def test_clean_batches_pass_every_check(data: dict) -> None:
    guard = guard_for(data)
    assert isinstance(guard, UpdateGuard)
    verdicts = [guard.screen(b, data["model"]) for b in clean_batches(data)]
    assert len(verdicts) == 30
    assert all(v.accepted for v in verdicts), [v.reasons for v in verdicts if not v.accepted]
    scores = verdicts[0].scores
    for key in ("outlier_share", "outlier_p", "label_shift_g", "label_shift_p",
                "disagreement_rate", "disagreement_baseline", "disagreement_p", "source_share"):  # fmt: skip
        assert key in scores
    assert all(v.stage == "screen" and v.reasons == [] for v in verdicts)


def test_feature_outliers_are_rejected(data: dict) -> None:
    guard = guard_for(data)
    batch = clean_batches(data)[0]
    X = batch.X.copy()
    X.iloc[:40] = X.iloc[:40] + 6.0  # 20% of rows moved far outside the reference
    verdict = guard.screen(with_features(batch, X), data["model"])
    assert not verdict.accepted
    assert any(r.startswith("outliers:") for r in verdict.reasons)
    assert verdict.scores["outlier_share"] >= 0.2
    assert verdict.scores["outlier_p"] < 1e-3
    # 3 rows out of 200 (1.5%) is what clean data shows: no rejection
    X = batch.X.copy()
    X.iloc[:3] = X.iloc[:3] + 6.0
    assert guard.screen(with_features(batch, X), data["model"]).accepted


def test_label_shift_towards_one_class_is_rejected(data: dict) -> None:
    guard = guard_for(data, trusted_model=None)  # no trusted model: only label statistics
    batch = clean_batches(data)[1]
    y = batch.y.copy()
    y[: len(y) // 3] = 2  # a third of the labels flipped to class 2
    verdict = guard.screen(with_labels(batch, y), None)
    assert not verdict.accepted
    assert [r.split(":")[0] for r in verdict.reasons] == ["label_shift"]
    assert "class 2" in verdict.reasons[0]
    assert verdict.scores["label_shift_p"] < 1e-3
    unknown = guard.screen(with_labels(batch, np.where(y == 0, 7, y)), None)
    assert not unknown.accepted and "never occur in the reference" in unknown.reasons[0]


def test_balanced_label_flips_are_caught_by_disagreement(data: dict) -> None:
    guard = guard_for(data)
    batch = clean_batches(data)[2]
    rng = np.random.default_rng(0)
    y = batch.y.copy()
    flip = rng.random(len(y)) < 0.3
    y[flip] = (y[flip] + 1) % 3  # a cyclic flip keeps the label histogram about the same
    verdict = guard.screen(with_labels(batch, y), data["model"])
    assert not verdict.accepted
    assert "disagreement" in [r.split(":")[0] for r in verdict.reasons]
    assert verdict.scores["disagreement_rate"] > verdict.scores["disagreement_baseline"] + 0.2


def test_trusted_model_defaults_to_the_first_screened_model(data: dict) -> None:
    guard = guard_for(data, trusted_model=None)
    assert guard.disagreement is None
    guard.screen(clean_batches(data)[0], data["model"])
    assert guard.disagreement is not None
    assert guard.disagreement.model_ is not data["model"]  # a copy, kept as it was


def test_rate_limit_per_source_in_a_row_window(data: dict) -> None:
    guard = guard_for(data, window=1000, thresholds=GuardThresholds(max_source_share=0.3))
    batches = clean_batches(data, size=100)
    verdicts = []
    for b in batches[:6]:
        b = Batch(b.X, b.y, "flood", b.index, b.received_ms)
        verdict = guard.screen(b, data["model"])
        verdicts.append(verdict)
        if verdict.accepted:
            guard.accepted(b)
    # 300 rows of 1000 allowed: the fourth batch of 100 from one source is over the limit
    assert [v.accepted for v in verdicts] == [True, True, True, False, False, False]
    assert verdicts[3].reasons[0].startswith("rate: source 'flood'")
    assert verdicts[3].scores["source_share"] == pytest.approx(0.4)
    # other sources fill the window; the oldest flood rows slide out and it may send again
    for b in batches[6:16]:
        assert guard.screen(b, data["model"]).accepted
        guard.accepted(b)
    again = Batch(batches[16].X, batches[16].y, "flood", 16, batches[16].received_ms)
    assert guard.screen(again, data["model"]).accepted


def test_rate_limit_in_a_time_window(data: dict) -> None:
    from cairn.online.guard import GuardWindow

    guard = guard_for(data, window=GuardWindow(rows=400, ms=60_000))
    b = clean_batches(data, size=100)[0]
    first = Batch(b.X, b.y, "s", 0, 1_000)
    assert guard.screen(first, data["model"]).accepted
    guard.accepted(first)
    second = Batch(b.X, b.y, "s", 1, 2_000)
    assert not guard.screen(second, data["model"]).accepted  # 200 of at least 400 rows
    later = Batch(b.X, b.y, "s", 2, 62_000)  # the first batch left the minute
    assert guard.screen(later, data["model"]).accepted


def test_regression_target_shift_and_residual_outliers() -> None:
    data = regression_task(seed=1)
    guard = guard_for(data)
    assert not guard.classification
    batches = clean_batches(data)
    assert all(guard.screen(b, data["model"]).accepted for b in batches)
    shifted = with_labels(batches[0], batches[0].y + 80.0)
    verdict = guard.screen(shifted, data["model"])
    assert not verdict.accepted
    assert {r.split(":")[0] for r in verdict.reasons} >= {"label_shift", "disagreement"}
    # a few targets wildly wrong but the histogram about the same: residual outliers
    y = batches[1].y.copy()
    rng = np.random.default_rng(1)
    idx = rng.choice(len(y), 40, replace=False)
    y[idx] = -y[idx]
    verdict = guard.screen(with_labels(batches[1], y), data["model"])
    assert not verdict.accepted
    assert "disagreement" in [r.split(":")[0] for r in verdict.reasons]


def test_bad_input_is_refused_with_a_clear_message(data: dict) -> None:
    guard = guard_for(data)
    batch = clean_batches(data)[0]
    with pytest.raises(InvalidInput, match=r"lacks the reference's columns \['f3'\]"):
        guard.screen(with_features(batch, batch.X.drop(columns=["f3"])), data["model"])
    with pytest.raises(InvalidInput, match="has 10 labels for 200 rows"):
        guard.screen(with_labels(batch, batch.y[:10]), data["model"])
    text = batch.X.astype(object)
    text.iloc[0, 0] = "abc"
    with pytest.raises(InvalidInput, match="non-numeric"):
        guard.screen(with_features(batch, text), data["model"])
    with pytest.raises(InvalidInput, match="max_source_share must be in"):
        GuardThresholds(max_source_share=1.5)
    with pytest.raises(InvalidInput, match="reference_y has 5 labels"):
        PoisoningGuard(data["reference"][0], data["reference"][1][:5], holdout=data["holdout"])
    # the guard's window is unchanged by the refused batches
    assert guard.screen(batch, data["model"]).accepted


def test_guard_from_config(tmp_path, data: dict) -> None:
    reference = data["reference"][0].assign(label=data["reference"][1])
    holdout = data["holdout"][0].assign(label=data["holdout"][1])
    reference.to_parquet(tmp_path / "reference.parquet")
    holdout.to_csv(tmp_path / "holdout.csv", index=False)
    config = {
        "reference": str(tmp_path / "reference.parquet"),
        "holdout": str(tmp_path / "holdout.csv"),
        "target": "label",
        "thresholds": {"alpha": 0.0001, "max_source_share": 0.5},
        "window": {"rows": 2000},
        "alerts": [{"webhook": "http://127.0.0.1:9/hook"}],
    }
    guard = guard_from_config(config, trusted_model=data["model"])
    assert guard.thresholds.alpha == 0.0001 and guard.window.rows == 2000
    assert guard.alert_actions[0].kind == "webhook"
    assert guard.columns == [f"f{i}" for i in range(8)]
    assert guard.screen(clean_batches(data)[0], data["model"]).accepted
    with pytest.raises(InvalidInput, match="thresholds.alhpa is not a known key"):
        guard_from_config({**config, "thresholds": {"alhpa": 0.1}})
    with pytest.raises(InvalidInput, match="has no target column 'y'"):
        guard_from_config({**config, "target": "y"})
    with pytest.raises(InvalidInput, match="does not exist"):
        guard_from_config({**config, "holdout": str(tmp_path / "missing.csv")})
