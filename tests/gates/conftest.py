"""Runs and a registered champion for the gate tests, on the project's real SQLite store."""

from __future__ import annotations

import pytest

import cairn


@pytest.fixture
def champion(client) -> str:
    """``churn`` version 1 (alias ``champion``): a real sklearn model whose run has f1/valid
    0.80 and loss 0.30; returns that run's id."""
    from sklearn.dummy import DummyClassifier

    model = DummyClassifier(strategy="most_frequent").fit([[0], [1], [1]], [0, 1, 1])
    with cairn.start_run() as run:
        cairn.log_metrics({"f1/valid": 0.80, "f1/test": 0.78, "loss": 0.30})
        cairn.sklearn.log_model(model, name="model", registered_model_name="churn")
    client.store.registry.set_alias("churn", "champion", 1)
    return run.info.run_id


@pytest.fixture
def seeded_parent(project) -> str:
    """A parent run with five seeded child runs whose f1 varies by about 0.005."""
    with cairn.start_run() as parent:
        for seed, f1 in zip(range(5), [0.80, 0.805, 0.81, 0.80, 0.795], strict=True):
            with cairn.start_run(nested=True):
                cairn.seed_everything(seed)
                cairn.log_metric("f1", f1)
    return parent.info.run_id
