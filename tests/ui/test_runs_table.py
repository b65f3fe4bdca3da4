"""The runs table in Chromium: filter, sort, columns, paging, selection, delete and restore."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit


def _names(page):
    return page.locator("#runs-table tbody tr[data-run-id] .run-link").all_inner_texts()


def _query(page):
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def _open(page, ui_server, query=""):
    page.goto(f"{ui_server.url}/experiments/{ui_server.data.churn}{query}")


def test_the_table_shows_runs_with_status_duration_and_values(page, ui_server, shot):
    _open(page, ui_server)
    assert page.title() == "churn · cairn"
    assert _names(page) == [f"run-{i:02d}" for i in range(10, -1, -1)]  # newest first
    assert page.inner_text("#runs-count") == "11 runs"
    row = page.locator(f'tr[data-run-id="{ui_server.data.runs["run-03"]}"]')
    assert "failed" in row.inner_text()
    assert "33.0s" in row.inner_text()  # end - start
    headers = page.locator("#runs-table thead tr:last-child th").all_inner_texts()
    assert {"accuracy", "loss", "f1", "lr", "depth", "optimizer"} <= {h.strip() for h in headers}
    link = row.locator(".run-link")
    assert link.get_attribute("href") == f"/runs/{ui_server.data.runs['run-03']}"
    shot(page, "runs-table")


def test_filter_narrows_the_rows_and_lands_in_the_url(page, ui_server):
    _open(page, ui_server)
    page.fill("#run-filter", "metrics.f1 > 0.63 AND params.optimizer = 'sgd'")
    page.press("#run-filter", "Enter")
    page.wait_for_url(re.compile(r"filter="))
    page.wait_for_function("document.querySelector('#runs-count').innerText.startsWith('4 ')")
    assert _names(page) == ["run-10", "run-08", "run-06", "run-04"]
    assert "match the filter" in page.inner_text("#runs-count")
    assert _query(page)["filter"] == ["metrics.f1 > 0.63 AND params.optimizer = 'sgd'"]
    page.reload()  # deep link
    assert _names(page) == ["run-10", "run-08", "run-06", "run-04"]


def test_a_bad_filter_is_explained_under_the_box_and_the_rows_stay(page, ui_server, shot):
    _open(page, ui_server, "?filter=params.optimizer+%3D+%27adam%27")
    before, url = _names(page), page.url
    page.fill("#run-filter", "metrics.loss >")
    page.press("#run-filter", "Enter")
    message = page.locator("#filter-error .filter-message")
    message.wait_for()
    assert "Expected a value" in message.inner_text()
    assert page.get_attribute("#run-filter", "aria-invalid") == "true"
    assert _names(page) == before and page.url == url
    shot(page, "runs-filter-error")
    # A deep link with a bad filter opens, says so, and shows the runs unfiltered.
    _open(page, ui_server, "?filter=nonsense")
    assert "Unknown identifier" in page.inner_text("#filter-error")
    assert len(_names(page)) == 11


def test_sorting_by_a_metric_column_is_server_side_and_flips(page, ui_server):
    _open(page, ui_server)
    page.click('#runs-table th a[data-column="metrics.loss"]')
    page.wait_for_url(re.compile(r"order=-metrics.loss"))
    page.wait_for_function("document.querySelector('#runs-table th[aria-sort]')")
    assert _names(page)[0] == "run-00"  # the highest final loss
    page.click('#runs-table th a[data-column="metrics.loss"]')
    page.wait_for_url(re.compile(r"order=metrics.loss"))
    page.wait_for_function(
        "document.querySelector('#runs-table th[aria-sort]').getAttribute('aria-sort') == 'ascending'"
    )
    assert _names(page)[0] == "run-10"
    page.click('#runs-table th a[data-column="attributes.run_name"]')
    page.wait_for_url(re.compile(r"order=-attributes.run_name"))
    page.wait_for_function(
        "document.querySelector('#runs-table th[aria-sort] a').dataset.column == 'attributes.run_name'"
    )
    assert _names(page)[0] == "run-10"


def test_columns_are_chosen_and_remembered_in_the_url(page, ui_server, shot):
    _open(page, ui_server)
    page.click("#columns-menu summary")
    panel = page.locator(".columns-panel")
    for box in panel.locator("input[type=checkbox][name=cols]").all():
        box.set_checked(False)
    panel.locator('input[value="params.optimizer"]').check()
    panel.locator('input[value="tags.team"]').check()
    page.fill("#add-column", "metrics.f1")
    page.click("[data-add-column]")
    page.fill("#add-column", "nonsense")
    page.click("[data-add-column]")
    assert "metrics, params or tags" in page.inner_text("#add-column-error")
    shot(page, "runs-columns")
    panel.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"cols="))
    assert [c for c in _query(page)["cols"] if c] == ["metrics.f1", "params.optimizer", "tags.team"]
    page.reload()
    headers = page.locator("#runs-table thead tr:last-child th").all_inner_texts()
    assert [h.strip() for h in headers][-3:] == ["f1", "optimizer", "team"]
    assert "accuracy" not in [h.strip() for h in headers]
    first = page.locator("#runs-table tbody tr").first.inner_text()
    assert "growth" in first and "sgd" in first


def test_paging_with_a_total(page, ui_server):
    _open(page, ui_server, "?per=5")
    assert page.inner_text(".pager").startswith("1–5 of 11")
    assert "Page 1 of 3" in page.inner_text(".pager")
    page.click(".pager a[rel=next]")
    page.wait_for_url(re.compile(r"page=2"))
    page.wait_for_function("document.querySelector('.pager').innerText.startsWith('6–10')")
    assert _names(page) == ["run-05", "run-04", "run-03", "run-02", "run-01"]
    page.select_option("#per-page", label="25")
    page.wait_for_url(re.compile(r"^(?!.*per=5).*$"))
    page.wait_for_function("document.querySelectorAll('#runs-table tbody tr').length == 11")
    _open(page, ui_server, "?per=5&page=9")
    assert "past the last run" in page.inner_text("#runs-table")


def test_selected_runs_make_the_compare_link(page, ui_server):
    _open(page, ui_server)
    compare = page.locator("#compare-runs")
    assert compare.get_attribute("aria-disabled") == "true"
    runs = ui_server.data.runs
    page.check(f'input[name=run][value="{runs["run-02"]}"]')
    assert compare.get_attribute("aria-disabled") == "true"  # two at least
    page.check(f'input[name=run][value="{runs["run-04"]}"]')
    assert compare.get_attribute("aria-disabled") == "false"
    assert compare.get_attribute("href") == f"/compare?runs={runs['run-04']},{runs['run-02']}"
    assert page.inner_text("#selected-count") == "2 selected"
    page.check("#select-all")
    assert page.inner_text("#selected-count") == "11 selected"


def test_delete_and_restore_selected_runs(page, ui_server, shot):
    runs = ui_server.data.runs
    _open(page, ui_server)
    page.check(f'input[name=run][value="{runs["run-09"]}"]')
    page.check(f'input[name=run][value="{runs["run-08"]}"]')
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-runs")
    page.wait_for_function("document.querySelector('#runs-count').innerText.startsWith('9 ')")
    assert "run-09" not in _names(page)
    with ui_server.store() as store:
        assert store.runs.get_run(runs["run-09"]).info.lifecycle_stage == "deleted"
    page.click(".view-toggle >> text=Deleted")
    page.wait_for_url(re.compile(r"view=deleted"))
    page.wait_for_function("document.querySelector('#runs-count').innerText.startsWith('3 ')")
    assert sorted(_names(page)) == ["run-08", "run-09", "run-11"]
    shot(page, "runs-deleted")
    page.check(f'input[name=run][value="{runs["run-09"]}"]')
    page.check(f'input[name=run][value="{runs["run-08"]}"]')
    page.click("#restore-runs")
    page.wait_for_function("document.querySelector('#runs-count').innerText.startsWith('1 ')")
    with ui_server.store() as store:
        assert store.runs.get_run(runs["run-09"]).info.lifecycle_stage == "active"
        assert store.runs.count_runs([ui_server.data.churn]) == 11


def test_runs_across_experiments(page, ui_server, shot):
    data = ui_server.data
    page.goto(f"{ui_server.url}/runs?experiments={data.churn},{data.experiments['vision']}")
    assert page.inner_text("#runs-count") == "14 runs"
    headers = page.locator("#runs-table thead tr:last-child th").all_inner_texts()
    assert "Experiment" in [h.strip() for h in headers]
    assert "iou" in [h.strip() for h in headers]
    shot(page, "runs-across")
    page.goto(f"{ui_server.url}/runs")  # every experiment
    assert page.inner_text("#runs-count") == "14 runs"


def test_unknown_experiment_page_says_so(page, ui_server, console, shot):
    console.allow(r"status of 404")
    answer = page.goto(f"{ui_server.url}/experiments/424242")
    assert answer.status == 404
    assert "no experiment has id 424242" in page.inner_text("main").lower()
    shot(page, "experiment-not-found")
    page.goto(f"{ui_server.url}/runs?experiments=424242")
    assert "424242" in page.inner_text("main")
