"""``cairn.testing.ml.assert_metric``: passes quietly, fails with the numbers."""

from __future__ import annotations

import pytest
from gates_support import log_run

from cairn.errors import InvalidInput
from cairn.testing.ml import assert_metric


def test_plain_values():
    assert assert_metric(0.93, "accuracy", ">", 0.9) == 0.93
    with pytest.raises(
        AssertionError, match=r"^accuracy = 0.85, expected >= 0.9 \(difference -0.05\)$"
    ):
        assert_metric(0.85, "accuracy", ">=", 0.9)
    with pytest.raises(AssertionError, match="is NaN"):
        assert_metric(float("nan"), "loss", "<", 1)
    with pytest.raises(InvalidInput, match="op must be one of"):
        assert_metric(1.0, "x", "=>", 1)


def test_runs_and_run_ids(client):
    run_id = log_run({"f1/valid": 0.78})
    run = client.get_run(run_id)
    assert assert_metric(run, "f1/valid", "<", 0.8) == 0.78
    with pytest.raises(AssertionError, match=rf"f1/valid of run {run_id} = 0.78, expected >= 0.8"):
        assert_metric(run_id, "f1/valid", ">=", 0.8)
    with pytest.raises(AssertionError, match=r"has no metric f1 \(it has: f1/valid\)"):
        assert_metric(run, "f1", ">=", 0.8)
