"""Bringing a database to the current schema, once, even when many processes open it at once."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cairn.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def _head_revision() -> str:
    # Revisions are numbered files (0001_initial.py, 0002_...) forming one straight chain.
    return max(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


HEAD_REVISION = _head_revision()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run pending migrations under a cross-process lock; a no-op when already current."""
    if revision == "head" and current_revision(engine) == HEAD_REVISION:
        return
    with _migration_lock(engine) as conn:
        _run_alembic(conn, revision)
        # Where the lock's statement began a transaction (MySQL), Alembic ran inside it and
        # left the last version stamp uncommitted: commit it, or the next open runs it again.
        conn.commit()


def _run_alembic(conn: Connection, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    try:
        command.upgrade(config, revision)
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"upgrading the metadata store schema failed: {exc}") from exc


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    backend = engine.dialect.name
    if backend == "sqlite":
        database = engine.url.database or ""
        if not database or database == ":memory:":
            with engine.connect() as conn:
                yield conn
            return
        lock_path = f"{database}.migrate.lock"
        with open(lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                with engine.connect() as conn:
                    yield conn
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with engine.connect() as conn:
        if backend == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_lock(736271)"))
            conn.commit()
            try:
                yield conn
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(736271)"))
                conn.commit()
        elif backend in ("mysql", "mariadb"):
            conn.execute(sa.text("SELECT GET_LOCK('cairn_migrate', 600)"))
            try:
                yield conn
            finally:
                conn.execute(sa.text("SELECT RELEASE_LOCK('cairn_migrate')"))
        else:
            yield conn
