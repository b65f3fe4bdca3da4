"""Windows, alerts and bookkeeping state of monitors in the SQL store.

A window's audit event carries its bounds, counts and the sha256 of its canonical results
JSON, so the trail commits to the results without holding a second copy of them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import MonitorAlert, MonitorWindow
from cairn.errors import AlreadyExists, InvalidInput, NotFound
from cairn.store.base import now_ms
from cairn.store.sql import schema as t
from cairn.store.sql.audit import canonical_json

_m = t.monitors
_w = t.monitor_windows
_a = t.monitor_alerts
_s = t.monitor_state
_WINDOW_COLUMNS = (*(c for c in _w.c if c.name != "monitor_id"), _m.c.name)
_ALERT_COLUMNS = (*(c for c in _a.c if c.name != "monitor_id"), _m.c.name)


def _window(row: Any) -> MonitorWindow:
    return MonitorWindow(
        monitor=row.name,
        window_id=int(row.window_id),
        start_time=int(row.start_time),
        end_time=int(row.end_time),
        first_seq=int(row.first_seq),
        last_seq=int(row.last_seq),
        rows=int(row.row_count),
        labelled_rows=int(row.labelled_count),
        model_version=None if row.model_version is None else int(row.model_version),
        results=json.loads(row.results),
        computed_time=int(row.computed_time),
    )


def _alert(row: Any) -> MonitorAlert:
    return MonitorAlert(
        alert_id=int(row.alert_id),
        monitor=row.name,
        rule=row.rule,
        window_id=int(row.window_id),
        time=int(row.time),
        value=None if row.value is None else float(row.value),
        message=row.message,
        actions=json.loads(row.actions),
    )


def results_digest(results: dict[str, Any]) -> str:
    """sha256 of a window's results as canonical JSON."""
    return hashlib.sha256(canonical_json(results).encode("utf-8")).hexdigest()


def _windows() -> sa.Select:
    return sa.select(*_WINDOW_COLUMNS).join(_m, _m.c.monitor_id == _w.c.monitor_id)


def _alerts() -> sa.Select:
    return sa.select(*_ALERT_COLUMNS).join(_m, _m.c.monitor_id == _a.c.monitor_id)


def add_window(
    conn: Connection,
    monitor_id: int,
    bounds: tuple[int, int, int, int],
    counts: tuple[int, int],
    model_version: int | None,
    results: dict[str, Any],
) -> MonitorWindow:
    """Insert the monitor's next window; AlreadyExists when it holds records of a stored
    window (overlapping sequence and time ranges), as when two runners computed it."""
    _refuse_overlap(conn, monitor_id, bounds)
    last = conn.execute(
        sa.select(sa.func.max(_w.c.window_id)).where(_w.c.monitor_id == monitor_id)
    ).scalar()
    window_id = int(last or 0) + 1
    start, end, first, last_seq = bounds
    conn.execute(
        _w.insert().values(
            monitor_id=monitor_id,
            window_id=window_id,
            start_time=start,
            end_time=end,
            first_seq=first,
            last_seq=last_seq,
            row_count=counts[0],
            labelled_count=counts[1],
            model_version=model_version,
            results=json.dumps(results, separators=(",", ":")),
            computed_time=now_ms(),
        )
    )
    return get_window(conn, monitor_id, window_id)


def _refuse_overlap(conn: Connection, monitor_id: int, bounds: tuple[int, int, int, int]) -> None:
    start, end, first, last = bounds
    if last < first:
        return  # an empty window holds no records
    found = conn.execute(
        sa.select(_w.c.window_id, _w.c.first_seq, _w.c.last_seq)
        .where(
            _w.c.monitor_id == monitor_id,
            _w.c.last_seq >= _w.c.first_seq,
            _w.c.first_seq <= last,
            _w.c.last_seq >= first,
            _w.c.start_time < end,
            _w.c.end_time > start,
        )
        .limit(1)
    ).first()
    if found is not None:
        raise AlreadyExists(
            f"window {found.window_id} holds records {found.first_seq}..{found.last_seq} "
            f"already, which overlap the new window's {first}..{last} in time too; "
            "another runner stored this window first"
        )


