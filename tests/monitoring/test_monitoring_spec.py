"""Monitor specs: the YAML form, the stored form read back, and one clear error per field."""

from __future__ import annotations

import json

import pytest

from cairn.errors import InvalidInput, NotFound
from cairn.monitoring.spec import ActionSpec, ColumnSpec, ReferenceSpec, WindowSpec
from cairn.monitoring.spec_parse import load_spec_file, parse_duration, parse_spec

FULL = """\
name: churn-monitor
model: churn
version: champion
task: classification
description: churn in production
features: {age: numeric, plan: categorical}
prediction: prediction
target: churned
probabilities: {"1": proba_1}
reference: {path: data/train.parquet}
window: {time: 1d}
segments: [region]
drift: {method: auto, threshold: null, columns: {age: {method: psi, threshold: 0.2}}}
rules:
  - name: f1-decay
    when: f1 < 0.8 for 2 windows
    actions:
      - {webhook: "http://127.0.0.1:9000/hook", timeout: 5}
      - {command: "echo retrain", cwd: jobs}
      - {pipeline: ., stages: [train], experiment: retraining, wait: true}
"""

BASE = {"name": "m", "model": "churn", "task": "regression"}


def test_the_full_yaml_form(tmp_path):
    path = tmp_path / "monitor.yaml"
    path.write_text(FULL)
    spec = load_spec_file(path)
    assert spec.name == "churn-monitor" and spec.model_ref == "champion"
    assert spec.features == (ColumnSpec("age", "numeric"), ColumnSpec("plan", "categorical"))
    assert spec.target == "churned" and spec.probabilities == {"1": "proba_1"}
    assert spec.reference == ReferenceSpec(path="data/train.parquet")
    assert spec.window == WindowSpec("time", 86_400_000)
    assert spec.segments == ("region",)
    assert spec.drift.columns == {"age": {"method": "psi", "threshold": 0.2}}
    rule = spec.rules[0]
    assert (rule.name, rule.expr) == ("f1-decay", "f1 < 0.8 for 2 windows")
    assert rule.actions == (
        ActionSpec("webhook", "http://127.0.0.1:9000/hook", {"timeout": 5}),
        ActionSpec("command", "echo retrain", {"cwd": "jobs"}),
        ActionSpec(
            "pipeline", ".", {"stages": ["train"], "experiment": "retraining", "wait": True}
        ),
    )
    # the stored JSON form parses back to the same spec
    assert parse_spec(json.loads(json.dumps(spec.to_dict()))) == spec


def test_defaults():
    spec = parse_spec({**BASE, "version": 3})
    assert spec.model_ref == "3" and spec.features == () and spec.rules == ()
    assert spec.window == WindowSpec("count", 1000)
    assert spec.reference == ReferenceSpec()
    assert (spec.prediction, spec.target) == ("prediction", "target")
    assert parse_spec({**BASE, "reference": "x.csv"}).reference.path == "x.csv"
    assert parse_spec({**BASE, "window": {"count": 50}}).window == WindowSpec("count", 50)
    assert parse_spec({**BASE, "rules": [{"when": "rmse > 2"}]}).rules[0].name == "rule-1"


@pytest.mark.parametrize(
    ("text", "ms"), [("15m", 900_000), ("1h", 3_600_000), ("2d", 172_800_000), ("30s", 30_000)]
)
def test_durations(text, ms):
    assert parse_duration(text) == ms


