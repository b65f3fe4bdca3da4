"""What ``cairn monitor`` prints: JSON forms and rich tables of monitors, windows, alerts and
runner summaries (kept apart from the commands in :mod:`cairn.cli.monitor`)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from cairn.cli import output

if TYPE_CHECKING:
    from cairn.entities import Monitor, MonitorAlert
    from cairn.monitoring.runner import RunSummary
    from cairn.store import Store


def monitor_json(monitor: Monitor, with_spec: bool = True) -> dict[str, Any]:
    """A monitor as JSON (ms and ISO times; its spec when asked)."""
    from cairn.monitoring.report import monitor_dict

    found = monitor_dict(monitor)
    if with_spec:
        found["spec"] = dict(monitor.spec)
    return found


def summary_json(summary: RunSummary) -> dict[str, Any]:
    """A runner summary as JSON (alerts in their JSON form)."""
    from cairn.monitoring.report import alert_dict

    found = dataclasses.asdict(summary)
    found["alerts"] = [alert_dict(a) for a in summary.alerts]
    return found


def summary_lines(summary: RunSummary) -> list[str]:
    """``NAME: 3 windows added, 1 recomputed, 2 alerts`` then the alerts and problems."""
    added, updated = len(summary.windows_added), len(summary.windows_updated)
    lines = [
        f"{summary.monitor}: {added} window{'s' if added != 1 else ''} added, "
        f"{updated} recomputed, {len(summary.alerts)} alert{'s' if len(summary.alerts) != 1 else ''}"
    ]
    lines += [f"  alert on window {a.window_id}: {a.message}" for a in summary.alerts]
    lines += [f"  problem: {p}" for p in summary.problems]
    return lines


def _share(drift_share: float | None, drifted: Any, count: Any) -> str:
    if drift_share is None:
        return "-"
    return f"{drift_share:.2f} ({drifted}/{count})"


def status_table(store: Store, monitors: list[Monitor]) -> None:
    """One row per monitor: records, windows, latest quality, drift share, problems, alerts."""
    from cairn.monitoring.report import monitor_status

    grid = output.table(
        "monitor", "model", "records", "windows", "quality", "drift share", "data quality",
        "alerts",
    )  # fmt: skip
    for monitor in monitors:
        found = monitor_status(store, monitor)
        problems = found["problems"]
        grid.add_row(
            output.esc(monitor.name), output.esc(monitor.model), str(monitor.records),
            str(found["windows"]),
            f"{found['main_metric']} {output.format_value(found['main_value'])}",
            _share(found["drift_share"], found["drifted_columns"], found["column_count"]),
            f"[yellow]{len(problems)} problem(s)[/]" if problems else "[green]ok[/]",
            f"[bold red]{found['alerts']}[/]" if found["alerts"] else "0",
        )  # fmt: skip
    output.show(grid)


def windows_table(store: Store, monitor: Monitor) -> None:
    """One row per window of a monitor, then its latest window's problems."""
    from cairn.monitoring.report import main_metric, window_problems

    windows = store.monitors.list_windows(monitor.name)
    fired: dict[int, int] = {}
    for alert in store.monitors.list_alerts(monitor.name, limit=10_000):
        fired[alert.window_id] = fired.get(alert.window_id, 0) + 1
    metric = main_metric(str(monitor.spec.get("task", "classification")))
    grid = output.table(
        "window", "from", "to", "rows", "labelled", metric, "drift share", "problems", "alerts",
        title=f"Monitor {output.esc(monitor.name)} ({output.esc(monitor.model)})",
    )  # fmt: skip
    for window in windows:
        results = window.results or {}
        drift = results.get("drift") or {}
        grid.add_row(
            str(window.window_id), output.iso_utc(window.start_time) or "",
            output.iso_utc(window.end_time) or "", str(window.rows), str(window.labelled_rows),
            output.format_value((results.get("quality") or {}).get(metric)),
            _share(drift.get("drift_share"), drift.get("drifted_columns"),
                   drift.get("column_count")),
            str(len(window_problems(results))), str(fired.get(window.window_id, 0)),
        )  # fmt: skip
    output.show(grid)
    for problem in window_problems(windows[-1].results if windows else None):
        output.say(f"problem: {problem}")
    if not windows:
        output.note(f"No window yet: log predictions, then cairn monitor run {monitor.name}")


def alerts_table(alerts: list[MonitorAlert]) -> None:
    """Alerts, newest first, with what their actions did."""
    grid = output.table("id", "time", "monitor", "rule", "window", "value", "message", "actions")
    for alert in alerts:
        actions = ", ".join(f"{a.get('kind')}:{a.get('status')}" for a in alert.actions) or "-"
        grid.add_row(
            str(alert.alert_id), output.iso_utc(alert.time) or "", output.esc(alert.monitor),
            output.esc(alert.rule), str(alert.window_id), output.format_value(alert.value),
            output.esc(alert.message), output.esc(actions),
        )  # fmt: skip
    output.show(grid)
    if not alerts:
        output.note("No alerts.")
