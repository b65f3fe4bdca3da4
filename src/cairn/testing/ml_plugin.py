"""A pytest plugin for model tests that print numbers, not pictures.

Loaded through the ``pytest11`` entry point ``cairn_ml`` once cairn is installed:

- ``ml_seed``: seeds python, numpy (and torch/tensorflow when imported) with a fixed seed via
  :func:`cairn.seed_everything` and returns it; ``--ml-seed N`` or the ini option ``ml_seed``
  (default 0) chooses it.
- ``tracked_run``: one cairn run per test, active for the test's body (so ``cairn.log_metric``
  lands there), in experiment ``--ml-experiment``/ini ``ml_experiment`` (default ``tests``),
  named after the test's node id and tagged ``cairn.test.nodeid``; it ends FINISHED when the
  test passed (or was skipped) and FAILED otherwise. The store is ``--ml-tracking-uri``, else
  ``CAIRN_TRACKING_URI``, else cairn's usual resolution.
- every :func:`cairn.testing.ml.assert_metric` made by a test is logged to its tracked run
  (when it has one) and listed in a table at the end of the session: test, metric, value, op,
  threshold, pass/fail (ini ``ml_report = false`` turns the table off). The checks travel in
  the reports' ``user_properties``, so the table is complete under pytest-xdist too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from cairn.testing.ml import MetricCheck, observe_checks

NODEID_TAG = "cairn.test.nodeid"
PROPERTY = "cairn_metric_check"
_RUN = pytest.StashKey[tuple[Any, str]]()
_OUTCOME = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The seed, experiment and store of the ML fixtures."""
    group = parser.getgroup("cairn-ml", "cairn ML tests")
    group.addoption("--ml-seed", type=int, default=None, help="Seed of the ml_seed fixture.")
    group.addoption("--ml-experiment", default=None, help="Experiment of tracked_run's runs.")
    group.addoption("--ml-tracking-uri", default=None, help="Store of tracked_run's runs.")
    parser.addini("ml_seed", "Seed of the ml_seed fixture (default 0).", default="0")
    parser.addini("ml_experiment", "Experiment of tracked_run's runs.", default="tests")
    parser.addini(
        "ml_report", "Print the table of assert_metric checks (default true).", type="bool",
        default=True,
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """Check the seed option and start the session's list of metric checks."""
    _seed(config)  # a bad ml_seed stops the session before any test runs
    if config.getini("ml_report"):
        config.pluginmanager.register(_Summary(), "cairn-ml-summary")


def _seed(config: pytest.Config) -> int:
    chosen = config.getoption("--ml-seed")
    if chosen is not None:
        return int(chosen)
    raw = str(config.getini("ml_seed")).strip() or "0"
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(f"ini option ml_seed must be an integer, got {raw!r}") from None


@pytest.fixture
def ml_seed(request: pytest.FixtureRequest) -> Iterator[int]:
    """Seed every random generator cairn knows with the session's fixed seed; yields it."""
    import cairn

    seed = _seed(request.config)
    cairn.seed_everything(seed)
    yield seed


@pytest.fixture
def tracked_run(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A cairn run for this test, active during it; FINISHED or FAILED with the test."""
    import cairn
    from cairn.errors import NotFound
    from cairn.tracking import fluent

    config = request.config
    uri = config.getoption("--ml-tracking-uri") or os.environ.get("CAIRN_TRACKING_URI")
    token = fluent._tracking_uri.set(uri) if uri else None  # private: restored below
    try:
        client = fluent._client()  # private: the client of the URI in force
        name = config.getoption("--ml-experiment") or str(config.getini("ml_experiment"))
        try:
            experiment_id = client.get_experiment_by_name(name).experiment_id
        except NotFound:
            experiment_id = client.create_experiment(name)
        nodeid = request.node.nodeid
        run = cairn.start_run(
            experiment_id=experiment_id, run_name=nodeid[:250], tags={NODEID_TAG: nodeid}
        )
        request.node.stash[_RUN] = (client, run.info.run_id)
        try:
            yield run
        finally:
            reports = request.node.stash.get(_OUTCOME, {})
            status = "FAILED" if any(r.failed for r in reports.values()) else "FINISHED"
            while (current := cairn.active_run()) is not None:  # runs the test left open too
                cairn.end_run(status)
                if current.info.run_id == run.info.run_id:
                    break
    finally:
        if token is not None:
            fluent._tracking_uri.reset(token)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Record the test's metric checks (and log them to its tracked run)."""

    def seen(check: MetricCheck) -> None:
        item.user_properties.append((PROPERTY, _as_row(check)))
        tracked = item.stash.get(_RUN, None)
        if tracked is not None:
            client, run_id = tracked
            client.log_metric(run_id, check.name, check.value)

    with observe_checks(seen):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report, so tracked_run ends with the test's outcome."""
    report = yield
    item.stash.setdefault(_OUTCOME, {})[report.when] = report
    return report


def _as_row(check: MetricCheck) -> dict[str, Any]:
    return {
        "name": check.name,
        "value": check.value,
        "op": check.op,
        "threshold": check.threshold,
        "passed": check.passed,
        "run_id": check.run_id,
    }


class _Summary:
    """Collects the checks of finished tests (in the controller under xdist too) and prints
    them when the session ends."""

    def __init__(self) -> None:
        self.checks: list[tuple[str, MetricCheck]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Take the checks a test made from its last report."""
        if report.when != "teardown":
            return
        for key, row in report.user_properties:
            if key == PROPERTY and isinstance(row, dict):
                self.checks.append((report.nodeid, MetricCheck(**row)))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """A table of every assert_metric made: test, metric, value, op, threshold, verdict."""
        _table(terminalreporter, self.checks)


def _table(terminalreporter: Any, checks: list[tuple[str, MetricCheck]]) -> None:
    if not checks:
        return
    header = ("test", "metric", "value", "op", "threshold", "result")
    rows = [
        (test, c.name, f"{c.value:.6g}", c.op, f"{c.threshold:.6g}", "pass" if c.passed else "FAIL")
        for test, c in checks
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    terminalreporter.write_sep("=", f"cairn metric checks ({len(rows)})")
    for row in [header, *rows]:
        cells = [
            cell.rjust(w) if i in (2, 4) else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        terminalreporter.write_line("  ".join(cells).rstrip())
    failed = sum(not c.passed for _, c in checks)
    terminalreporter.write_line(f"{len(rows) - failed} passed, {failed} failed")
