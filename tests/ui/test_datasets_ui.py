"""The data pages in Chromium: the dataset list (empty state, then filled), one dataset's
versions with the runs that read each, and narrowing with --auth."""

from __future__ import annotations

import json

from cairn.entities import DatasetInput


def _version(name: str, oid: str, rows: int) -> DatasetInput:
    source = {"path": f"data/{name}.csv", "hash": f"blake3:{oid}", "kind": "file"}
    profile = {"num_rows": rows, "size": 2048 * rows, "files": 1}
    schema = {"mlflow_colspec": [{"name": "x", "type": "double"}, {"name": "y", "type": "long"}]}
    return DatasetInput(
        name, oid[:32], "cairn", json.dumps(source), json.dumps(schema), json.dumps(profile),
        {"mlflow.data.context": "training"},
    )  # fmt: skip


def test_datasets_list_and_lineage(ui_server, page, shot):
    page.goto(f"{ui_server.url}/datasets")
    assert page.locator("#no-datasets").is_visible()
    assert "cairn.data.dataset" in page.locator("#no-datasets").inner_text()

    runs = ui_server.data.runs
    with ui_server.store() as store:
        store.run_io.log_inputs(runs["run-00"], [_version("train", "a" * 64, 100)])
        store.run_io.log_inputs(runs["run-01"], [_version("train", "a" * 64, 100)])
        store.run_io.log_inputs(runs["run-02"], [_version("train", "b" * 64, 120)])
    page.goto(f"{ui_server.url}/datasets")
    row = page.locator("#datasets-table tbody tr")
    assert row.count() == 1
    assert (
        row.locator("td").nth(1).inner_text() == "2"
        and row.locator("td").nth(2).inner_text() == "3"
    )
    assert page.locator("nav a", has_text="Data").first.is_visible()
    shot(page, "datasets")

    row.locator("a.dataset-link").click()
    page.wait_for_url("**/datasets/train")
    versions = page.locator(".dataset-version")
    assert versions.count() == 2
    newest = versions.nth(0)
    assert newest.get_attribute("data-digest") == "b" * 32
    assert "120" in newest.inner_text() and "data/train.csv" in newest.inner_text()
    oldest = versions.nth(1)
    assert oldest.locator("table.uses tbody tr").count() == 2
    shot(page, "dataset")
    oldest.locator("table.uses a", has_text="run-00").click()
    page.wait_for_url(f"**/runs/{runs['run-00']}*")
    card = page.locator("#datasets-card")
    assert "train" in card.inner_text() and "training" in card.inner_text()
    assert "100" in card.locator("tbody tr").inner_text()
    card.locator("a", has_text="train").click()
    page.wait_for_url("**/datasets/train")

    page.goto(f"{ui_server.url}/datasets?q=nothing-like-this")
    assert "No dataset matches" in page.inner_text("main")


def test_datasets_are_narrowed_to_what_the_user_may_read(auth_ui_server, page, sign_in, console):
    runs = auth_ui_server.data.runs
    with auth_ui_server.store() as store:
        store.run_io.log_inputs(runs["alice-0"], [_version("alice-secret", "c" * 64, 5)])
    sign_in(page, auth_ui_server, "bob", "/datasets")
    assert page.locator("#datasets-table").count() == 0
    console.allow("404")
    answer = page.goto(f"{auth_ui_server.url}/datasets/alice-secret")
    assert answer.status == 404

    page.context.clear_cookies()
    sign_in(page, auth_ui_server, "alice", "/datasets")
    assert page.locator("#datasets-table a.dataset-link", has_text="alice-secret").count() == 1
