"""The experiments page in Chromium: counts, activity, create, rename, delete, restore."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cairn.server import ServerSettings
from cairn.server.live import LiveServer


def _row(page, name):
    return page.locator(f'#experiments-table tr[data-name="{name}"]')


def test_lists_experiments_with_run_counts_and_activity(page, ui_server, shot):
    page.goto(ui_server.url + "/experiments")
    rows = page.locator("#experiments-table tbody tr")
    names = rows.evaluate_all("rows => rows.map(r => r.dataset.name)")
    assert set(names) == {"Default", "churn", "vision", "empty-experiment"}  # not "retired"
    churn = _row(page, "churn")
    assert churn.locator("td").nth(2).inner_text() == "11"  # 12 runs, one deleted
    assert _row(page, "vision").locator("td").nth(2).inner_text() == "3"
    assert churn.locator("td").nth(3).inner_text() in ("just now", "1 min ago")
    assert page.locator("#nothing-logged").count() == 0
    shot(page, "experiments")


def test_sorting_and_finding_are_in_the_url(page, ui_server):
    page.goto(ui_server.url + "/experiments")
    page.click("#experiments-table th >> text=Runs")
    page.wait_for_url(re.compile(r"sort=-runs"))
    first = page.locator("#experiments-table tbody tr").first
    assert first.get_attribute("data-name") == "churn"
    page.fill("input[name=q]", "vis")
    page.click("text=Find")
    page.wait_for_url(re.compile(r"q=vis"))
    assert page.locator("#experiments-table tbody tr").count() == 1
    page.goto(ui_server.url + "/experiments?q=nothing-like-this")
    assert "No experiment matches" in page.inner_text("main")


def test_create_opens_the_new_experiment(page, ui_server, shot):
    page.goto(ui_server.url + "/experiments")
    page.fill("#new-experiment-name", "fresh-ideas")
    page.click("text=Create experiment")
    page.wait_for_url(re.compile(r"/experiments/\d+$"))
    assert page.inner_text("h1") == "fresh-ideas"
    empty = page.inner_text("#runs-table")
    assert "No runs yet" in empty and 'cairn.set_experiment("fresh-ideas")' in empty
    shot(page, "experiment-empty")
    with ui_server.store() as store:
        assert store.experiments.get_experiment_by_name("fresh-ideas").experiment_id in page.url


def test_create_with_a_taken_name_says_so_and_changes_nothing(page, ui_server, console):
    console.allow(r"status of 409")
    with ui_server.store() as store:
        before = len(store.experiments.search_experiments(view_type="all").items)
    page.goto(ui_server.url + "/experiments")
    page.fill("#new-experiment-name", "churn")
    page.click("text=Create experiment")
    error = page.locator("#create-error")
    error.wait_for(state="visible")
    assert "churn" in error.inner_text() and "exist" in error.inner_text()
    assert page.url.endswith("/experiments")
    with ui_server.store() as store:
        assert len(store.experiments.search_experiments(view_type="all").items) == before


def test_rename_in_place(page, ui_server, console):
    with ui_server.store() as store:
        experiment_id = store.experiments.create_experiment("to-rename")
    page.goto(ui_server.url + "/experiments")
    _row(page, "to-rename").locator("button[data-action=rename]").click()
    field = _row(page, "to-rename").locator("input[name=name]")
    field.fill("churn")  # taken: refused, shown in place
    console.allow(r"status of 409")
    field.press("Enter")
    problem = _row(page, "to-rename").locator(".field-error")
    problem.wait_for(state="visible")
    assert "churn" in problem.inner_text()
    field.fill("renamed-one")
    field.press("Enter")
    _row(page, "renamed-one").wait_for()
    with ui_server.store() as store:
        assert store.experiments.get_experiment(experiment_id).name == "renamed-one"


def test_delete_then_restore(page, ui_server, shot):
    with ui_server.store() as store:
        experiment_id = store.experiments.create_experiment("short-lived")
    page.goto(ui_server.url + "/experiments")
    page.once("dialog", lambda dialog: dialog.accept())
    _row(page, "short-lived").locator("button[data-action=delete]").click()
    page.wait_for_load_state()
    _row(page, "short-lived").wait_for(state="detached")
    with ui_server.store() as store:
        assert store.experiments.get_experiment(experiment_id).lifecycle_stage == "deleted"
    page.check("#show-deleted")
    page.wait_for_url(re.compile(r"show=all"))
    row = _row(page, "short-lived")
    assert "deleted" in row.inner_text()
    assert _row(page, "retired").count() == 1
    shot(page, "experiments-deleted")
    row.locator("button[data-action=restore]").click()
    page.wait_for_load_state()
    _row(page, "short-lived").locator("button[data-action=delete]").wait_for()
    with ui_server.store() as store:
        assert store.experiments.get_experiment(experiment_id).lifecycle_stage == "active"


def test_cancelled_delete_changes_nothing(page, ui_server):
    page.goto(ui_server.url + "/experiments")
    page.once("dialog", lambda dialog: dialog.dismiss())
    _row(page, "vision").locator("button[data-action=delete]").click()
    assert _row(page, "vision").count() == 1
    with ui_server.store() as store:
        assert store.experiments.get_experiment_by_name("vision").lifecycle_stage == "active"


@pytest.fixture
def empty_server(tmp_path: Path):
    settings = ServerSettings(f"sqlite:///{tmp_path / 'empty.db'}", str(tmp_path / "artifacts"))
    with LiveServer(settings) as live:
        yield live.url


def test_nothing_logged_yet_shows_how_to_start(page, empty_server, shot):
    page.goto(empty_server + "/experiments")
    text = page.inner_text("#nothing-logged")
    assert "import cairn" in text and "cairn.start_run()" in text
    assert f"CAIRN_TRACKING_URI={empty_server}" in text
    shot(page, "experiments-nothing-logged")
