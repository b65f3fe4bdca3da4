"""The comparison behind ``cairn reproduce``: tolerances, datasets by name and path, seeds."""

from __future__ import annotations

import json
import math

import pytest

from cairn.entities import DatasetInput, Run, RunData, RunInfo
from cairn.projects.reproduce_report import ReproductionReport, compare_runs, within


def _run(metrics: dict[str, float], tags: dict[str, str] | None = None) -> Run:
    info = RunInfo("r", "0", "n", "u", "FINISHED", 0, 1, "file:///a")
    return Run(info, RunData(metrics=metrics, tags=tags or {}))


def _input(name: str, path: str, digest: str) -> DatasetInput:
    return DatasetInput(name, digest, "cairn", json.dumps({"path": path}))


def _report(atol: float = 1e-6, rtol: float = 0.0) -> ReproductionReport:
    return ReproductionReport("a", "b", "script", "c" * 40, False, "python t.py", 0, atol, rtol)


@pytest.mark.parametrize(
    ("a", "b", "atol", "rtol", "ok"),
    [
        (1.0, 1.0, 0.0, 0.0, True),
        (1.0, 1.0 + 1e-7, 1e-6, 0.0, True),
        (1.0, 1.0 + 1e-5, 1e-6, 0.0, False),
        (100.0, 101.0, 0.0, 0.011, True),
        (100.0, 102.0, 0.0, 0.011, False),
        (math.nan, math.nan, 0.0, 0.0, True),
        (math.nan, 1.0, 1e9, 0.0, False),
        (math.inf, math.inf, 0.0, 0.0, True),
        (math.inf, 1e308, 1e9, 1.0, False),
        (None, 1.0, 1e9, 0.0, False),
    ],
)
def test_within(a: float | None, b: float | None, atol: float, rtol: float, ok: bool) -> None:
    assert within(a, b, atol, rtol) is ok


def test_metrics_missing_on_either_side_fail() -> None:
    report = _report()
    compare_runs(report, _run({"f1": 0.9, "old": 1.0}), _run({"f1": 0.9, "new": 2.0}), [], [])
    by_key = {m.key: m for m in report.metrics}
    assert by_key["f1"].within_tolerance and by_key["f1"].difference == 0
    assert not by_key["old"].within_tolerance and by_key["old"].reproduced is None
    assert not by_key["new"].within_tolerance and by_key["new"].difference is None
    assert not report.passed
    assert report.problems == [
        "metric new is missing on one side",
        "metric old is missing on one side",
    ]


def test_system_metrics_are_not_compared() -> None:
    report = _report()
    compare_runs(report, _run({"system/cpu": 10.0}), _run({"system/cpu": 80.0}), [], [])
    assert report.metrics == [] and report.passed


def test_datasets_matched_by_name_and_path() -> None:
    report = _report()
    original = [_input("train", "data/train.csv", "a" * 32), _input("x", "/abs/x.csv", "b" * 32)]
    reproduced = [_input("train", "data/train.csv", "a" * 32), _input("x", "/abs/x.csv", "c" * 32)]
    compare_runs(report, _run({}), _run({}), original, reproduced)
    same, changed = report.datasets[0], report.datasets[1]
    assert same.same and same.message == "same data"
    assert not changed.same
    assert changed.message == f"data differ: original {'b' * 12}… now {'c' * 12}…"
    assert report.problems == [f"dataset x (/abs/x.csv): {changed.message}"]


def test_seeds_differing_fail_and_missing_ones_are_notes() -> None:
    report = _report()
    a = _run({}, {"cairn.seed.numpy": "1", "cairn.seed.python": "1", "cairn.seed.torch": "1"})
    b = _run({}, {"cairn.seed.numpy": "2", "cairn.seed.python": "1"})
    compare_runs(report, a, b, [], [])
    assert report.seeds_differ == ["numpy"]
    assert report.problems == ["seed numpy differs"]
    assert report.notes == ["seed torch was not recorded on the reproduction"]


def test_failed_command_and_other_commit_are_problems() -> None:
    report = _report()
    report.exit_code = 3
    compare_runs(report, _run({}), _run({}, {"cairn.source.git.commit": "d" * 40}), [], [])
    assert report.problems == [
        "the reproduction's command failed with exit code 3",
        f"the reproduction ran at commit {'d' * 40}",
    ]
    assert report.to_dict()["passed"] is False
