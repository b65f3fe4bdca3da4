"""``export``: the audit trail as JSON lines, and a re-check of such a file by a third party.

Each line is one event: ``seq, time, actor, action, entity, payload`` (the full payload as a
JSON value; ``null`` when it cannot be rebuilt, e.g. a purged run's metric batch) and
``payload_hash, prev_hash, hash``. :func:`verify_lines` needs nothing but this file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from cairn.errors import InvalidInput
from cairn.store.base import Store
from cairn.store.sql.audit import canonical_json, chain_hash, digest
from cairn.store.sql.audit_verify import GENESIS, AuditFinding

FIELDS = ("seq", "time", "actor", "action", "entity", "payload_hash", "prev_hash", "hash")


def export_lines(store: Store) -> Iterator[str]:
    """One JSON line per event, in ``seq`` order (without trailing newlines)."""
    for ev in store.audit.export_events():
        if ev.action == "orphan_points":
            continue
        record: dict[str, Any] = {name: getattr(ev, name) for name in FIELDS}
        record["payload"] = None if ev.payload is None else json.loads(ev.payload)
        yield json.dumps(record, sort_keys=True, ensure_ascii=False)


def verify_lines(lines: Iterable[str]) -> list[AuditFinding]:
    """Re-verify an export: payload hashes, chain hashes, links and sequence (no database)."""
    found: list[AuditFinding] = []
    last_seq, last_hash = 0, GENESIS
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
            seq, fields = int(ev["seq"]), [ev[name] for name in FIELDS[1:6]]
        except (ValueError, KeyError, TypeError) as err:
            raise InvalidInput(f"line {number} is not an exported audit event ({err})") from None
        if seq != last_seq + 1:
            found.append(
                AuditFinding(seq, "deleted", f"events missing between {last_seq} and {seq}")
            )
        if (
            ev["payload"] is not None
            and digest(canonical_json(ev["payload"])) != ev["payload_hash"]
        ):
            found.append(AuditFinding(seq, "payload", f"payload of event {seq} was edited"))
        if chain_hash(ev["prev_hash"], seq, *fields) != ev["hash"]:
            found.append(AuditFinding(seq, "hash", f"event {seq} does not match its hash"))
        elif ev["prev_hash"] != last_hash:
            found.append(AuditFinding(seq, "prev_hash", f"event {seq}'s prev_hash is wrong"))
        last_seq, last_hash = seq, ev["hash"]
    return found
