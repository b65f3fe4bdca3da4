"""Computing a monitor's windows and firing its rules.

:func:`run_monitor` does, in order:

1. recompute the windows that gained labels since they were computed (the labelled records
   in their range outnumber the window's ``labelled_rows``) and store the new results;
2. compute every complete window not computed yet (:mod:`cairn.monitoring.windows`), oldest
   first, and store it;
3. evaluate every rule (:mod:`cairn.monitoring.rules`) on each window from the earliest
   one that changed, in order; a rule that fires stores an alert with its actions
   "pending", runs them (:mod:`cairn.monitoring.actions`; one failing never stops the
   others) and stores what they did. A rule fires at most once per streak of windows it
   holds on, also across runs and recomputations.

Two runners on one monitor do not store a window twice: the store refuses a second window
over the same records (AlreadyExists) and the runner leaves that window to the other.
Bad data never stops a run: it becomes the window's ``problems``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cairn.entities import Monitor, MonitorAlert, MonitorWindow
from cairn.errors import AlreadyExists, CairnError, InvalidInput
from cairn.monitoring.actions import run_action
from cairn.monitoring.rules import Rule, evaluate, holds, parse_rule
from cairn.monitoring.spec import MonitorSpec, RuleSpec
from cairn.monitoring.window_data import MODEL_VERSION_COLUMN, load_window, model_version_of
from cairn.monitoring.windows import WindowBounds, pending_windows
from cairn.store.base import now_ms as _now_ms

__all__ = ["RunSummary", "results_summary", "run_all", "run_monitor"]

_ALERT_LOOKBACK = 10_000  # alerts read back to keep a rule to one alert per streak


_TAKEN = "the window over records {}..{} was stored by another runner meanwhile; left to it"


def _overlap(window: MonitorWindow, bounds: WindowBounds) -> bool:
    """Whether a stored window covers records of ``bounds`` (same seq and time ranges)."""
    return (
        window.first_seq <= bounds.last_seq
        and bounds.first_seq <= window.last_seq
        and window.start_time < bounds.end_time
        and bounds.start_time < window.end_time
    )


@dataclass
class RunSummary:
    """What one run of a monitor did: windows added and recomputed (ids), alerts fired,
    and problems that stopped part of it (a rule that does not parse, an error)."""

    monitor: str
    windows_added: list[int] = field(default_factory=list)
    windows_updated: list[int] = field(default_factory=list)
    alerts: list[MonitorAlert] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        from cairn.reprs import monitor_run_html

        return monitor_run_html(self)


def results_summary(window: MonitorWindow) -> dict[str, Any]:
    """The part of a window's results an action receives (no histograms or matrices)."""
    results = window.results
    quality = results.get("quality")
    drift = results.get("drift") or {}
    prediction = drift.get("prediction")
    return {
        "window_id": window.window_id,
        "start_time": window.start_time,
        "end_time": window.end_time,
        "rows": window.rows,
        "labelled_rows": window.labelled_rows,
        "model_version": window.model_version,
        "quality": {k: v for k, v in quality.items() if k != "confusion_matrix"}
        if quality
        else None,
        "drift_share": drift.get("drift_share"),
        "drifted_columns": sorted(
            name for name, column in (drift.get("columns") or {}).items() if column["drifted"]
        ),
        "prediction_drifted": prediction["drifted"] if prediction else None,
        "problems": list(results.get("problems") or []),
    }


