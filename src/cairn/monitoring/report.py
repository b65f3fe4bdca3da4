"""The monitoring report of one monitor: :func:`build_report` gathers its numbers as JSON
(the monitor, its spec, each chosen window's results, the alerts on them) and
:func:`render_html` draws them as one self-contained HTML file (inline SVG plots, no
network, no external files). :func:`get_report` gives both as a :class:`MonitorReport`, which a
notebook shows as the page itself.

``windows`` chooses what the report covers: None (every window), an int ``K`` (the last K
windows) or a sequence of window ids (e.g. ``[7]`` for one window). The last window covered
is the *selected* one, whose per-feature distributions, data quality and segments are shown.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput
from cairn.humanize import iso_utc

if TYPE_CHECKING:
    from cairn.entities import Monitor, MonitorAlert, MonitorWindow
    from cairn.store import Store

__all__ = [
    "REPORT_FORMAT",
    "MonitorReport",
    "build_report",
    "get_report",
    "main_metric",
    "monitor_status",
    "render_html",
    "select_windows",
    "window_problems",
]

REPORT_FORMAT = "cairn.monitor-report/1"


def main_metric(task: str) -> str:
    """The metric a monitor of ``task`` is judged on first (f1_macro or rmse)."""
    return "rmse" if task == "regression" else "f1_macro"


def monitor_dict(monitor: Monitor) -> dict[str, Any]:
    """The JSON form of a monitor (without its spec)."""
    return {
        "name": monitor.name,
        "model": monitor.model,
        "reference_digest": monitor.reference_digest,
        "creator": monitor.creator,
        "creation_time": monitor.creation_time,
        "creation_iso": iso_utc(monitor.creation_time),
        "last_updated_time": monitor.last_updated_time,
        "last_updated_iso": iso_utc(monitor.last_updated_time),
        "records": monitor.records,
    }


def window_dict(window: MonitorWindow) -> dict[str, Any]:
    """The JSON form of a computed window with its results."""
    return {
        "window_id": window.window_id,
        "start_time": window.start_time,
        "start_iso": iso_utc(window.start_time),
        "end_time": window.end_time,
        "end_iso": iso_utc(window.end_time),
        "first_seq": window.first_seq,
        "last_seq": window.last_seq,
        "rows": window.rows,
        "labelled_rows": window.labelled_rows,
        "model_version": window.model_version,
        "computed_time": window.computed_time,
        "computed_iso": iso_utc(window.computed_time),
        "results": window.results,
    }


def alert_dict(alert: MonitorAlert) -> dict[str, Any]:
    """The JSON form of an alert and what its actions did."""
    return {
        "alert_id": alert.alert_id,
        "monitor": alert.monitor,
        "rule": alert.rule,
        "window_id": alert.window_id,
        "time": alert.time,
        "time_iso": iso_utc(alert.time),
        "value": alert.value,
        "message": alert.message,
        "actions": list(alert.actions),
    }


def select_windows(
    all_windows: Sequence[MonitorWindow], windows: int | Sequence[int] | None
) -> list[MonitorWindow]:
    """The windows a report covers (see the module docstring); InvalidInput for a count
    below 1 or an id the monitor does not have."""
    if windows is None:
        return list(all_windows)
    if isinstance(windows, bool) or not isinstance(windows, (int, Sequence)):
        raise InvalidInput(f"windows must be a count or a list of window ids, got {windows!r}")
    if isinstance(windows, int):
        if windows < 1:
            raise InvalidInput(f"windows must be at least 1, got {windows}")
        return list(all_windows)[-windows:]
    by_id = {w.window_id: w for w in all_windows}
    missing = [i for i in windows if i not in by_id]
    if missing:
        known = f"{min(by_id)}..{max(by_id)}" if by_id else "none yet"
        raise InvalidInput(f"no window {missing[0]} in this monitor (windows: {known})")
    return [by_id[i] for i in sorted(set(windows))]


def build_report(
    name: str, *, store: Store | None = None, windows: int | Sequence[int] | None = None
) -> dict[str, Any]:
    """The report of monitor ``name`` as JSON-ready numbers (ms and ISO times)."""
    if store is None:
        from cairn.tracking.client import CairnClient

        store = CairnClient().store
    monitor = store.monitors.get_monitor(name)
    chosen = select_windows(store.monitors.list_windows(name), windows)
    ids = {w.window_id for w in chosen}
    alerts = [a for a in store.monitors.list_alerts(name, limit=10_000) if a.window_id in ids]
    spec = dict(monitor.spec)
    return {
        "format": REPORT_FORMAT,
        "generated_time": int(time.time() * 1000),
        "generated_iso": iso_utc(int(time.time() * 1000)),
        "monitor": monitor_dict(monitor),
        "spec": spec,
        "main_metric": main_metric(str(spec.get("task", "classification"))),
        "selected_window": chosen[-1].window_id if chosen else None,
        "windows": [window_dict(w) for w in chosen],
        "alerts": [alert_dict(a) for a in alerts],
    }


def window_problems(results: dict[str, Any] | None) -> list[str]:
    """One-line data-quality problems of a window's results: its problems and lost columns."""
    found = [str(p) for p in (results or {}).get("problems") or []]
    lost = ((results or {}).get("data_quality") or {}).get("columns_lost") or []
    if lost:
        found.append(f"monitored columns lost: {', '.join(map(str, lost))}")
    return found


