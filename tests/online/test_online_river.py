"""River models learn through the same trainer: learn_many behind partial_fit, checkpoints as
skops files that load back (River's types are trusted only inside cairn's adapter)."""

from __future__ import annotations

import numpy as np
import pytest
from online_streams import stream

from cairn.online import OnlineTrainer, RiverModel

river = pytest.importorskip("river")


def _river_classifier():
    from river import linear_model, preprocessing

    return preprocessing.StandardScaler() | linear_model.LogisticRegression()


def test_a_river_model_learns_checkpoints_and_rolls_back(client):
    trainer = OnlineTrainer(
        _river_classifier(), model_name="river-online", classes=[0, 1], checkpoint_every=2
    )
    assert isinstance(trainer.model, RiverModel)
    probe = stream(31, 1, n=100)[0]
    results = [trainer.update(X, y) for X, y in stream(32, 4)]
    assert [r.checkpoint_version for r in results] == [None, 1, None, 2]
    assert "accuracy" in results[1].metrics and "accuracy" not in results[0].metrics
    assert trainer.model.predict(probe[0]).mean() > 0  # it predicts both classes' labels
    accuracy = float(np.mean(trainer.model.predict(probe[0]) == probe[1]))
    assert accuracy > 0.8
    before = trainer.model.predict(probe[0])
    trainer.update(*stream(33, 1)[0])
    trainer.close()

    trainer.rollback(2)
    np.testing.assert_array_equal(trainer.model.predict(probe[0]), before)
    assert client.store.registry.get_model_version_by_alias("river-online", "online").version == 2


def test_a_river_model_learns_from_a_single_row_learner(client):
    from river import tree

    trainer = OnlineTrainer(
        tree.HoeffdingTreeClassifier(), model_name="river-tree", classes=[0, 1], checkpoint_every=3
    )
    summary = trainer.run(stream(34, 3))
    assert summary.checkpoints == [1]
    assert summary.rows == 120
