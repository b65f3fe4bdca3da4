"""Gates judged on real runs in a SQLite store: thresholds per slice, the champion, seeds."""

from __future__ import annotations

import pytest
from gates_support import log_run

import cairn
from cairn.errors import NotFound
from cairn.gates import evaluate, parse_gates


def _gates(*rules):
    return parse_gates({"rules": list(rules)})


def test_thresholds_on_each_slice(client):
    run_id = log_run({"f1/valid": 0.85, "f1/test": 0.79, "f1/segment/new_customers": 0.81})
    rule = {
        "metric": "f1",
        "op": ">=",
        "value": 0.80,
        "on": ["valid", "test", "segment=new_customers"],
    }
    report = evaluate(run_id, _gates(rule), client.store)
    verdicts = {r.slice: (r.verdict, r.value, r.threshold) for r in report.results}
    assert verdicts == {
        "valid": ("pass", 0.85, 0.80),
        "test": ("fail", 0.79, 0.80),
        "segment=new_customers": ("pass", 0.81, 0.80),
    }
    assert not report.passed
    assert report.to_dict()["failed"] == 1


def test_plain_expression_and_missing_metric(client):
    run_id = log_run({"f1": 0.9, "loss": 0.2})
    report = evaluate(run_id, _gates("metrics.f1 >= 0.8", "metrics.f1_test >= 0.8"), client.store)
    ok, missing = report.results
    assert ok.passed and ok.message == "f1 = 0.9 meets >= 0.8"
    assert missing.verdict == "fail"
    assert missing.message == f"run {run_id} has no metric f1_test (it has: f1, loss)"


def test_unknown_run_is_not_found(client):
    with pytest.raises(NotFound):
        evaluate("0" * 32, _gates("metrics.f1 >= 0.8"), client.store)


def test_not_worse_than_the_champion(client, champion):
    rule = "metrics.f1/valid not worse than models:/churn@champion by more than 1%"
    close = log_run({"f1/valid": 0.793})  # 0.80 - 1% = 0.792
    worse = log_run({"f1/valid": 0.79})
    (result,) = evaluate(close, _gates(rule), client.store).results
    assert result.passed
    assert (result.value, result.champion_value) == (0.793, 0.80)
    assert result.threshold == pytest.approx(0.792)
    (result,) = evaluate(worse, _gates(rule), client.store).results
    assert result.verdict == "fail" and "champion models:/churn@champion" in result.message


def test_champion_with_a_loss_and_slices(client, champion):
    loss_rule = {
        "metric": "loss",
        "champion": "models:/churn@champion",
        "tolerance": 0.05,
        "lower_is_better": True,
    }
    slices = {"metric": "f1", "champion": "models:/churn/1", "on": ["valid", "test"]}
    run_id = log_run({"loss": 0.34, "f1/valid": 0.81})
    loss, valid, test = evaluate(run_id, _gates(loss_rule, slices), client.store).results
    assert loss.passed and loss.threshold == pytest.approx(0.35) and loss.op == "<="
    assert valid.passed and valid.champion_value == 0.80
    assert test.verdict == "fail" and f"run {run_id} has no metric f1/test" in test.message


def test_champion_alias_not_set_passes_with_a_note(client, champion):
    run_id = log_run({"f1": 0.1})
    (result,) = evaluate(
        run_id, _gates("metrics.f1 not worse than models:/churn@challenger"), client.store
    ).results
    assert result.passed and "is not set" in result.message


def test_unknown_champion_model_is_not_found(client):
    run_id = log_run({"f1": 0.9})
    with pytest.raises(NotFound):
        evaluate(run_id, _gates("metrics.f1 not worse than models:/nope@champion"), client.store)


def test_stability_over_seeded_children(client, seeded_parent):
    stable = "std(metrics.f1) over 5 seeds <= 0.01"
    (result,) = evaluate(seeded_parent, _gates(stable), client.store).results
    assert result.passed and result.n == 5
    assert result.std == pytest.approx(0.0057009, rel=1e-4)
    (strict,) = evaluate(
        seeded_parent, _gates("std(metrics.f1) over 5 seeds <= 0.001"), client.store
    ).results
    assert strict.verdict == "fail" and strict.std == result.std
    (too_few,) = evaluate(
        seeded_parent, _gates("std(metrics.f1) over 8 seeds <= 0.01"), client.store
    ).results
    assert too_few.verdict == "fail" and too_few.n == 5
    assert "5 distinct seeds, the rule needs 8" in too_few.message


def test_stability_counts_distinct_seeds_and_skips_unseeded(client):
    with cairn.start_run() as parent:
        for seed in (1, 1, 2):
            with cairn.start_run(nested=True):
                cairn.seed_everything(seed)
                cairn.log_metric("f1", 0.8)
        with cairn.start_run(nested=True):
            cairn.log_metric("f1", 0.1)
    (result,) = evaluate(
        parent.info.run_id, _gates("std(metrics.f1) over 3 seeds <= 0.01"), client.store
    ).results
    assert result.verdict == "fail" and result.n == 2
    assert "skipped 1 without a seed tag" in result.message


def test_stability_over_a_gate_group(client):
    ids = []
    for seed, f1 in enumerate([0.7, 0.9, 0.8]):
        with cairn.start_run(tags={"cairn.gate.group": "sweep-1"}) as run:
            cairn.seed_everything(seed)
            cairn.log_metric("f1", f1)
        ids.append(run.info.run_id)
    (result,) = evaluate(
        ids[0], _gates("std(metrics.f1) over 3 seeds <= 0.05"), client.store
    ).results
    assert result.verdict == "fail" and result.n == 3
    assert result.std == pytest.approx(0.1)
