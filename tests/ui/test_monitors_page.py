"""The monitoring pages: the list with each monitor's latest state, a monitor's quality and
drift share over windows with its alerts, a window's drift per feature with reference vs
current distributions, data quality and segments, the create form; 404s for unknown
monitors and windows and, with ``--auth``, for monitors of models the user may not read.

Monitors are made with the library on the server's own SQLite store: a registered model,
``create_monitor`` with a reference frame, real predictions and labels, ``run_monitor``.
"""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

HOSTILE = '<img src=x onerror="alert(1)">'
SPEC = {
    "name": "ui-mon",
    "model": "ui-model",
    "task": "classification",
    "features": {"age": "numeric", "plan": "categorical"},
    "target": "churned",
    "window": {"count": 150},
    "segments": ["region"],
    "description": HOSTILE,
    "rules": [{"name": "drifting", "when": "drift_share > 0.4"}],
}


def frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    found = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n) + shift,
            "plan": rng.choice(["basic", "pro"], n),
            "region": rng.choice(["north", "south"], n),
        }
    )
    found["churned"] = (found.age < 38).astype(int)
    found["prediction"] = np.where(rng.random(n) < 0.85, found["churned"], 1 - found["churned"])
    return found


def make_monitor(store: Any, spec: dict[str, Any], shift: float = 30.0) -> None:
    """A monitor with two windows of 150 predictions, the second with ``age`` shifted."""
    from cairn.monitoring.ingest import log_ground_truth, log_predictions
    from cairn.monitoring.monitors import create_monitor
    from cairn.monitoring.runner import run_monitor

    create_monitor(spec, reference=frame(500, 0), store=store)
    current = pd.concat([frame(150, 1), frame(150, 2, shift)], ignore_index=True)
    current["request_id"] = [f"{spec['name']}-{i}" for i in range(len(current))]
    log_predictions(current.drop(columns=["churned"]), monitor=spec["name"], store=store)
    log_ground_truth(current[["request_id", "churned"]], monitor=spec["name"], store=store)
    run_monitor(spec["name"], store=store, run_actions=False)


def get(server: Any, path: str) -> httpx.Response:
    return httpx.get(server.url + path, headers={"Accept": "text/html"}, timeout=30)


def test_no_monitor_yet_shows_how_to_start(ui_server):
    answer = get(ui_server, "/monitors")
    assert answer.status_code == 200
    assert 'id="no-monitors"' in answer.text and "cairn monitor create" in answer.text


@pytest.fixture(scope="module")
def monitored(ui_server: Any) -> str:
    with ui_server.store() as store:
        store.registry.create_registered_model("ui-model")
        store.registry.create_model_version("ui-model", "/tmp/nowhere")
        make_monitor(store, SPEC)
    return "ui-mon"


def test_list_shows_the_latest_state(ui_server, monitored):
    text = get(ui_server, "/monitors").text
    assert 'href="/monitors/ui-mon"' in text and 'href="/models/ui-model"' in text
    row = text.split('data-monitor="ui-mon"')[1].split("</tr>")[0]
    assert "f1_macro" in row and "drift_share &gt; 0.4" in row  # latest quality, last alert
    assert '<span class="badge status-FAILED">1</span>' in row  # one alert


def test_monitor_page_has_charts_windows_and_alerts(ui_server, monitored):
    answer = get(ui_server, "/monitors/ui-mon")
    assert answer.status_code == 200
    text = answer.text
    assert 'id="quality-chart"' in text and 'id="drift-chart"' in text
    assert 'id="monitor-chart-data"' in text and '"drift_share"' in text
    assert (
        'href="/monitors/ui-mon/windows/1"' in text and 'href="/monitors/ui-mon/windows/2"' in text
    )
    assert "drifting" in text  # the alert on window 2
    assert HOSTILE not in text and "&lt;img src=x" in text


def test_window_page_has_drift_quality_and_segments(ui_server, monitored):
    text = get(ui_server, "/monitors/ui-mon/windows/2").text
    assert 'id="drift-table"' in text and 'data-column="age"' in text
    assert 'class="drifted"' in text
    assert 'id="window-dist-data"' in text and 'id="data-quality-table"' in text
    assert "region=north" in text and "region=south" in text


@pytest.mark.parametrize(
    "path", ["/monitors/nope", "/monitors/ui-mon/windows/9", "/monitors/ui-mon/windows/x"]
)
def test_unknown_monitors_and_windows_are_404_pages(ui_server, monitored, path):
    answer = get(ui_server, path)
    assert answer.status_code == 404 and "Not found" in answer.text


def test_from_the_list_to_a_window_with_charts(page, ui_server, monitored, shot):
    page.goto(f"{ui_server.url}/monitors")
    shot(page, "monitors")
    page.click("a.monitor-link:text('ui-mon')")
    page.wait_for_selector("#quality-chart[data-ready=true] canvas")
    page.wait_for_selector("#drift-chart[data-ready=true] canvas")
    assert page.locator("#alerts-table tbody tr").count() == 1
    shot(page, "monitor")
    page.click("a.window-link:text('#2')")
    page.wait_for_selector("#distributions [data-dist][data-ready=true] canvas")
    assert page.locator("#distributions figure").count() >= 2
    assert "drifted" in page.locator("#drift-table tr[data-column=age]").inner_text()
    shot(page, "monitor-window")


def test_create_form_reports_errors_then_creates(page, ui_server, monitored, tmp_path, console):
    console.allow(r"status of 400")
    reference = tmp_path / "reference.csv"
    frame(300, 5).to_csv(reference, index=False)
    page.goto(f"{ui_server.url}/monitors/new")
    yaml_text = (
        "name: form-mon\nmodel: ui-model\ntask: clustering\n"
        "features: {age: numeric, plan: categorical}\ntarget: churned\n"
    )
    page.fill("#spec", yaml_text)
    page.fill("#reference", str(reference))
    page.click("button[type=submit]")
    assert "task" in page.locator("#form-error").inner_text()
    assert page.input_value("#spec") == yaml_text  # kept for fixing
    page.fill("#spec", yaml_text.replace("clustering", "classification"))
    page.click("button[type=submit]")
    page.wait_for_url(f"{ui_server.url}/monitors/form-mon")
    assert page.locator("#monitor-name").inner_text() == "form-mon"
    assert page.locator("#no-windows").is_visible()


@pytest.mark.slow
def test_a_monitor_of_a_model_the_user_may_not_read_does_not_exist_for_them(
    page, auth_ui_server, sign_in, console
):
    from cairn.store.sql.auth import Permission

    console.allow(r"status of 404")
    with auth_ui_server.store() as store:
        store.registry.create_registered_model("alice-model")
        store.registry.create_model_version("alice-model", "/tmp/nowhere")
        store.auth.grant("alice", "registered_model", "alice-model", Permission.READ)
        make_monitor(store, {**SPEC, "name": "alice-mon", "model": "alice-model"})
    sign_in(page, auth_ui_server, "bob", "/monitors")
    assert "alice-mon" not in page.content()
    for path in ("/monitors/alice-mon", "/monitors/alice-mon/windows/1"):
        assert page.goto(auth_ui_server.url + path).status == 404, path
    page.context.clear_cookies()
    sign_in(page, auth_ui_server, "alice", "/monitors")
    page.click("a.monitor-link:text('alice-mon')")
    assert page.locator("#monitor-name").inner_text() == "alice-mon"
