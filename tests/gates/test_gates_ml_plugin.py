"""The ML pytest plugin (cairn.testing.ml_plugin) run by pytester on a real inner test file:
fixed seeds, one tracked run per test with the test's outcome, assert_metric numbers logged
to that run and printed in the session's summary table; a bad seed option stops the session."""

from __future__ import annotations

import importlib.metadata

import pytest

from cairn.store import open_store

pytest_plugins = ["pytester"]

INNER = """
import random

import cairn
from cairn.testing.ml import assert_metric


def test_good(ml_seed, tracked_run):
    assert random.random() == random.Random(ml_seed).random()
    assert_metric(0.93, "accuracy", ">=", 0.9)
    cairn.log_param("seed", ml_seed)


def test_bad(tracked_run):
    assert_metric(0.5, "f1/valid", ">", 0.8)


def test_untracked():
    assert_metric(12.5, "latency_ms", "<=", 20)
"""


def _plugin_args() -> list[str]:
    """Load the plugin by name unless its entry point is installed already."""
    names = {e.name for e in importlib.metadata.entry_points(group="pytest11")}
    return [] if "cairn_ml" in names else ["-p", "cairn.testing.ml_plugin"]


@pytest.fixture(scope="module", autouse=True)
def _store_modules_loaded(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Read a store once before any pytester test: pytester drops the modules a test
    imported when it ends, and SQLAlchemy imported again beside its old half breaks."""
    _runs(f"sqlite:///{tmp_path_factory.mktemp('warm')}/cairn.db", "Default")


def _runs(uri: str, experiment: str) -> dict[str, object]:
    store = open_store(uri)
    try:
        exp = store.experiments.get_experiment_by_name(experiment)
        found = store.runs.search_runs([exp.experiment_id]).items
        return {r.info.run_name.rpartition("::")[2]: r for r in found}
    finally:
        store.close()


def test_tracked_runs_seeds_and_summary(pytester: pytest.Pytester, sqlite_uri: str) -> None:
    pytester.makepyfile(test_model=INNER)
    result = pytester.runpytest_subprocess(
        *_plugin_args(), "--ml-seed", "7", "--ml-tracking-uri", sqlite_uri, "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cairn metric checks (3)*",
            "test*metric*value*op*threshold*result",
            "test_model.py::test_good*accuracy*0.93*>=*0.9*pass",
            "test_model.py::test_bad*f1/valid*0.5*>*0.8*FAIL",
            "test_model.py::test_untracked*latency_ms*12.5*<=*20*pass",
            "2 passed, 1 failed",
        ]
    )
    runs = _runs(sqlite_uri, "tests")
    assert sorted(runs) == ["test_bad", "test_good"]  # only tests asking for tracked_run
    good, bad = runs["test_good"], runs["test_bad"]
    assert (good.info.status, bad.info.status) == ("FINISHED", "FAILED")
    assert good.info.run_name == "test_model.py::test_good"
    assert good.data.tags["cairn.test.nodeid"] == "test_model.py::test_good"
    assert good.data.tags["cairn.seed.python"] == "7" and good.data.params == {"seed": "7"}
    assert good.data.metrics == {"accuracy": 0.93}
    assert bad.data.metrics == {"f1/valid": 0.5}


def test_ini_options_and_environment(
    pytester: pytest.Pytester, sqlite_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIRN_TRACKING_URI", sqlite_uri)
    pytester.makeini("[pytest]\nml_seed = 3\nml_experiment = model-tests\n")
    pytester.makepyfile(test_ini="def test_seed(ml_seed, tracked_run):\n    assert ml_seed == 3\n")
    pytester.runpytest_subprocess(*_plugin_args()).assert_outcomes(passed=1)
    run = _runs(sqlite_uri, "model-tests")["test_seed"]
    assert run.info.status == "FINISHED" and run.data.tags["cairn.seed.python"] == "3"


def test_the_summary_table_can_be_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nml_report = false\n")
    pytester.makepyfile(test_model=INNER)
    result = pytester.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    assert "cairn metric checks" not in result.stdout.str()


def test_bad_seed_stops_the_session(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nml_seed = seven\n")
    pytester.makepyfile(test_x="def test_x(ml_seed):\n    pass\n")
    result = pytester.runpytest_subprocess(*_plugin_args())
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ml_seed must be an integer, got 'seven'*"])
