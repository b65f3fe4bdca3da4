"""Re-reading the audit trail from SQL: full payloads, the chain check, and the row replay.

:func:`iter_full_events` streams every event in ``seq`` order with its full payload text
(metric batches rebuilt from ``metric_chunks``, see :mod:`cairn.store.sql.audit`), a page of
events at a time. :func:`verify_chain` recomputes each payload hash and chain hash, then
replays what the events set on runs (params, tags, run fields) and compares that with the
rows as they are now, so that an edit made behind the store's back shows up.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cairn.store.sql import schema as t
from cairn.store.sql.audit import canonical_json, chain_hash, digest
from cairn.store.sql.audit_replay import AuditFinding, Replay
from cairn.store.sql.chunks import _unpack_into

GENESIS = "0" * 64
PAGE = 2000
MAX_FINDINGS = 100
_EV = t.audit_events.c


@dataclass(slots=True)
class ChainReport:
    """What :func:`verify_chain` found."""

    events: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    head_seq: int = 0
    head_hash: str = GENESIS
    findings: list[AuditFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.findings


@dataclass(frozen=True, slots=True)
class FullEvent:
    """An event as stored, with its full payload text (``None`` if it cannot be rebuilt)."""

    seq: int
    time: int
    actor: str
    action: str
    entity: str
    payload: str | None
    payload_hash: str
    prev_hash: str
    hash: str


class _Points:
    """Metric points by the ``seq`` of the event that wrote them, loaded one run at a time."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self.loaded: set[str] = set()
        self.pending: dict[int, list[tuple[int, str, float, int, int]]] = {}

    def load(self, run_id: str) -> None:
        if run_id in self.loaded:
            return
        self.loaded.add(run_id)
        c = t.metric_chunks.c
        query = sa.select(c.key, c.steps, c.timestamps, c.vals, c.seqs, c.positions).where(
            c.run_uuid == run_id
        )
        for key, steps_b, ts_b, vals_b, seqs_b, pos_b in self._conn.execute(query):
            cols: list[array[Any]] = [array("q"), array("q"), array("d"), array("q"), array("i")]
            for col, blob in zip(cols, (steps_b, ts_b, vals_b, seqs_b, pos_b), strict=True):
                _unpack_into(col, blob)
            steps, stamps, vals, seqs, poss = cols
            for i, seq in enumerate(seqs):
                self.pending.setdefault(seq, []).append(
                    (poss[i], key, vals[i], stamps[i], steps[i])
                )

    def take(self, seq: int) -> list[list[Any]]:
        points = sorted(self.pending.pop(seq, []))
        return [[key, value, stamp, step] for _pos, key, value, stamp, step in points]


def _rebuild(stored: str, seq: int, points: _Points, live_runs: set[str]) -> str | None:
    data = json.loads(stored)
    run_id = data.get("run_id")
    if not isinstance(data.get("metrics"), int) or not isinstance(run_id, str):
        return stored
    if run_id not in live_runs:
        return None  # purged: its points are gone, only the stored hash remains
    points.load(run_id)
    return canonical_json(dict(data, metrics=points.take(seq)))


def iter_full_events(engine: sa.Engine, page: int = PAGE) -> Iterator[FullEvent]:
    """Every event in ``seq`` order with its full payload, read ``page`` events at a time."""
    with engine.connect() as conn:
        live_runs = set(conn.execute(sa.select(t.runs.c.run_uuid)).scalars())
        points = _Points(conn)
        after = None
        while True:
            query = sa.select(
                _EV.seq, _EV.time, _EV.actor, _EV.action, _EV.entity, _EV.payload,
                _EV.payload_hash, _EV.prev_hash, _EV.hash,
            ).order_by(_EV.seq).limit(page)  # fmt: skip
            if after is not None:
                query = query.where(_EV.seq > after)
            rows = conn.execute(query).all()
            for row in rows:
                payload = row.payload
                if row.action == "run.log_batch":
                    payload = _rebuild(row.payload, row.seq, points, live_runs)
                yield FullEvent(
                    int(row.seq), int(row.time), row.actor, row.action, row.entity, payload,
                    row.payload_hash, row.prev_hash, row.hash,
                )  # fmt: skip
            if len(rows) < page:
                break
            after = rows[-1].seq
        chunk_runs = set(conn.execute(sa.select(t.metric_chunks.c.run_uuid).distinct()).scalars())
        for run_id in chunk_runs - points.loaded:
            points.load(run_id)
        for seq in sorted(points.pending):
            yield FullEvent(seq, 0, "", "orphan_points", "", None, "", "", "")


