"""cairn's pytest plugin: real database and S3 services, fresh stores and project folders.

Loaded through the ``pytest11`` entry point, so cairn's tests and its users' tests share it.

Session-scoped (one per xdist worker): ``postgres_cluster``, ``mariadb_server``, ``s3_server``.
Per test: ``sqlite_uri``, ``sql_store_uri`` (SQL databases only), ``store_uri`` (parametrized
over sqlite, postgresql, mysql and a
live cairn server — ``cairn_server`` of :mod:`cairn.server.pytest_plugin` — each a fresh empty
store), ``cairn_store``, ``populated_store`` and ``cairn_project``. A
fixture whose service is not installed skips the test, or fails it when
``CAIRN_TEST_REQUIRE_SERVICES=1`` (as CI sets).
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cairn.testing.services import MariaDBServer, MotoS3Server, PostgresCluster

if TYPE_CHECKING:
    from cairn.store import Store

_counter = itertools.count(1)
_session_token = secrets.token_hex(3)


def pytest_configure(config: pytest.Config) -> None:
    """Declare the markers the fixtures use, so ``--strict-markers`` accepts them."""
    for line in (
        "postgres: needs a PostgreSQL server (started by the test session)",
        "mysql: needs a MariaDB/MySQL server (started by the test session)",
        "s3: needs moto's S3 server",
    ):
        config.addinivalue_line("markers", line)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the services their fixtures start, so ``-m "not postgres"`` works."""
    marks = {"postgres_cluster": "postgres", "mariadb_server": "mysql", "s3_server": "s3"}
    for item in items:
        for fixture in set(getattr(item, "fixturenames", ())) & marks.keys():
            item.add_marker(marks[fixture])


def _unavailable(reason: str) -> None:
    """Skip the test for a missing service, or fail it when services are required."""
    if os.environ.get("CAIRN_TEST_REQUIRE_SERVICES", "") not in ("", "0"):
        pytest.fail(f"{reason} (and CAIRN_TEST_REQUIRE_SERVICES is set)", pytrace=False)
    pytest.skip(reason)


def unique_database_name() -> str:
    """Return a database name unique to this test, worker and session (``t_<token>_<n>``)."""
    return f"t_{_session_token}_{next(_counter)}"


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster started for this session (or xdist worker)."""
    if reason := PostgresCluster.why_unavailable():
        _unavailable(reason)
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDBServer]:
    """A MariaDB/MySQL server started for this session (or xdist worker)."""
    if reason := MariaDBServer.why_unavailable():
        _unavailable(reason)
    with MariaDBServer() as server:
        yield server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[MotoS3Server]:
    """moto's S3 server for this session (or xdist worker)."""
    if reason := MotoS3Server.why_unavailable():
        _unavailable(reason)
    with MotoS3Server() as server:
        yield server


@pytest.fixture
def sqlite_uri(tmp_path: Path) -> str:
    """A SQLAlchemy URL of a not-yet-created SQLite file in this test's temp folder."""
    return f"sqlite:///{tmp_path}/cairn.db"


_SQL_BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
]


def _sql_store_uri(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/cairn.db"
        return
    fixture = "postgres_cluster" if backend == "postgresql" else "mariadb_server"
    server: PostgresCluster | MariaDBServer = request.getfixturevalue(fixture)
    name = unique_database_name()
    yield server.create_database(name)
    server.drop_database(name)


@pytest.fixture(params=_SQL_BACKENDS)
def sql_store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty SQL database for this test on SQLite, PostgreSQL and MySQL in turn."""
    yield from _sql_store_uri(request, request.param, tmp_path)


@pytest.fixture(params=[*_SQL_BACKENDS, "rest"])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store for this test: SQLite, PostgreSQL, MySQL, and a cairn server.

    ``rest`` is ``http://127.0.0.1:PORT`` of a live ``cairn server`` (on SQLite, with its
    artifacts under the test's temp folder), so every store test also runs over HTTP.
    """
    if request.param == "rest":
        # cairn.server.pytest_plugin provides it (the server sits above this package)
        yield request.getfixturevalue("cairn_server")
    else:
        yield from _sql_store_uri(request, request.param, tmp_path)


@pytest.fixture
def cairn_store(store_uri: str, tmp_path: Path) -> Iterator[Store]:
    """A store opened on ``store_uri`` with artifacts under the test's temp folder."""
    from cairn.store import open_store

    store = open_store(store_uri, artifact_root=str(tmp_path / "artifacts"))
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def populated_store(cairn_store: Store) -> Store:
    """``cairn_store`` holding two experiments ('churn': 6 runs, 'vision': 2) with data.

    churn runs ``r0``..``r5``: params ``lr`` = 10**-i and ``depth`` = i % 3, metrics ``acc`` =
    0.5 + i/10 (latest) and ``loss`` over 10 steps, tag ``team`` = growth (even) or core (odd);
    ``r5`` is deleted and ``r4`` FAILED, the others FINISHED. vision runs ``v0``, ``v1`` RUNNING.
    """
    from cairn.entities import Metric, Param, RunTag

    churn = cairn_store.experiments.create_experiment("churn", tags={"owner": "ann"})
    vision = cairn_store.experiments.create_experiment("vision")
    for i in range(6):
        run_id = cairn_store.runs.create_run(churn, user_id="ann", run_name=f"r{i}").info.run_id
        cairn_store.runs.log_batch(
            run_id,
            metrics=[Metric("loss", 1 / (s + 1 + i), 1_700_000_000_000 + s, s) for s in range(10)]
            + [Metric("acc", 0.5 + i / 10, 1_700_000_000_100, 0)],
            params=[Param("lr", str(10**-i)), Param("depth", str(i % 3))],
            tags=[RunTag("team", "growth" if i % 2 == 0 else "core")],
        )
        cairn_store.runs.update_run_info(run_id, status="FAILED" if i == 4 else "FINISHED")
        if i == 5:
            cairn_store.runs.delete_run(run_id)
    for i in range(2):
        cairn_store.runs.create_run(vision, user_id="bo", run_name=f"v{i}")
    return cairn_store


@pytest.fixture
def cairn_project(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """An empty project folder as the working directory, cut off from the user's settings.

    Unsets every ``CAIRN_*`` variable (``CAIRN_TRACKING_URI`` included) but the test-service
    ones, points ``CAIRN_HOME`` at a temp folder and stops git's repository search at the
    temp root, so ``.cairn/`` is created in the returned folder on first use. The fluent
    API's state (active runs, experiment, cached stores) is reset before and after.
    """
    keep = ("CAIRN_TEST_", "CAIRN_PG_BIN", "CAIRN_MYSQL_BIN")
    for name in [n for n in os.environ if n.startswith("CAIRN_") and not n.startswith(keep)]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CAIRN_HOME", str(tmp_path_factory.mktemp("cairn-home")))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    from cairn.tracking import fluent

    fluent.reset()
    yield tmp_path
    fluent.reset()
