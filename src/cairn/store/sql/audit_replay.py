"""Replaying what audit events set on runs, to compare with the run rows as they are now.

Params, tags, run fields and each metric's latest point are rebuilt from the event payloads
(in ``seq`` order); a row that differs, lacks an event, or vanished without one is a finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cairn.store.sql import schema as t
from cairn.store.sql.run_reads import finite


@dataclass(frozen=True, slots=True)
class AuditFinding:
    """One thing wrong: the event ``seq`` it concerns (``None`` when none does), a kind, words."""

    seq: int | None
    kind: str
    message: str


class Replay:
    """What the events set on runs, to compare with the rows as they are now."""

    def __init__(self) -> None:
        self.params: dict[str, dict[str, tuple[str, int]]] = {}
        self.tags: dict[str, dict[str, tuple[str, int]]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.by_experiment: dict[str, set[str]] = {}
        self.latest: dict[str, dict[str, tuple[tuple[int, int, bool, float], int]]] = {}

    def apply(self, seq: int, action: str, entity: str, payload: str) -> None:
        if action == "experiment.purge":
            for run_id in self.by_experiment.pop(entity.partition(":")[2], set()):
                self._forget(run_id)
            return
        if not entity.startswith("run:") or not action.startswith("run."):
            return
        run_id, data = entity[4:], json.loads(payload)
        if action == "run.create":
            fields = {k: data[k] for k in ("name", "user_id", "start_time")}
            self.runs[run_id] = dict(fields, status="RUNNING", end_time=None, seq=seq)
            self.by_experiment.setdefault(str(data["experiment_id"]), set()).add(run_id)
            self.tags[run_id] = {k: (v, seq) for k, v in data.get("tags", {}).items()}
        elif action == "run.update" and run_id in self.runs:
            self.runs[run_id].update(data, seq=seq)
        elif action == "run.log_batch":
            for key, value in data.get("params", {}).items():
                self.params.setdefault(run_id, {}).setdefault(key, (value, seq))
            for key, value in data.get("tags", {}).items():
                self.tags.setdefault(run_id, {})[key] = (value, seq)
            self._track_latest(run_id, seq, data.get("metrics", []))
        elif action == "run.delete_tag":
            self.tags.get(run_id, {}).pop(data.get("key"), None)
        elif action == "run.purge":
            self._forget(run_id)

    def _track_latest(self, run_id: str, seq: int, metrics: list[list[Any]]) -> None:
        # The store keeps the point with the greatest (step, timestamp, is NaN, value).
        best = self.latest.setdefault(run_id, {})
        for key, value, stamp, step in metrics:
            nan = value != value
            rank = (step, stamp, nan, 0.0 if nan else finite(float(value)))
            known = best.get(key)
            if known is None or rank > known[0]:
                best[key] = (rank, seq)

    def _forget(self, run_id: str) -> None:
        for table in (self.params, self.tags, self.runs, self.latest):
            table.pop(run_id, None)

    def compare(self, conn: sa.Connection) -> list[AuditFinding]:
        found: list[AuditFinding] = []
        r = t.runs.c
        cols = (r.run_uuid, r.name, r.user_id, r.start_time, r.status, r.end_time)
        for run_id, *values in conn.execute(sa.select(*cols).order_by(r.run_uuid)):
            want = self.runs.get(run_id)
            if want is None:
                msg = f"run {run_id} exists but no run.create event made it"
                found.append(AuditFinding(None, "run_row", msg))
                continue
            for name, value in zip(
                ("name", "user_id", "start_time", "status", "end_time"), values, strict=True
            ):
                if value != want.get(name):
                    msg = f"run {run_id} {name} is {value!r} but the audit trail says {want.get(name)!r}"
                    found.append(AuditFinding(want["seq"], "run_row", msg))
        for kind, table, expected in (("param", t.params, self.params), ("tag", t.tags, self.tags)):
            found.extend(_compare_kv(conn, kind, table, expected))
        found.extend(self._compare_latest(conn))
        return found

    def _compare_latest(self, conn: sa.Connection) -> list[AuditFinding]:
        found, seen = [], set()
        m = t.latest_metrics.c
        query = sa.select(m.run_uuid, m.key, m.step, m.timestamp, m.is_nan, m.value)
        for run_id, key, step, stamp, is_nan, value in conn.execute(query):
            seen.add((run_id, key))
            want = self.latest.get(run_id, {}).get(key)
            have = (step, stamp, bool(is_nan), 0.0 if is_nan else float(value))
            if want is None:
                msg = f"latest metric {key!r} of run {run_id} exists but no event logged it"
                found.append(AuditFinding(None, "metric_row", msg))
            elif have != want[0]:
                msg = (
                    f"latest metric {key!r} of run {run_id} is (step, time, nan, value) {have} "
                    f"but the events say {want[0]} (event {want[1]})"
                )
                found.append(AuditFinding(want[1], "metric_row", msg))
        for run_id, keys in self.latest.items():
            for key, (_rank, seq) in keys.items():
                if (run_id, key) not in seen:
                    msg = f"latest metric {key!r} of run {run_id} (event {seq}) was deleted"
                    found.append(AuditFinding(seq, "metric_row", msg))
        return found


def _compare_kv(
    conn: sa.Connection, kind: str, table: sa.Table, expected: dict[str, dict[str, tuple[str, int]]]
) -> list[AuditFinding]:
    found = []
    seen: set[tuple[str, str]] = set()
    query = sa.select(table.c.run_uuid, table.c.key, table.c.value).order_by(
        table.c.run_uuid, table.c.key
    )
    for run_id, key, value in conn.execute(query):
        seen.add((run_id, key))
        want = expected.get(run_id, {}).get(key)
        if want is None:
            msg = f"{kind} {key!r} of run {run_id} is set but no audit event set it"
            found.append(AuditFinding(None, f"{kind}_row", msg))
        elif want[0] != value:
            msg = (
                f"{kind} {key!r} of run {run_id} is {value!r} but event {want[1]} "
                f"set it to {want[0]!r}"
            )
            found.append(AuditFinding(want[1], f"{kind}_row", msg))
    for run_id, keys in expected.items():
        for key, (_value, seq) in keys.items():
            if (run_id, key) not in seen:
                msg = f"{kind} {key!r} of run {run_id} (set by event {seq}) was deleted"
                found.append(AuditFinding(seq, f"{kind}_row", msg))
    return found
