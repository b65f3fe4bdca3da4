"""The gates.yaml format: expressions, mappings, and a clear error for every bad field."""

from __future__ import annotations

import re

import pytest

from cairn.errors import InvalidInput
from cairn.gates import load_gates, parse_gates, slice_key


def test_expressions_and_mappings_parse():
    spec = parse_gates(
        {
            "rules": [
                "metrics.accuracy >= 0.9",
                {"metric": "f1", "op": ">=", "value": 0.8, "on": ["valid", "segment=new"]},
                "metrics.f1/valid not worse than models:/churn@champion by more than 1%",
                {
                    "metric": "loss",
                    "champion": "models:/churn/3",
                    "tolerance": 0.02,
                    "lower_is_better": True,
                },
                "std(metrics.f1) over 5 seeds <= 0.01",
                {"metric": "f1", "seeds": 3, "op": "<", "value": 0.02},
            ]
        }
    )
    kinds = [r.kind for r in spec.rules]
    assert kinds == ["threshold", "threshold", "champion", "champion", "seeds", "seeds"]
    assert spec.rules[0].metric == "accuracy" and spec.rules[0].value == 0.9
    assert spec.rules[1].targets() == [("valid", "f1/valid"), ("segment=new", "f1/segment/new")]
    rel = spec.rules[2]
    assert (rel.metric, rel.tolerance, rel.relative) == ("f1/valid", 0.01, True)
    assert rel.champion_ref() == ("churn", "champion", None)
    absolute = spec.rules[3]
    assert (absolute.tolerance, absolute.relative, absolute.lower_is_better) == (0.02, False, True)
    assert absolute.champion_ref() == ("churn", None, 3)
    assert (spec.rules[4].seeds, spec.rules[4].op, spec.rules[4].value) == (5, "<=", 0.01)
    assert spec.rules[5].text == "std(metrics.f1) over 3 seeds < 0.02"


def test_slice_key_convention():
    assert slice_key("f1", "test") == "f1/test"
    assert slice_key("f1", "segment=new_customers") == "f1/segment/new_customers"


@pytest.mark.parametrize(
    ("rules", "where"),
    [
        ([{"metric": "f1", "op": "=>", "value": 0.8}], "rules[0].op"),
        ([{"metric": "f1", "op": ">=", "value": "high"}], "rules[0].value"),
        (["metrics.f1 >= 0.8", {"op": ">=", "value": 1}], "rules[1].metric"),
        ([{"metric": "f1", "op": ">=", "value": 1, "on": []}], "rules[0].on"),
        ([{"metric": "f1", "op": ">=", "value": 1, "on": ["a=b=c"]}], "rules[0].on"),
        ([{"metric": "f1", "op": ">=", "value": 1, "treshold": 2}], "rules[0].treshold"),
        ([{"metric": "f1", "champion": "runs:/abc"}], "rules[0].champion"),
        ([{"metric": "f1", "champion": "models:/m@c", "tolerance": "-1%"}], "rules[0].tolerance"),
        ([{"metric": "f1", "seeds": 1, "op": "<=", "value": 0.1}], "rules[0].seeds"),
        (
            [{"metric": "f1", "op": ">=", "value": 1, "lower_is_better": "yes"}],
            "rules[0].lower_is_better",
        ),
        (["f1 is good"], "rules[0]"),
        ([42], "rules[0]"),
        ([], "rules"),
    ],
)
def test_bad_fields_name_file_and_field(rules, where):
    with pytest.raises(InvalidInput, match="^" + re.escape(f"gates.yaml: {where}")):
        parse_gates({"rules": rules})


def test_bad_top_level():
    with pytest.raises(InvalidInput, match="'rules' list"):
        parse_gates(["metrics.f1 >= 1"])
    with pytest.raises(InvalidInput, match="unknown top-level field 'rule'"):
        parse_gates({"rules": ["metrics.f1 >= 1"], "rule": 1})


def test_load_reports_missing_and_broken_files(tmp_path):
    with pytest.raises(InvalidInput, match="no such gates file"):
        load_gates(tmp_path / "gates.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [unclosed\n")
    with pytest.raises(InvalidInput, match="broken.yaml: not valid YAML"):
        load_gates(broken)
    good = tmp_path / "good.yaml"
    good.write_text('rules:\n  - metric: f1\n    op: ">="\n    value: 0.8\n    on: [valid]\n')
    spec = load_gates(good)
    assert spec.source == str(good) and spec.rules[0].on == ("valid",)
