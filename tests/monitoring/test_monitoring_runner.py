"""The runner end to end on a real SQLite store: windows, late labels, rules, alerts and
their actions (a real webhook server and shell commands), time windows, two runners."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cairn.monitoring.ingest import log_ground_truth, log_predictions
from cairn.monitoring.monitors import create_monitor
from cairn.monitoring.runner import run_all, run_monitor
from cairn.monitoring.window_data import load_window
from cairn.monitoring.windows import WindowBounds
from cairn.tracking.client import CairnClient
from webhook_support import webhook_server

HOUR = 3_600_000


@pytest.fixture
def hook() -> Iterator[ThreadingHTTPServer]:
    with webhook_server() as server:
        yield server


def frame(rows: int, seed: int, *, start: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    target = rng.integers(0, 2, rows)
    return pd.DataFrame(
        {
            "request_id": [f"r-{start + i}" for i in range(rows)],
            "age": rng.normal(40, 10, rows),
            "plan": rng.choice(["basic", "pro"], rows),
            "prediction": target,
            "target": target,
        }
    )


def make_monitor(client: CairnClient, rules: list[dict[str, Any]], window: dict[str, Any]) -> None:
    client.store.registry.create_registered_model("churn")
    spec = {
        "name": "churn-mon",
        "model": "churn",
        "task": "classification",
        "features": {"age": "numeric", "plan": "categorical"},
        "window": window,
        "rules": rules,
    }
    create_monitor(spec, reference=frame(500, 1).drop(columns=["request_id"]), store=client.store)


def test_windows_late_labels_rules_and_actions(
    client: CairnClient, hook: ThreadingHTTPServer, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{hook.server_address[1]}/alert"
    marker = tmp_path / "fired.txt"
    rules = [
        {
            "name": "f1-decay",
            "when": "f1 < 0.8 for 2 windows",
            "actions": [
                {"webhook": url},
                {"command": f'echo "$CAIRN_RULE $CAIRN_WINDOW" >> {marker}; exit 4'},
                {"command": f'echo "$CAIRN_VALUE" >> {marker}'},
            ],
        },
        {"name": "age-missing", "when": "missing_share(age) > 0.1"},
    ]
    make_monitor(client, rules, {"count": 100})
    store = client.store
    batch = frame(250, 2).drop(columns=["target"])
    batch.loc[150:199, "age"] = np.nan  # the second window misses half its ages
    assert log_predictions(batch, monitor="churn-mon", store=store) == 250

    first = run_monitor("churn-mon", store=store)
    assert first.windows_added == [1, 2] and first.windows_updated == []
    assert [(a.rule, a.window_id) for a in first.alerts] == [("age-missing", 2)]
    windows = store.monitors.list_windows("churn-mon")
    assert [(w.first_seq, w.last_seq, w.rows, w.labelled_rows) for w in windows] == [
        (1, 100, 100, 0),
        (101, 200, 100, 0),
    ]
    assert windows[0].results["quality"] is None
    assert windows[1].results["data_quality"]["columns"]["age"]["missing_share"] == 0.5

    # the labels arrive later, and say the predictions were wrong on both windows
    wrong = {f"r-{i}": int(1 - batch.loc[i, "prediction"]) for i in range(200)}
    assert log_ground_truth(wrong, monitor="churn-mon", store=store) == (200, [])
    second = run_monitor("churn-mon", store=store)
    assert second.windows_added == [] and second.windows_updated == [1, 2]
    assert [(a.rule, a.window_id) for a in second.alerts] == [("f1-decay", 2)]
    alert = second.alerts[0]
    assert alert.value == 0.0 and "f1_macro = 0 < 0.8 for 2 windows" in alert.message
    assert [(a["kind"], a["status"]) for a in alert.actions] == [
        ("webhook", "ok"),
        ("command", "failed"),
        ("command", "ok"),
    ]
    assert alert.actions[1]["exit_code"] == 4
    assert marker.read_text() == "f1-decay 2\n0.0\n"
    posted = hook.received  # type: ignore[attr-defined]
    assert len(posted) == 1 and posted[0]["rule"] == "f1-decay" and posted[0]["window"] == 2
    assert posted[0]["results"]["quality"]["f1_macro"] == 0.0
    assert posted[0]["results"]["labelled_rows"] == 100
    stored = store.monitors.list_alerts("churn-mon")
    assert [a.actions == alert.actions for a in stored if a.alert_id == alert.alert_id] == [True]
    events = [e.action for e in store.audit.list_events(limit=10_000)]
    assert events.count("monitor.window.add") == 2 and events.count("monitor.window.update") == 2
    assert events.count("monitor.alert.add") == 2
    assert events.count("monitor.alert.actions") == 1  # age-missing has no actions

    # nothing new: no window, no second alert for the same streak
    third = run_monitor("churn-mon", store=store)
    assert (third.windows_added, third.windows_updated, third.alerts) == ([], [], [])

    # the streak goes on in window 3 (labels came with the predictions): no new alert
    more = frame(50, 3, start=250)
    more["target"] = 1 - more["prediction"]
    log_predictions(more, monitor="churn-mon", store=store)
    fourth = run_monitor("churn-mon", store=store)
    assert fourth.windows_added == [3] and fourth.alerts == []
    assert store.monitors.get_window("churn-mon", 3).labelled_rows == 50


def test_run_actions_false_leaves_them_pending(client: CairnClient, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    rules = [{"name": "many", "when": "rows >= 10", "actions": [{"command": f"touch {marker}"}]}]
    make_monitor(client, rules, {"count": 10})
    log_predictions(frame(20, 4), monitor="churn-mon", store=client.store)
    summary = run_monitor("churn-mon", store=client.store, run_actions=False)
    assert summary.windows_added == [1, 2]
    assert [a.window_id for a in summary.alerts] == [1]  # one streak, one alert
    assert summary.alerts[0].actions[0]["status"] == "pending"
    assert not marker.exists()


def test_time_windows_and_unknown_labels(client: CairnClient) -> None:
    make_monitor(client, [{"name": "drift", "when": "drift_share >= 0.5"}], {"time": "1h"})
    store = client.store
    batch = frame(30, 5).drop(columns=["target"])
    batch["time"] = [HOUR * (i // 10) * 2 + i for i in range(30)]  # hours 0, 2 and 4
    batch.loc[20:, "age"] = batch.loc[20:, "age"] + 100  # the hour-4 rows drift
    log_predictions(batch, monitor="churn-mon", time_column="time", store=store)
    summary = run_monitor("churn-mon", store=store, now_ms=4 * HOUR + 5)
    assert summary.windows_added == [1, 2]  # hour 4 is still open; hour 1, 3 empty
    windows = store.monitors.list_windows("churn-mon")
    assert [(w.start_time, w.end_time, w.first_seq, w.last_seq, w.rows) for w in windows] == [
        (0, HOUR, 1, 10, 10),
        (2 * HOUR, 3 * HOUR, 11, 20, 10),
    ]
    later = run_monitor("churn-mon", store=store, now_ms=5 * HOUR)
    assert later.windows_added == [3]
    assert [(a.rule, a.window_id) for a in later.alerts] == [("drift", 3)]

    matched, unknown = log_ground_truth(
        {"r-1": 1, "x-1": 0, "x-2": 1}, monitor="churn-mon", store=store
    )
    assert (matched, unknown) == (1, ["x-1", "x-2"])
    spec_window = WindowBounds(0, 2**62, 1, 30)
    from cairn.monitoring.monitors import get_spec

    spec = get_spec(store.monitors.get_monitor("churn-mon"))
    rows, problems = load_window(store, "churn-mon", spec, spec_window)
    assert len(rows) == 30 and rows["target"].notna().sum() == 1
    assert problems == ["2 labels arrived for request ids no prediction has (e.g. x-1, x-2)"]


def test_bad_data_is_a_problem_not_a_crash(client: CairnClient) -> None:
    make_monitor(client, [], {"count": 5})
    batch = frame(5, 6).drop(columns=["age", "target"])  # a monitored column is missing
    log_predictions(batch, monitor="churn-mon", store=client.store)
    summary = run_monitor("churn-mon", store=client.store)
    assert summary.windows_added == [1]
    problems = client.store.monitors.get_window("churn-mon", 1).results["problems"]
    assert any("age" in p for p in problems)


def test_two_runners_never_store_a_window_twice(client: CairnClient) -> None:
    make_monitor(client, [], {"count": 10})
    log_predictions(frame(200, 7), monitor="churn-mon", store=client.store)
    uri = client.tracking_uri
    results: list[Any] = []

    def run() -> None:
        from cairn.store import open_store

        with open_store(uri) as store:
            results.append(run_monitor("churn-mon", store=store))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    windows = client.store.monitors.list_windows("churn-mon")
    assert sorted((w.first_seq, w.last_seq) for w in windows) == [
        (1 + 10 * i, 10 + 10 * i) for i in range(20)
    ]
    assert sum(len(r.windows_added) for r in results) == 20


def test_run_all_reports_each_monitor(client: CairnClient) -> None:
    make_monitor(client, [], {"count": 10})
    log_predictions(frame(10, 8), monitor="churn-mon", store=client.store)
    summaries = run_all(client.store)
    assert [(s.monitor, s.windows_added) for s in summaries] == [("churn-mon", [1])]
