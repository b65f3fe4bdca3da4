"""A populated store on SQLite and PostgreSQL, and direct SQL access to tamper with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.entities import Metric, Param, RunTag
from cairn.store import open_store
from cairn.store.base import Store
from cairn.testing.plugin import unique_database_name
from cairn.tracking.client import close_shared_stores


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def audit_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/cairn.db"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = unique_database_name()
    yield cluster.create_database(name)
    close_shared_stores()
    cluster.drop_database(name)


@pytest.fixture
def audited(audit_uri: str, tmp_path: Path) -> Iterator[Store]:
    """A store with a finished run (params, tags, a metric history) and a purged run."""
    store = open_store(audit_uri, artifact_root=str(tmp_path / "artifacts"))
    run_id = store.runs.create_run(
        "0", user_id="ann", tags={"team": "a"}, run_name="r1"
    ).info.run_id
    for step in range(30):
        points = [Metric("loss", 1 / (step + 1), 1000 + step, step), Metric("acc", step, 5, step)]
        store.runs.log_batch(run_id, metrics=points)
    store.runs.log_batch(run_id, params=[Param("lr", "0.1")], tags=[RunTag("stage", "dev")])
    store.runs.set_tag(run_id, RunTag("stage", "prod"))
    store.runs.log_metric(run_id, Metric("nan", float("nan"), 7, 0))
    gone = store.runs.create_run("0", run_name="gone").info.run_id
    store.runs.log_metric(gone, Metric("m", 1.0, 1, 0))
    store.runs.delete_run(gone)
    store.runs.purge_run(gone)
    store.runs.update_run_info(run_id, status="FINISHED")  # compacts the history
    store.run_id = run_id  # type: ignore[attr-defined]
    yield store
    store.close()
