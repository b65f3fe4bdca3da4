"""``cairn gate RUN_ID``: the table, the JSON form and the exit codes (0 pass, 1 fail, 2 bad input)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from gates_support import log_run

from cairn.cli import cli

GATES = """\
rules:
  - metric: f1
    op: ">="
    value: 0.80
    on: [valid, test]
  - "metrics.loss <= 0.5"
"""


@pytest.fixture
def gates_file(project):
    path = project / "gates.yaml"
    path.write_text(GATES)
    return path


def _gate(*args: str):
    return CliRunner().invoke(cli, ["gate", *args], catch_exceptions=False)


def test_all_pass_exits_0_with_a_table(gates_file):
    run_id = log_run({"f1/valid": 0.9, "f1/test": 0.85, "loss": 0.3})
    result = _gate(run_id)
    assert result.exit_code == 0, result.output
    assert "f1/valid" in result.output and "pass" in result.output
    assert "3/3 checks passed; gate passed" in result.output


def test_a_failure_exits_1_and_says_why(gates_file):
    run_id = log_run({"f1/valid": 0.9, "loss": 0.3})
    result = _gate(run_id, "-f", str(gates_file))
    assert result.exit_code == 1
    assert f"run {run_id} has no metric f1/test (it has: f1/valid, loss)" in result.output
    assert "2/3 checks passed" in result.output


def test_json_report(gates_file):
    run_id = log_run({"f1/valid": 0.9, "f1/test": 0.7, "loss": 0.3})
    result = _gate(run_id, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["verdict"] == "fail" and report["failed"] == 1
    test = next(r for r in report["results"] if r["slice"] == "test")
    assert (test["value"], test["op"], test["threshold"], test["verdict"]) == (
        0.7,
        ">=",
        0.8,
        "fail",
    )


def test_bad_input_exits_2(project, gates_file):
    result = _gate("0" * 32)
    assert result.exit_code == 2
    run_id = log_run({"f1": 1.0})
    result = _gate(run_id, "-f", str(project / "missing.yaml"))
    assert result.exit_code == 2 and "no such gates file" in result.output
    bad = project / "bad.yaml"
    bad.write_text('rules:\n  - metric: f1\n    op: "=>"\n    value: 1\n')
    result = _gate(run_id, "-f", str(bad))
    assert result.exit_code == 2 and "bad.yaml: rules[0].op" in result.output


def test_help_documents_exit_codes():
    result = _gate("--help")
    assert result.exit_code == 0
    assert "2  bad input" in result.output
