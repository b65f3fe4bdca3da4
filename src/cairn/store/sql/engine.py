"""Engines and transactions for SQLite, PostgreSQL and MySQL, with one retry policy.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE`` so that concurrent writers queue on the lock instead of failing
half-way with "database is locked". Whatever still fails to get the lock is retried with
backoff and, past the budget, surfaces as :class:`cairn.errors.StoreBusy`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from cairn.errors import ConfigError, StoreBusy, StoreError

BUSY_TIMEOUT_MS = 30_000
RETRY_BUDGET_S = 120.0

_SCHEME_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}


def normalize_url(uri: str) -> str:
    """Pick the driver cairn ships with when the URI names only the database kind."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        raise ConfigError(f"store URI {uri!r} has no scheme; expected e.g. sqlite:///path/cairn.db")
    if scheme in _SCHEME_DRIVERS:
        return f"{_SCHEME_DRIVERS[scheme]}://{rest}"
    return uri


def create_engine(uri: str) -> Engine:
    """An engine for ``uri`` with cairn's connection settings."""
    url = sa.make_url(normalize_url(uri))
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    try:
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except ImportError as exc:
        extra = "postgres" if url.get_backend_name() == "postgresql" else "mysql"
        raise ConfigError(
            f"the driver for {url.get_backend_name()} is not installed: pip install 'cairn[{extra}]'"
        ) from exc


def _sqlite_engine(url: sa.URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        mode = "IMMEDIATE" if conn.get_execution_options().get("cairn_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _is_busy(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return any(
        marker in text
        for marker in (
            "database is locked",
            "database table is locked",
            "could not serialize access",
            "deadlock detected",
            "deadlock found",
            "lock wait timeout",
        )
    )


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction (BEGIN IMMEDIATE on SQLite); commits on success, rolls back on error."""
    with engine.connect().execution_options(cairn_write=True) as conn, conn.begin():
        yield conn


def run_write(engine: Engine, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call ``fn(conn, *args, **kwargs)`` in a write transaction, retrying while the store is busy."""
    deadline = time.monotonic() + RETRY_BUDGET_S
    delay = 0.01
    while True:
        try:
            with write_transaction(engine) as conn:
                return fn(conn, *args, **kwargs)
        except OperationalError as exc:
            if not _is_busy(exc):
                raise StoreError(f"the metadata store failed: {exc.orig}") from exc
            if time.monotonic() > deadline:
                raise StoreBusy(
                    f"the metadata store stayed locked for {RETRY_BUDGET_S:.0f} s; "
                    "another process holds a long write transaction"
                ) from exc
        except DBAPIError as exc:
            if not _is_busy(exc):
                raise
            if time.monotonic() > deadline:
                raise StoreBusy("the metadata store kept failing with lock conflicts") from exc
        time.sleep(delay * (1 + random.random()))
        delay = min(delay * 2, 0.5)


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reads (one snapshot on SQLite)."""
    try:
        with engine.connect() as conn:
            yield conn
    except OperationalError as exc:
        if _is_busy(exc):
            raise StoreBusy("the metadata store is locked; try again") from exc
        raise StoreError(f"the metadata store failed: {exc.orig}") from exc


_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def insert_many(conn: Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert many rows given as tuples, straight to the driver's ``executemany``.

    SQLAlchemy's per-row parameter processing costs more than SQLite's insert itself; the
    hot tables (metric points) take this path. Values must already be of driver types.
    """
    mark = _PLACEHOLDERS.get(conn.dialect.paramstyle)
    if mark is None:
        conn.execute(table.insert(), [dict(zip(columns, row)) for row in rows])
        return
    quote = conn.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    conn.exec_driver_sql(sql, rows)
