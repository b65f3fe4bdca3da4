"""Protected aliases on every backend (SQLite, PostgreSQL, MySQL and a live cairn server):
the model's gates refuse a failing version, --force with a reason moves it and the audit
trail says so, and bad input changes nothing."""

from __future__ import annotations

import pytest

from cairn.entities import Metric
from cairn.errors import GateFailed, InvalidInput, NotFound
from cairn.registry.protection import (
    GATES_TAG,
    alias_gate_failures,
    clear_gates,
    guarded_set_alias,
    protect_alias,
    protected_aliases,
    set_gates,
    unprotect_alias,
)

GATES = """rules:
  - "metrics.f1 >= 0.8"
  - "metrics.f1 not worse than models:/churn@champion by more than 5%"
"""


def _run(store, experiment_id: str, f1: float) -> str:
    run_id = store.runs.create_run(experiment_id, user_id="ann").info.run_id
    store.runs.log_batch(run_id, metrics=[Metric("f1", f1, 1_700_000_000_000, 0)])
    return run_id


@pytest.fixture
def churn(cairn_store):
    """churn v1 (f1 0.90), v2 (f1 0.70), v3 (f1 0.88), v4 (no run); gates set, champion
    protected and on v1."""
    store = cairn_store
    exp = store.experiments.create_experiment("train")
    reg = store.registry
    reg.create_registered_model("churn")
    for f1 in (0.90, 0.70, 0.88):
        reg.create_model_version("churn", "/m", run_id=_run(store, exp, f1))
    reg.create_model_version("churn", "/m")
    guarded_set_alias(store, "churn", "champion", 1)
    set_gates(store, "churn", GATES)
    assert protect_alias(store, "churn", "champion") == ["champion"]
    return store


def _alias_events(store):
    return [
        e.action
        for e in store.audit.list_events(entity="model_version:churn/2")
        if "alias" in e.action
    ]


def test_failing_version_is_refused_and_nothing_changes(churn):
    with pytest.raises(GateFailed) as caught:
        guarded_set_alias(churn, "churn", "champion", 2)
    message = caught.value.message
    assert "refused to move protected alias 'champion' of 'churn' to version 2" in message
    assert "rule 0 'metrics.f1 >= 0.8': f1 = 0.7 fails >= 0.8" in message
    assert "vs champion models:/churn@champion" in message and "= 0.9" in message
    assert churn.registry.get_registered_model("churn").aliases == {"champion": 1}
    assert _alias_events(churn) == []


def test_passing_version_moves_and_champion_is_the_current_version(churn):
    assert alias_gate_failures(churn, "churn", "champion", 3) == []  # 0.88 within 5% of 0.90
    assert guarded_set_alias(churn, "churn", "champion", 3).aliases == ["champion"]
    # champion is now v3 (0.88); an unprotected alias moves freely even to a failing version
    assert guarded_set_alias(churn, "churn", "challenger", 2).version == 2


def test_force_with_reason_moves_and_is_audited(churn):
    with pytest.raises(InvalidInput, match="needs a reason"):
        guarded_set_alias(churn, "churn", "champion", 2, force=True)
    assert churn.registry.get_registered_model("churn").aliases == {"champion": 1}
    moved = guarded_set_alias(churn, "churn", "champion", 2, force=True, reason="hotfix INC-7")
    assert moved.aliases == ["champion"]
    assert _alias_events(churn) == ["registered_model.force_alias"]
    if not churn.remote:
        full = [e for e in churn.audit.export_events() if e.action.endswith("force_alias")]
        assert '"forced":true' in full[0].payload and '"reason":"hotfix INC-7"' in full[0].payload
        assert "rule 0 'metrics.f1 >= 0.8'" in full[0].payload


def test_version_without_run_is_refused_unless_forced(churn):
    with pytest.raises(GateFailed, match="version 4 of 'churn' has no source run"):
        guarded_set_alias(churn, "churn", "champion", 4)
    assert guarded_set_alias(churn, "churn", "champion", 4, force=True, reason="x").version == 4


def test_unprotected_or_cleared_gates_move_freely(churn):
    assert unprotect_alias(churn, "churn", "champion") == []
    assert GATES_TAG in churn.registry.get_registered_model("churn").tags
    assert guarded_set_alias(churn, "churn", "champion", 2).version == 2
    protect_alias(churn, "churn", "champion")
    clear_gates(churn, "churn")
    assert guarded_set_alias(churn, "churn", "champion", 4).version == 4


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s: set_gates(s, "churn", "rules: [nonsense]"), InvalidInput, "rules\\[0\\]"),
        (lambda s: set_gates(s, "churn", "rules: ["), InvalidInput, "not valid YAML"),
        (lambda s: set_gates(s, "nope", GATES), NotFound, "nope"),
        (lambda s: protect_alias(s, "churn", "latest"), InvalidInput, "latest"),
        (lambda s: unprotect_alias(s, "churn", "other"), NotFound, "not protected"),
        (lambda s: guarded_set_alias(s, "churn", "champion", 9), NotFound, "9"),
        (
            lambda s: s.registry.set_alias("churn", "champion", 2, reason="r"),
            InvalidInput,
            "without force",
        ),
    ],
)
def test_bad_input_changes_nothing(churn, call, error, match):
    before = churn.registry.get_registered_model("churn")
    with pytest.raises(error, match=match):
        call(churn)
    after = churn.registry.get_registered_model("churn")
    assert (after.tags, after.aliases) == (before.tags, before.aliases)
    assert protected_aliases(after) == ["champion"]
