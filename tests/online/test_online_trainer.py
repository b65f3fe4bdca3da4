"""OnlineTrainer on an iterator: prequential metrics per batch, checkpoints every N accepted
batches into the registry, the alias moved, rollback to the exact earlier model, malformed
batches refused without a trace, and the guard's flow."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from online_streams import FEATURES, EveryThirdGuard, stream
from sklearn.linear_model import SGDClassifier, SGDRegressor

from cairn.errors import InvalidInput
from cairn.online import MalformedBatch, OnlineTrainer


def _trainer(**kwargs):
    options = {"model_name": "churn-online", "classes": [0, 1], "checkpoint_every": 3}
    options.update(kwargs)
    return OnlineTrainer(SGDClassifier(random_state=0), **options)


def _steps(client, run_id, key):
    return [(m.step, m.value) for m in client.get_metric_history(run_id, key)]


def test_a_stream_logs_metrics_per_batch_and_checkpoints_every_n(client):
    holdout = stream(99, 1, n=200)[0]
    trainer = _trainer(holdout=holdout)
    summary = trainer.run(iter(stream(1, 7)))

    assert (summary.batches, summary.accepted, summary.rejected) == (7, 7, 0)
    assert summary.rows == 7 * 40
    assert summary.checkpoints == [1, 2, 3]  # after batches 3 and 6, and the last one at the end
    assert summary.live_version == 3
    run_id = summary.run_id
    assert client.get_run(run_id).info.status == "FINISHED"
    assert [s for s, _ in _steps(client, run_id, "rows")] == list(range(7))
    # prequential: a batch is scored before the model learns it, so the first one is not
    accuracy = _steps(client, run_id, "accuracy")
    assert [s for s, _ in accuracy] == list(range(1, 7))
    assert all(0.0 <= v <= 1.0 for _, v in accuracy)
    assert [s for s, _ in _steps(client, run_id, "f1")] == list(range(1, 7))
    holdout_accuracy = _steps(client, run_id, "holdout_accuracy")
    assert len(holdout_accuracy) == 7 and holdout_accuracy[-1][1] > 0.85
    assert _steps(client, run_id, "accepted")[-1] == (6, 7.0)
    assert _steps(client, run_id, "rejected")[-1] == (6, 0.0)

    registry = client.store.registry
    versions = [registry.get_model_version("churn-online", v) for v in (1, 2, 3)]
    assert [v.tags["cairn.online.batches"] for v in versions] == ["3", "6", "7"]
    assert [v.tags["cairn.online.rows"] for v in versions] == ["120", "240", "280"]
    assert {v.tags["cairn.online.run_id"] for v in versions} == {run_id}
    assert all(v.run_id == run_id for v in versions)
    assert registry.get_model_version_by_alias("churn-online", "online").version == 3


def test_rollback_restores_the_exact_earlier_predictions(client):
    batches = stream(2, 9)
    probe = stream(3, 1, n=100)[0][0]
    trainer = _trainer(checkpoint_every=3)
    snapshots = {}
    for X, y in batches:
        result = trainer.update(X, y)
        if result.checkpoint_version is not None:
            snapshots[result.checkpoint_version] = copy.deepcopy(trainer.model)
    assert sorted(snapshots) == [1, 2, 3]
    latest = trainer.model.decision_function(probe)
    assert not np.array_equal(latest, snapshots[1].decision_function(probe))

    model = trainer.rollback(1)

    assert model is trainer.model
    np.testing.assert_array_equal(
        model.decision_function(probe), snapshots[1].decision_function(probe)
    )
    registry = client.store.registry
    assert registry.get_model_version_by_alias("churn-online", "online").version == 1
    assert trainer.live_version == 1
    assert trainer.accepted_batches == 3  # the counters of the checkpoint
    # learning goes on from the restored model; the next checkpoint is a new version
    for X, y in stream(4, 3):
        trainer.update(X, y)
    assert trainer.checkpoint() == 4
    trainer.close()
    # rolling back to a later checkpoint works too
    trainer.rollback(3)
    np.testing.assert_array_equal(trainer.model.decision_function(probe), latest)
    with pytest.raises(Exception, match="version 99"):
        trainer.rollback(99)
    assert registry.get_model_version_by_alias("churn-online", "online").version == 3


def test_rollback_refuses_a_version_no_trainer_wrote(client):
    import cairn.sklearn

    X, y = stream(5, 1)[0]
    with cairn.start_run():
        cairn.sklearn.log_model(
            SGDClassifier().fit(X, y), name="model", registered_model_name="churn-online"
        )
    trainer = _trainer()
    with pytest.raises(InvalidInput, match="not an online checkpoint"):
        trainer.rollback(1)
    registry = client.store.registry
    assert registry.get_registered_model("churn-online").aliases == {}


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (pd.DataFrame({"a": [1.0], "b": [2.0]}), [1], "missing c"),
        (pd.DataFrame({"a": [1.0], "b": [2.0], "c": [0.0], "d": [1.0]}), [1], "unexpected d"),
        (pd.DataFrame({"a": [1.0], "b": [2.0], "c": [0.0]}), None, "no labels"),
        (pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0], "c": [0.0, 1.0]}), [1], "2 rows but 1"),
        (pd.DataFrame({"a": [1.0], "b": [2.0], "c": [0.0]}), [7], "not among the classes"),
        (pd.DataFrame({"a": [1.0], "b": [2.0], "c": [0.0]}), [np.nan], "missing"),
        (pd.DataFrame(columns=FEATURES), [], "no rows"),
        (pd.DataFrame({"a": ["x"], "b": [2.0], "c": [0.0]}), [1], "cannot score"),
    ],
)
def test_a_malformed_batch_raises_and_changes_nothing(client, X, y, message):
    trainer = _trainer(checkpoint_every=1)
    first = stream(6, 1)[0]
    trainer.update(*first)
    probe = first[0]
    before = trainer.model.decision_function(probe)
    run_id = trainer.run_id
    rows_logged = len(client.get_metric_history(run_id, "rows"))

    with pytest.raises(MalformedBatch, match=message):
        trainer.update(X, y)

    np.testing.assert_array_equal(trainer.model.decision_function(probe), before)
    assert (trainer.batches, trainer.accepted_batches, trainer.rejected_batches) == (1, 1, 0)
    assert len(client.get_metric_history(run_id, "rows")) == rows_logged
    assert len(client.store.registry.search_model_versions("name = 'churn-online'").items) == 1


def test_the_guard_sees_every_batch_and_rejected_ones_do_not_change_the_model(client, tmp_path):
    guard = EveryThirdGuard()
    trainer = _trainer(guard=guard, checkpoint_every=2, quarantine_dir=tmp_path / "quarantine")
    probe = stream(7, 1, n=50)[0][0]
    results = []
    for X, y in stream(8, 9):
        before = copy.deepcopy(trainer.model)
        result = trainer.update(X, y, source="api")
        results.append(result)
        if not result.accepted:
            np.testing.assert_array_equal(
                trainer.model.decision_function(probe), before.decision_function(probe)
            )
    run_id = trainer.run_id
    trainer.close()

    assert [r.accepted for r in results] == [True, True, False] * 3
    assert [r.verdict.stage for r in results if not r.accepted] == ["screen", "canary", "screen"]
    assert all(r.quarantine_id for r in results if not r.accepted)
    assert all(r.quarantine_id is None for r in results if r.accepted)
    assert results[2].to_dict()["verdict"] == {
        "accepted": False,
        "stage": "screen",
        "reasons": ["every third batch (screen)"],
    }
    assert guard.screened == list(range(9))
    assert guard.canaried == [0, 1, 3, 4, 5, 6, 7]  # batches rejected at the screen go no further
    assert guard.accepted_indexes == [0, 1, 3, 4, 6, 7]
    assert guard.candidates_distinct
    from cairn.online.quarantine import Quarantine

    kept = Quarantine(tmp_path / "quarantine").list("churn-online")
    assert sorted(q.id for q in kept) == sorted(r.quarantine_id for r in results if not r.accepted)
    assert sorted(q.record["batch_index"] for q in kept) == [2, 5, 8]
    assert all(q.record["audit_seq"] is not None and q.record["run_id"] == run_id for q in kept)
    assert (trainer.accepted_batches, trainer.rejected_batches) == (6, 3)
    history = client.get_metric_history(run_id, "rejected")
    assert [(m.step, m.value) for m in history][-1] == (8, 3.0)
    # 6 accepted batches with a checkpoint every 2: versions 1..3, tagged with the counts
    registry = client.store.registry
    assert registry.get_model_version("churn-online", 3).tags["cairn.online.batches"] == "6"


def test_regressors_log_mae_and_rmse(client):
    rng = np.random.default_rng(9)
    trainer = OnlineTrainer(SGDRegressor(random_state=0), model_name="price", checkpoint_every=5)
    batches = []
    for _ in range(4):
        X = pd.DataFrame(rng.normal(size=(30, 2)), columns=["x1", "x2"])
        batches.append((X, 3 * X["x1"].to_numpy() - X["x2"].to_numpy()))
    summary = trainer.run(batches)
    assert summary.checkpoints == [1]
    run = client.get_run(summary.run_id)
    assert {"mae", "rmse", "rows"} <= set(run.data.metrics)
    assert "accuracy" not in run.data.metrics


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"checkpoint_every": 0}, "checkpoint_every must be at least 1"),
        ({"checkpoint_every": 2.5}, "whole number"),
        ({"model_name": ""}, "name"),
        ({"guard": object()}, "lacks screen"),
        ({"holdout": ([1, 2],)}, "pair"),
        ({"experiment": " "}, "experiment"),
    ],
)
def test_bad_settings_are_refused(client, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        _trainer(**kwargs)


def test_a_model_without_partial_fit_is_refused(client):
    from sklearn.ensemble import RandomForestClassifier

    with pytest.raises(InvalidInput, match="no partial_fit"):
        OnlineTrainer(RandomForestClassifier(), model_name="forest")


def test_a_stream_of_the_wrong_shape_is_refused(client):
    trainer = _trainer()
    with pytest.raises(InvalidInput, match="expected a tuple"):
        trainer.run([stream(1, 1)[0][0]])
    with pytest.raises(InvalidInput, match="FolderSource"):
        trainer.run("some/folder")


def test_nothing_to_checkpoint_before_the_first_batch(client):
    from cairn.errors import InvalidState

    trainer = _trainer()
    with pytest.raises(InvalidState, match="not learned from any batch"):
        trainer.checkpoint()
    trainer.close()  # nothing learned: no run, no version
    assert client.store.registry.search_registered_models().items == []