BAD = [
    ({"model": "c", "task": "regression"}, "name must be a non-empty string"),
    ({**BASE, "name": "a b"}, "name must be letters"),
    ({**BASE, "model": ""}, "model must be a non-empty string"),
    ({**BASE, "task": "ranking"}, "task must be classification or regression, got 'ranking'"),
    ({**BASE, "nmae": 1}, "nmae is not a known key"),
    ({**BASE, "version": 0}, "version must be a version number >= 1"),
    ({**BASE, "version": 2, "model_ref": "2"}, "version and model_ref"),
    ({**BASE, "features": {"age": "number"}}, "features.age must be numeric or categorical"),
    ({**BASE, "features": "age"}, "features must map column names"),
    ({**BASE, "features": [{"name": "a", "type": "numeric"}]}, "features[0].type is not a known"),
    ({**BASE, "prediction": 3}, "prediction must be a non-empty string"),
    ({**BASE, "target": ""}, "target must be a non-empty string"),
    ({**BASE, "probabilities": ["p"]}, "probabilities must map class labels"),
    ({**BASE, "probabilities": {"1": None}}, "probabilities.1 must be a non-empty string"),
    ({**BASE, "reference": {"path": "a", "dataset": "b"}}, "reference takes either path"),
    ({**BASE, "reference": {"digest": "ab"}}, "reference.digest needs reference.dataset"),
    ({**BASE, "reference": {"url": "x"}}, "reference.url is not a known key"),
    ({**BASE, "reference": 3}, "reference must be a mapping"),
    (
        {**BASE, "window": {"kind": "count", "size": -3}},
        "window.size must be a positive integer, got -3",
    ),
    ({**BASE, "window": {"time": "-3"}}, "window.time must be a positive integer or a duration"),
    ({**BASE, "window": {"time": "1y"}}, "or a duration like 1h, got '1y'"),
    ({**BASE, "window": {"count": 5, "time": "1h"}}, "window must be {count: N}"),
    ({**BASE, "window": {"kind": "rows", "size": 5}}, "window.kind must be count or time"),
    ({**BASE, "segments": "region"}, "segments must be a list of column names"),
    ({**BASE, "segments": ["a", "a"]}, "segments lists a column twice"),
    ({**BASE, "drift": {"method": "kss"}}, "drift.method must be one of auto, ks"),
    ({**BASE, "drift": {"threshold": -1}}, "drift.threshold must be a positive number"),
    ({**BASE, "drift": {"columns": {"a": {"p": 1}}}}, "drift.columns.a.p is not a known key"),
    ({**BASE, "rules": {"a": 1}}, "rules must be a list of rules"),
    ({**BASE, "rules": [{"name": "x"}]}, "rules[0].expr must be a non-empty string"),
    ({**BASE, "rules": [{"when": "rmse > 1", "if": 2}]}, "rules[0].if is not a known key"),
    (
        {**BASE, "rules": [{"when": "rmse > 1"}, {"name": "rule-1", "when": "mae > 1"}]},
        "rules names must be unique",
    ),
    (
        {**BASE, "rules": [{"when": "rmse > 1", "actions": [{"email": "a@b"}]}]},
        "rules[0].actions[0] must have exactly one of webhook, command, pipeline",
    ),
    (
        {**BASE, "rules": [{"when": "rmse > 1", "actions": [{"webhook": "ftp://x"}]}]},
        "rules[0].actions[0].webhook must be an http:// or https:// URL",
    ),
    (
        {**BASE, "rules": [{"when": "rmse > 1", "actions": [{"command": "x", "stages": []}]}]},
        "rules[0].actions[0].stages is not a known key",
    ),
    (
        {**BASE, "rules": [{"when": "rmse > 1", "actions": [{"command": "x", "timeout": 0}]}]},
        "rules[0].actions[0].timeout must be a positive number",
    ),
    (
        {**BASE, "rules": [{"when": "rmse > 1", "actions": "echo"}]},
        "rules[0].actions must be a list",
    ),
    (
        {**BASE, "rules": [{"when": "rmse > 1", "actions": [{"pipeline": ".", "wait": "yes"}]}]},
        "rules[0].actions[0].wait must be true or false, got 'yes'",
    ),
    (
        {**BASE, "rules": [{"when": "rmse > 1", "actions": [{"command": "x", "cwd": ""}]}]},
        "rules[0].actions[0].cwd must be a non-empty string",
    ),
    (
        {**BASE, "features": {"age": "numeric"}, "prediction": "age"},
        "prediction names column 'age', already used by features.age",
    ),
    (
        {**BASE, "features": {"age": "numeric"}, "drift": {"columns": {"agee": {}}}},
        "drift.columns.agee is not a monitored feature Did you mean 'age'?",
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD, ids=[m for _, m in BAD])
def test_each_bad_field_is_named(data, message):
    with pytest.raises(InvalidInput) as caught:
        parse_spec(data, source="monitor.yaml")
    assert caught.value.message.startswith("monitor.yaml: ")
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_rule_expressions_are_checked_by_the_rule_grammar():
    pytest.importorskip("cairn.monitoring.rules")
    with pytest.raises(InvalidInput, match=r"monitor\.yaml: rules\[0\]\.when: "):
        parse_spec({**BASE, "rules": [{"when": "f1 <<< banana"}]}, source="monitor.yaml")


def test_yaml_file_errors(tmp_path):
    with pytest.raises(NotFound):
        load_spec_file(tmp_path / "absent.yaml")
    broken = tmp_path / "monitor.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(InvalidInput, match="monitor.yaml: is not valid YAML"):
        load_spec_file(broken)
    broken.write_text("- a list\n")
    with pytest.raises(InvalidInput, match="monitor.yaml: must hold a mapping"):
        load_spec_file(broken)
    broken.write_text("name: m\nmodel: churn\ntask: regression\nwindow: {count: -3}\n")
    with pytest.raises(InvalidInput, match=r"^monitor.yaml: window.count must be a positive"):
        load_spec_file(broken)
