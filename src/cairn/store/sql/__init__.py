"""The SQL metadata store (SQLAlchemy Core; SQLite, PostgreSQL, MySQL)."""

from cairn.store.sql.store import SqlStore

__all__ = ["SqlStore"]