class _Run:
    """One run of one monitor (the state the steps share)."""

    def __init__(self, store: Any, monitor: Monitor, now: int, run_actions: bool) -> None:
        from cairn.monitoring.monitors import get_reference_summary, get_spec

        self.store = store
        self.repo = store.monitors
        self.name = monitor.name
        self.monitor = monitor
        self.spec: MonitorSpec = get_spec(monitor)
        self.summary_ = get_reference_summary(monitor.name, store)
        self.now = now
        self.run_actions = run_actions
        self.result = RunSummary(monitor.name)
        self.rules: list[tuple[RuleSpec, Rule]] = []
        for rule_spec in self.spec.rules:
            try:
                self.rules.append((rule_spec, parse_rule(rule_spec.expr, task=self.spec.task)))
            except InvalidInput as exc:
                self.result.problems.append(f"rule {rule_spec.name!r} skipped: {exc}")
        alerts = self.repo.list_alerts(self.name, limit=_ALERT_LOOKBACK)
        self.alerted = {(alert.rule, alert.window_id) for alert in alerts}

    def compute(self, bounds: WindowBounds) -> tuple[dict[str, Any], int, int | None]:
        from cairn.monitoring.compute import compute_window

        frame, problems = load_window(self.store, self.name, self.spec, bounds)
        version = model_version_of(frame, self.spec)
        frame = frame.drop(columns=[MODEL_VERSION_COLUMN], errors="ignore")
        results = compute_window(self.summary_, self.spec, frame, problems)
        return dict(results), int(results["labelled_rows"]), version

    def recompute_labelled(self, history: list[MonitorWindow]) -> int | None:
        """Recompute windows that gained labels; the index of the first one, or None."""
        first: int | None = None
        for index, window in enumerate(history):
            if window.labelled_rows >= window.rows:
                continue
            records = self.repo.list_records(
                self.name,
                first_seq=window.first_seq,
                last_seq=window.last_seq,
                start_time=window.start_time,
                end_time=window.end_time,
            )
            if sum(record.label is not None for record in records) <= window.labelled_rows:
                continue
            bounds = WindowBounds(
                window.start_time, window.end_time, window.first_seq, window.last_seq
            )
            results, labelled, _ = self.compute(bounds)
            history[index] = self.repo.update_window(
                self.name, window.window_id, labelled_rows=labelled, results=results
            )
            self.result.windows_updated.append(window.window_id)
            first = index if first is None else first
        return first

    def add_pending(self, history: list[MonitorWindow]) -> int | None:
        """Compute and store the complete windows; the index of the first added, or None."""
        first: int | None = None
        for bounds in pending_windows(self.store, self.monitor, self.spec, self.now):
            results, labelled, version = self.compute(bounds)
            after = history[-1].window_id if history else 0
            if any(_overlap(w, bounds) for w in self.repo.list_windows(self.name, after)):
                self.result.problems.append(_TAKEN.format(bounds.first_seq, bounds.last_seq))
                break
            try:
                window = self.repo.add_window(
                    self.name,
                    start_time=bounds.start_time,
                    end_time=bounds.end_time,
                    first_seq=bounds.first_seq,
                    last_seq=bounds.last_seq,
                    rows=int(results["rows"]),
                    labelled_rows=labelled,
                    model_version=version,
                    results=results,
                )
            except AlreadyExists:  # another runner stored this window first: it goes on
                self.result.problems.append(_TAKEN.format(bounds.first_seq, bounds.last_seq))
                break
            history.append(window)
            self.result.windows_added.append(window.window_id)
            first = len(history) - 1 if first is None else first
        return first

    def fire_rules(self, history: list[MonitorWindow], start: int) -> None:
        for index in range(start, len(history)):
            for rule_spec, rule in self.rules:
                firing = evaluate(rule, history[: index + 1])
                if firing is None:
                    continue
                streak = set(firing.streak)
                for later in history[index + 1 :]:  # the streak may go on after this window
                    if not holds(rule, later):
                        break
                    streak.add(later.window_id)
                if any((rule_spec.name, w) in self.alerted for w in streak):
                    continue
                self.fire(rule_spec, history[index], firing.value, firing.message)

    def fire(
        self, rule_spec: RuleSpec, window: MonitorWindow, value: float | None, message: str
    ) -> None:
        pending = [
            {"kind": a.kind, "target": a.target, "status": "pending", "detail": ""}
            for a in rule_spec.actions
        ]
        alert = self.repo.add_alert(
            self.name,
            rule=rule_spec.name,
            window_id=window.window_id,
            value=value,
            message=message,
            actions=pending,
        )
        self.alerted.add((rule_spec.name, window.window_id))
        if self.run_actions and rule_spec.actions:
            context = {
                "monitor": self.name,
                "rule": rule_spec.name,
                "expr": rule_spec.expr,
                "window": window.window_id,
                "value": value,
                "message": message,
                "results": results_summary(window),
            }
            records = [run_action(a, context, store=self.store) for a in rule_spec.actions]
            alert = self.repo.update_alert_actions(alert.alert_id, records)
        self.result.alerts.append(alert)


def _store(store: Any) -> Any:
    if store is not None:
        return store
    from cairn.tracking.client import CairnClient

    return CairnClient().store


def run_monitor(
    name: str, *, store: Any = None, now_ms: int | None = None, run_actions: bool = True
) -> RunSummary:
    """Recompute late-labelled windows, compute the complete new ones and fire the rules of
    monitor ``name`` (see the module docstring); ``now_ms`` closes time windows (default:
    now); ``run_actions=False`` stores alerts with their actions left "pending"."""
    store = _store(store)
    monitor = store.monitors.get_monitor(name)
    run = _Run(store, monitor, _now_ms() if now_ms is None else now_ms, run_actions)
    history = store.monitors.list_windows(name)
    starts = [run.recompute_labelled(history), run.add_pending(history)]
    changed = [index for index in starts if index is not None]
    if changed and run.rules:
        run.fire_rules(history, min(changed))
    return run.result


def run_all(store: Any = None, *, now_ms: int | None = None) -> list[RunSummary]:
    """Run every monitor of the store; one failing is reported in its summary and does not
    stop the others."""
    store = _store(store)
    summaries = []
    for monitor in store.monitors.list_monitors():
        try:
            summaries.append(run_monitor(monitor.name, store=store, now_ms=now_ms))
        except CairnError as exc:
            summaries.append(RunSummary(monitor.name, problems=[f"{type(exc).__name__}: {exc}"]))
    return summaries
