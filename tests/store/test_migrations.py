"""The Alembic migrations build exactly the schema in schema.py, and old stores upgrade on open."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cairn.store.sql import SqlStore
from cairn.store.sql.engine import create_engine
from cairn.store.sql.migrate import HEAD_REVISION, current_revision, upgrade
from cairn.store.sql.schema import metadata


def test_migrations_match_schema(sql_store_uri):
    engine = create_engine(sql_store_uri)
    upgrade(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diffs == []


def test_a_fresh_database_is_stamped_at_head_on_every_backend(sql_store_uri):
    """The last migration's version stamp is committed too (on MySQL the lock's statement
    began a transaction that Alembic ran inside), so the next open does not migrate again."""
    engine = create_engine(sql_store_uri)
    upgrade(engine)
    engine.dispose()
    fresh = create_engine(sql_store_uri)  # a new pool: what another process would see
    assert current_revision(fresh) == HEAD_REVISION
    upgrade(fresh)  # a no-op, not "table already exists"
    fresh.dispose()


def test_head_revision_constant_matches_the_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from cairn.store.sql.migrate import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_an_empty_database_is_upgraded_when_opened(tmp_path):
    uri = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(uri)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE unrelated (x INTEGER)"))
    assert current_revision(engine) is None
    store = SqlStore(uri)
    assert current_revision(engine) == HEAD_REVISION
    assert store.experiments.get_experiment("0").name == "Default"
    store.close()
    engine.dispose()


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path):
    uri = f"sqlite:///{tmp_path / 'cairn.db'}"
    first = SqlStore(uri)
    exp_id = first.experiments.create_experiment("kept")
    first.close()
    second = SqlStore(uri)
    assert second.experiments.get_experiment(exp_id).name == "kept"
    assert len(second.experiments.search_experiments().items) == 2
    second.close()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path / 'cairn.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    store.close()
