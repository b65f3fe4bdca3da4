"""Tampering helpers: SQL run on the store's database behind its back."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.base import Store


def sql(store: Store, statement: str, **params: object) -> list[sa.Row]:
    """Run SQL on the store's database behind its back (its own engine, committed)."""
    engine = sa.create_engine(store.uri)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def seq_of(store: Store, action: str, nth: int = 0) -> int:
    """The seq of the nth event with this action."""
    events = [e for e in store.audit.list_events(limit=100_000) if e.action == action]
    return events[nth].seq
