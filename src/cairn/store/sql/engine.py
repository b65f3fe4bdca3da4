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
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

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


CONNECT_TIMEOUT_S = 10


def create_engine(uri: str) -> Engine:
    """An engine for ``uri`` with cairn's connection settings; a database server that cannot
    be reached is a :class:`StoreError` saying so, raised here rather than mid-command."""
    url = sa.make_url(normalize_url(uri))
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        url = url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    try:
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except ImportError as exc:
        extra = "postgres" if url.get_backend_name() == "postgresql" else "mysql"
        raise ConfigError(
            f"the driver for {url.get_backend_name()} is not installed: pip install 'cairn[{extra}]'"
        ) from exc
    _check_reachable(engine)
    return engine


def _check_reachable(engine: Engine) -> None:
    """Open (and pool) one connection, mapping a refused or failed login to one clear line."""
    try:
        engine.connect().close()
    except DBAPIError as exc:
        url = engine.url
        where = f"{url.host or 'localhost'}:{url.port or 'default port'}/{url.database or ''}"
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise StoreError(
            f"cannot connect to the {url.get_backend_name()} database at {where} ({reason}): "
            "start it, or check the user, password and host in --tracking-uri / "
            "CAIRN_TRACKING_URI"
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
        cursor.execute("PRAGMA cache_size = -65536")  # 64 MiB: searches re-read fewer pages
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        mode = "IMMEDIATE" if conn.get_execution_options().get("cairn_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _is_busy(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).lower()
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
    driver_error = engine.dialect.loaded_dbapi.Error
    while True:
        try:
            with write_transaction(engine) as conn:
                return fn(conn, *args, **kwargs)
        except (DBAPIError, driver_error) as exc:
            if not _is_busy(exc):
                if isinstance(exc, IntegrityError):
                    raise
                cause = getattr(exc, "orig", None) or exc
                raise StoreError(f"the metadata store failed: {cause}") from exc
            if time.monotonic() > deadline:
                raise StoreBusy(
                    f"the metadata store stayed locked for {RETRY_BUDGET_S:.0f} s; "
                    "another process holds a long write transaction"
                ) from exc
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


class Hot:
    """A hot-path statement: compiled once per dialect, then run on the driver's own cursor.

    Building and compiling a SQLAlchemy statement per call costs far more than SQLite takes
    to run a small one; logging goes through these instead. Use plain bind parameters only
    (no expanding ``IN``); results come back as tuples.
    """

    def __init__(self, statement: sa.ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def _sql(self, dialect: sa.Dialect) -> tuple[str, tuple[str, ...] | None]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            positions = getattr(compiled, "positiontup", None)
            order = tuple(positions) if positions else None
            found = (str(compiled), order)
            self._compiled[dialect.name] = found
        return found

    def _args(self, order: tuple[str, ...] | None, params: dict) -> tuple | dict:
        return tuple(params[name] for name in order) if order is not None else params

    def execute(self, conn: Connection, params: dict | None = None) -> list[tuple]:
        """Run once; return the fetched rows (empty for writes)."""
        sql, order = self._sql(conn.dialect)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, self._args(order, params or {}))
            return cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()

    def executemany(self, conn: Connection, names: tuple[str, ...], rows: list[tuple]) -> None:
        """Run once per row; ``rows`` are tuples of the parameters ``names``, in that order."""
        if not rows:
            return
        sql, order = self._sql(conn.dialect)
        if order is None:
            args: list = [dict(zip(names, row, strict=True)) for row in rows]
        elif order == names:
            args = rows
        else:
            index = [names.index(name) for name in order]
            args = [tuple(row[i] for i in index) for row in rows]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, args)
        finally:
            cursor.close()


def insert_statement(table: sa.Table, names: tuple[str, ...]) -> Hot:
    """A hot INSERT of the named columns, bound by column name."""
    return Hot(table.insert().values({name: sa.bindparam(name) for name in names}))