def update_window(
    conn: Connection, monitor_id: int, window_id: int, labelled: int, results: dict[str, Any]
) -> MonitorWindow:
    """Replace a window's labelled count and results."""
    window = get_window(conn, monitor_id, window_id)
    if labelled > window.rows:
        raise InvalidInput(f"window labelled_rows {labelled} is more than its rows {window.rows}")
    conn.execute(
        _w.update()
        .where(_w.c.monitor_id == monitor_id, _w.c.window_id == window_id)
        .values(
            labelled_count=labelled,
            results=json.dumps(results, separators=(",", ":")),
            computed_time=now_ms(),
        )
    )
    return get_window(conn, monitor_id, window_id)


def get_window(conn: Connection, monitor_id: int, window_id: int) -> MonitorWindow:
    """One window of a monitor; NotFound otherwise."""
    row = conn.execute(
        _windows().where(_w.c.monitor_id == monitor_id, _w.c.window_id == window_id)
    ).first()
    if row is None:
        name = conn.execute(sa.select(_m.c.name).where(_m.c.monitor_id == monitor_id)).scalar()
        raise NotFound(f"monitor {name!r} has no window {window_id}")
    return _window(row)


def list_windows(
    conn: Connection, monitor_id: int, after_window_id: int, limit: int | None
) -> list[MonitorWindow]:
    """Windows in id order after ``after_window_id``."""
    query = (
        _windows()
        .where(_w.c.monitor_id == monitor_id, _w.c.window_id > after_window_id)
        .order_by(_w.c.window_id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [_window(row) for row in conn.execute(query)]


def add_alert(
    conn: Connection,
    monitor_id: int,
    rule: str,
    window_id: int,
    value: float | None,
    message: str,
    actions: list[dict[str, Any]],
) -> MonitorAlert:
    """Insert an alert on one of the monitor's windows (which must exist)."""
    get_window(conn, monitor_id, window_id)
    alert_id = conn.execute(
        _a.insert().values(
            monitor_id=monitor_id,
            rule=rule,
            window_id=window_id,
            time=now_ms(),
            value=value,
            message=message,
            actions=json.dumps(actions, separators=(",", ":")),
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    return get_alert(conn, int(alert_id))


def get_alert(conn: Connection, alert_id: int) -> MonitorAlert:
    """One alert; NotFound otherwise."""
    row = conn.execute(_alerts().where(_a.c.alert_id == alert_id)).first()
    if row is None:
        raise NotFound(f"no monitor alert {alert_id}; `cairn monitor status` lists alerts")
    return _alert(row)


def set_actions(conn: Connection, alert_id: int, actions: list[dict[str, Any]]) -> MonitorAlert:
    """Replace an alert's actions."""
    get_alert(conn, alert_id)
    conn.execute(
        _a.update()
        .where(_a.c.alert_id == alert_id)
        .values(actions=json.dumps(actions, separators=(",", ":")))
    )
    return get_alert(conn, alert_id)


def list_alerts(conn: Connection, monitor_id: int | None, limit: int) -> list[MonitorAlert]:
    """Alerts newest first (of one monitor when given)."""
    query = _alerts()
    if monitor_id is not None:
        query = query.where(_a.c.monitor_id == monitor_id)
    return [_alert(row) for row in conn.execute(query.order_by(_a.c.alert_id.desc()).limit(limit))]


def get_state(conn: Connection, monitor_id: int, key: str) -> str | None:
    """A bookkeeping value, or None."""
    return conn.execute(  # type: ignore[no-any-return]
        sa.select(_s.c.value).where(_s.c.monitor_id == monitor_id, _s.c.key == key)
    ).scalar()


def set_state(conn: Connection, monitor_id: int, key: str, value: str) -> None:
    """Set a bookkeeping value (replacing the old one)."""
    conn.execute(_s.delete().where(_s.c.monitor_id == monitor_id, _s.c.key == key))
    conn.execute(_s.insert().values(monitor_id=monitor_id, key=key, value=value))
