"""Appending to and reading the hash-chained audit trail inside store transactions.

Each event's ``hash`` is BLAKE3 over ``prev_hash|seq|time|actor|action|entity|payload_hash``
and ``payload_hash`` is BLAKE3 over the canonical JSON of the full payload. The ``payload``
column holds that JSON too, except for metric batches: their points live once, in
``metric_chunks``, where every point carries the ``seq`` of the event that wrote it and its
``pos`` in that batch, and the stored payload only counts them. A verifier rebuilds the full
payload ``{"run_id": ..., "metrics": [[key, value, timestamp, step], ...], "params": {...},
"tags": {...}}`` by collecting the points whose seq is the event's, in ``pos`` order (NaN as
JSON's ``NaN`` token, as Python writes it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import blake3
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import AuditEvent
from cairn.store.audit_repository import AuditRepository, HeadSignature
from cairn.store.base import acting_as, now_ms
from cairn.store.sql import schema as t
from cairn.store.sql.engine import Hot, insert_statement, run_write

if TYPE_CHECKING:
    from cairn.store.sql.audit_verify import ChainReport, FullEvent

_SELECT_HEAD = Hot(
    sa.select(t.audit_head.c.seq, t.audit_head.c.hash)
    .where(t.audit_head.c.id == sa.bindparam("head_id"))
    .with_for_update()
)
_EVENT_COLUMNS = (
    "seq", "time", "actor", "action", "entity", "payload", "payload_hash", "prev_hash", "hash"
)  # fmt: skip
_INSERT_EVENT = insert_statement(t.audit_events, _EVENT_COLUMNS)
_UPDATE_HEAD = Hot(
    t.audit_head.update()
    .where(t.audit_head.c.id == sa.bindparam("head_id"))
    .values(seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash"))
)


def canonical_json(payload: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, NaN and infinities as Python writes them."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(text: str) -> str:
    """BLAKE3 hex digest of UTF-8 text."""
    return blake3.blake3(text.encode("utf-8")).hexdigest()


def chain_hash(
    prev_hash: str, seq: int, time: int, actor: str, action: str, entity: str, payload_hash: str
) -> str:
    """The hash linking one event to the previous one."""
    return digest(f"{prev_hash}|{seq}|{time}|{actor}|{action}|{entity}|{payload_hash}")


def append_event(
    conn: Connection,
    actor: str,
    action: str,
    entity: str,
    payload: Any,
    stored_payload: Any | None = None,
) -> int:
    """Append one event in the caller's transaction and return its sequence number.

    The actor is the user the server acts for in this context, when there is one.
    """
    actor = acting_as.get() or actor
    head_seq, head_hash = _SELECT_HEAD.execute(conn, {"head_id": 1})[0]
    seq = head_seq + 1
    time = now_ms()
    full = canonical_json(payload)
    payload_hash = digest(full)
    event_hash = chain_hash(head_hash, seq, time, actor, action, entity, payload_hash)
    stored = full if stored_payload is None else canonical_json(stored_payload)
    _INSERT_EVENT.executemany(
        conn,
        _EVENT_COLUMNS,
        [(seq, time, actor, action, entity, stored, payload_hash, head_hash, event_hash)],
    )
    _UPDATE_HEAD.execute(conn, {"new_seq": seq, "new_hash": event_hash, "head_id": 1})
    return seq


class SqlAuditRepository(AuditRepository):
    """Reads of the audit trail from the SQL store."""

    def __init__(self, engine: sa.Engine, actor: str = "") -> None:
        self._engine = engine
        self._actor = actor

    def list_events(
        self, after_seq: int = 0, limit: int = 1000, entity: str | None = None
    ) -> list[AuditEvent]:
        """Events in sequence order after a sequence number."""
        query = sa.select(
            t.audit_events.c.seq,
            t.audit_events.c.time,
            t.audit_events.c.actor,
            t.audit_events.c.action,
            t.audit_events.c.entity,
            t.audit_events.c.payload_hash,
            t.audit_events.c.prev_hash,
            t.audit_events.c.hash,
        ).where(t.audit_events.c.seq > after_seq)
        if entity is not None:
            query = query.where(t.audit_events.c.entity == entity)
        query = query.order_by(t.audit_events.c.seq).limit(limit)
        with self._engine.connect() as conn:
            return [AuditEvent(*row) for row in conn.execute(query)]

    def head(self) -> tuple[int, str]:
        """The last sequence number and hash of the chain."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(t.audit_head.c.seq, t.audit_head.c.hash).where(t.audit_head.c.id == 1)
            ).one()
        return int(row.seq), str(row.hash)

    def _record(self, entity: str, action: str, payload: dict[str, Any]) -> AuditEvent:
        """Append one event in its own write transaction and read it back."""

        def add(conn: Connection) -> int:
            return append_event(conn, self._actor, action, entity, payload)

        seq = run_write(self._engine, add)
        return self.list_events(after_seq=seq - 1, limit=1)[0]

    def verify_chain(self) -> ChainReport:
        """Recompute every hash of the chain and compare the run rows with it."""
        from cairn.store.sql.audit_verify import verify_chain

        return verify_chain(self._engine)

    def export_events(self) -> Iterator[FullEvent]:
        """Every event in order with its full payload text (metric batches rebuilt)."""
        from cairn.store.sql.audit_verify import iter_full_events

        return iter_full_events(self._engine)

    def add_signature(
        self, seq: int, hash: str, public_key: str, signature: str, actor: str
    ) -> None:
        """Store a signature of the chain head ``(seq, hash)``, and record it in the trail."""
        row = {"seq": seq, "hash": hash, "public_key": public_key, "signature": signature}

        def add(conn: Connection) -> None:
            who = acting_as.get() or actor
            conn.execute(t.audit_signatures.insert().values(**row, time=now_ms(), actor=who))
            payload = {"seq": seq, "hash": hash, "public_key": public_key}
            append_event(conn, who, "audit.sign", "audit:head", payload)

        run_write(self._engine, add)

    def signatures(self) -> list[HeadSignature]:
        """Stored head signatures, newest first."""
        c = t.audit_signatures.c
        query = sa.select(c.seq, c.hash, c.public_key, c.signature, c.time, c.actor).order_by(
            c.signature_id.desc()
        )
        with self._engine.connect() as conn:
            return [HeadSignature(*row) for row in conn.execute(query)]