def monitor_status(store: Store, monitor: Monitor) -> dict[str, Any]:
    """Where a monitor stands: its windows, the latest window's quality (and main metric),
    drift share and problems, and its alerts (count and the newest)."""
    windows = store.monitors.list_windows(monitor.name)
    latest = windows[-1] if windows else None
    alerts = store.monitors.list_alerts(monitor.name, limit=10_000)
    results = (latest.results if latest else None) or {}
    quality = results.get("quality") or None
    metric = main_metric(str(monitor.spec.get("task", "classification")))
    drift = results.get("drift") or {}
    return {
        "name": monitor.name,
        "model": monitor.model,
        "task": monitor.spec.get("task"),
        "records": monitor.records,
        "windows": len(windows),
        "latest_window": latest.window_id if latest else None,
        "latest_end_iso": iso_utc(latest.end_time) if latest else None,
        "main_metric": metric,
        "main_value": (quality or {}).get(metric),
        "latest_quality": quality,
        "drift_share": drift.get("drift_share"),
        "drifted_columns": drift.get("drifted_columns"),
        "column_count": drift.get("column_count"),
        "problems": window_problems(results),
        "alerts": len(alerts),
        "last_alert": alert_dict(alerts[0]) if alerts else None,
    }


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (see :mod:`cairn.monitoring.report_html`)."""
    from cairn.monitoring.report_html import render

    return render(report)


class MonitorReport:
    """The report of one monitor: its numbers (:meth:`to_dict`) and the self-contained HTML
    page drawing them (:meth:`to_html`, :meth:`save`); a notebook shows the page itself."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __repr__(self) -> str:
        name = self._data["monitor"]["name"]
        windows, alerts = len(self._data["windows"]), len(self._data["alerts"])
        return f"MonitorReport({name!r}, {windows} windows, {alerts} alerts)"

    def to_dict(self) -> dict[str, Any]:
        """The numbers, as ``cairn monitor report --json`` prints them."""
        return self._data

    def to_html(self) -> str:
        """The report as one self-contained HTML page (plots inline, nothing loaded)."""
        return render_html(self._data)

    def to_json(self) -> str:
        """The numbers as indented JSON text."""
        return json.dumps(self._data, indent=2, allow_nan=False, default=str)

    def save(self, path: str | Path) -> Path:
        """Write the HTML page (or, for a ``.json`` path, the numbers) to ``path``."""
        target = Path(path)
        text = self.to_json() if target.suffix.lower() == ".json" else self.to_html()
        target.write_text(text, encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        # In a frame of its own, so that the page's styles stay out of the notebook's.
        page = html.escape(self.to_html(), quote=True)
        return (
            f'<iframe srcdoc="{page}" title="monitoring report" '
            'style="width:100%;height:720px;border:1px solid #d0d7de;border-radius:6px">'
            "</iframe>"
        )


def get_report(
    name: str, *, windows: int | Sequence[int] | None = None, store: Store | None = None
) -> MonitorReport:
    """The report of monitor ``name`` over ``windows`` (None: all; ``K``: the last K; a list
    of window ids), from ``store`` (default: the current tracking store)."""
    return MonitorReport(build_report(name, store=store, windows=windows))