def _check_event(ev: FullEvent, expected_seq: int, expected_prev: str) -> list[AuditFinding]:
    found = []
    if ev.seq > expected_seq:
        gone = f"{expected_seq}" if ev.seq == expected_seq + 1 else f"{expected_seq}..{ev.seq - 1}"
        found.append(AuditFinding(ev.seq, "deleted", f"event(s) {gone} missing before {ev.seq}"))
    fields = (ev.time, ev.actor, ev.action, ev.entity, ev.payload_hash)
    hash_ok = chain_hash(ev.prev_hash, ev.seq, *fields) == ev.hash
    if not hash_ok:
        # A swapped event still hashes under the seq it was written with; a batch's points
        # then name that seq too, so its payload is not checked here.
        for other in range(max(1, ev.seq - 64), ev.seq + 65):
            if other != ev.seq and chain_hash(ev.prev_hash, other, *fields) == ev.hash:
                message = f"event {ev.seq} was written as event {other}: events reordered"
                found.append(AuditFinding(ev.seq, "reordered", message))
                return found
    if ev.payload is not None and digest(ev.payload) != ev.payload_hash:
        what = " (its metric points in metric_chunks)" if ev.action == "run.log_batch" else ""
        message = f"payload of event {ev.seq} ({ev.action} {ev.entity}){what} was edited"
        found.append(AuditFinding(ev.seq, "payload", message))
    if not hash_ok:
        message = f"event {ev.seq} does not match its hash (time, actor, action or entity edited)"
        found.append(AuditFinding(ev.seq, "hash", message))
    elif ev.prev_hash != expected_prev:
        message = f"event {ev.seq}'s prev_hash does not match the hash of the event before it"
        found.append(AuditFinding(ev.seq, "prev_hash", message))
    return found


def verify_chain(engine: sa.Engine, page: int = PAGE) -> ChainReport:
    """Walk the whole chain and the run rows; report every problem (first one first)."""
    report = ChainReport()
    replay = Replay()
    for ev in iter_full_events(engine, page):
        if ev.action == "orphan_points":
            message = f"metric points in metric_chunks name event {ev.seq}, which wrote none"
            report.findings.append(AuditFinding(ev.seq, "metric_points", message))
            continue
        report.findings.extend(_check_event(ev, report.last_seq + 1, report.last_hash))
        report.events += 1
        report.last_seq, report.last_hash = ev.seq, ev.hash
        if ev.payload is not None:
            replay.apply(ev.seq, ev.action, ev.entity, ev.payload)
    with engine.connect() as conn:
        head = conn.execute(sa.select(t.audit_head.c.seq, t.audit_head.c.hash)).one()
        report.head_seq, report.head_hash = int(head.seq), str(head.hash)
        if (report.head_seq, report.head_hash) != (report.last_seq, report.last_hash):
            message = (
                f"audit_head says seq {report.head_seq} ({report.head_hash[:12]}) but the last "
                f"event is {report.last_seq} ({report.last_hash[:12]})"
            )
            report.findings.append(AuditFinding(report.head_seq, "head", message))
        report.findings.extend(replay.compare(conn))
    del report.findings[MAX_FINDINGS:]
    return report
