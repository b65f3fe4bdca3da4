"""The artifact browser in Chromium: listing, navigation, a preview of each kind, downloads,
sandboxed HTML and SVG, and paths that try to leave the run's folder."""

from __future__ import annotations

import io
import json
import re

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cairn.ui import previews

HOSTILE_HTML = b"""<html><body><h1 id="t">Evaluation</h1>
<script>document.getElementById('t').textContent = 'script ran'; parent.postMessage('x', '*')</script>
</body></html>"""
HOSTILE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="60" height="30">'
    b'<rect width="60" height="30" fill="teal"/><script>alert(1)</script></svg>'
)


@pytest.fixture(scope="module")
def run_id(ui_server):
    """run-00 with the populated files plus parquet, SVG, hostile HTML and large files."""
    run_id = ui_server.data.runs["run-00"]
    with ui_server.store() as store:
        files = store.artifact_store(store.runs.get_run(run_id).info.artifact_uri, run_id)
        table = pa.table(
            {
                "id": list(range(500)),
                "label": [f"l{i}" for i in range(500)],
                "score": [None if i % 9 == 0 else i / 7 for i in range(500)],
            }
        )
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        files.log_bytes(buffer.getvalue(), "data/scores.parquet")
        files.log_bytes(HOSTILE_SVG, "plots/box.svg")
        files.log_bytes(HOSTILE_HTML, "reports/eval.html")
        files.log_bytes(b"line\n" * (previews.TEXT_LIMIT // 5 + 10), "logs/huge.log")
    return run_id


def open_file(page, ui_server, run_id, path):
    page.goto(f"{ui_server.url}/runs/{run_id}/artifacts?path={path}")
    return page.locator(".preview-body")


def test_the_listing_has_folders_first_with_sizes_and_navigates(page, ui_server, run_id, shot):
    page.goto(f"{ui_server.url}/runs/{run_id}")
    page.get_by_role("link", name="Artifacts", exact=True).click()
    page.wait_for_url(f"{ui_server.url}/runs/{run_id}/artifacts")
    names = page.locator("#artifact-files td.name").all_inner_texts()
    assert names[:6] == ["data/", "logs/", "model/", "plots/", "reports/", "config.json"]
    row = page.locator("#artifact-files tr", has_text="notes.txt")
    assert row.locator("td.num").inner_text() == "40 B"
    shot(page, "artifacts-root")
    page.get_by_role("link", name="data/").click()  # htmx swaps the browser, the URL follows
    page.wait_for_url(re.compile(r"/artifacts\?path=data$"))
    assert page.locator(".artifact-crumbs").inner_text() == "artifacts / data"
    page.get_by_role("link", name="table.csv").click()
    page.wait_for_url(re.compile(r"path=data/table\.csv$"))
    page.locator(".preview-table").wait_for()
    page.go_back()
    page.wait_for_url(re.compile(r"/artifacts\?path=data$"))
    page.locator("#artifact-files").get_by_role("link", name="..").click()
    page.wait_for_url(re.compile(r"/artifacts$"))


def test_text_preview(page, ui_server, run_id):
    body = open_file(page, ui_server, run_id, "notes.txt")
    assert body.locator("pre").inner_text() == "Trained on churn-2024-05.\nNo surprises.\n"


def test_json_is_pretty_printed(page, ui_server, run_id, shot):
    body = open_file(page, ui_server, run_id, "config.json")
    text = body.locator("pre").inner_text()
    assert json.loads(text) == {"lr": 0.01, "layers": [64, 32]}
    assert '"layers": [\n    64,' in text
    shot(page, "artifacts-json")


def test_yaml_preview(page, ui_server, run_id):
    body = open_file(page, ui_server, run_id, "params.yaml")
    assert body.get_attribute("data-kind") == "yaml"
    assert "optimizer: adam" in body.locator("pre").inner_text()


def test_png_is_shown_as_an_image(page, ui_server, run_id, shot):
    body = open_file(page, ui_server, run_id, "plots/curve.png")
    image = body.locator("img")
    page.wait_for_function("document.querySelector('.preview-body img').complete")
    assert image.evaluate("img => img.naturalWidth") == 8
    shot(page, "artifacts-png")


def test_svg_is_an_image_never_inline_and_served_sandboxed(page, ui_server, run_id):
    body = open_file(page, ui_server, run_id, "plots/box.svg")
    assert body.locator("svg").count() == 0
    page.wait_for_function("document.querySelector('.preview-body img').complete")
    assert body.locator("img").evaluate("img => img.naturalWidth") == 60
    answer = httpx.get(f"{ui_server.url}/runs/{run_id}/artifacts/raw/plots/box.svg")
    assert answer.headers["content-type"] == "image/svg+xml"
    assert answer.headers["content-security-policy"] == "sandbox"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_csv_is_a_table_with_column_types(page, ui_server, run_id, shot):
    body = open_file(page, ui_server, run_id, "data/table.csv")
    heads = body.locator("thead th").all_inner_texts()
    assert heads == ["customer\nstr", "churned\nint64", "score\nfloat64"]
    assert body.locator("tbody tr").count() == 25
    assert body.locator("tbody tr").first.locator("td").all_inner_texts() == ["c0", "0", "0.0"]
    shot(page, "artifacts-csv")


def test_parquet_is_a_table_of_its_first_rows(page, ui_server, run_id, shot):
    body = open_file(page, ui_server, run_id, "data/scores.parquet")
    heads = body.locator("thead th").all_inner_texts()
    assert heads == ["id\nint64", "label\nstring", "score\ndouble"]
    assert body.locator("tbody tr").count() == previews.TABLE_ROWS
    assert "500 rows · 3 columns · the first 100 rows are shown" in body.inner_text()
    assert body.locator("tbody tr").first.locator("td.null").inner_text() == "null"
    shot(page, "artifacts-parquet")


def test_html_is_shown_in_a_sandbox_where_its_scripts_do_not_run(
    page, ui_server, run_id, shot, console
):
    console.allow(r"Blocked script execution .* the document's frame is sandboxed")  # the point
    with page.expect_response(lambda r: r.url.endswith("/raw/reports/eval.html")) as served:
        body = open_file(page, ui_server, run_id, "reports/eval.html")
    frame_element = body.locator("iframe")
    assert frame_element.get_attribute("sandbox") == ""  # every restriction on
    headers = served.value.headers
    assert headers["content-security-policy"] == "sandbox"
    assert headers["x-content-type-options"] == "nosniff"
    frame = frame_element.content_frame
    frame.locator("#t").wait_for()
    assert frame.locator("#t").inner_text() == "Evaluation"  # the script did not run
    shot(page, "artifacts-html")


def test_large_and_binary_files_offer_a_download(page, ui_server, run_id):
    body = open_file(page, ui_server, run_id, "logs/huge.log")
    assert "Too large to preview" in body.inner_text()
    body = open_file(page, ui_server, run_id, "model/weights.bin")
    assert "No preview for this file" in body.inner_text()
    link = page.locator(".preview-head").get_by_role("link", name="Download")
    assert link.get_attribute("download") == "weights.bin"
    answer = page.request.get(ui_server.url + link.get_attribute("href"))
    assert answer.status == 200 and answer.body() == bytes(range(256)) * 4


def test_paths_that_leave_the_run_are_refused(page, ui_server, run_id, console):
    console.allow(r"status of 40[04]")
    answer = page.goto(f"{ui_server.url}/runs/{run_id}/artifacts?path=../../ui.db")
    assert answer.status == 400
    assert "contains '..'" in page.locator(".message").inner_text()
    answer = page.goto(f"{ui_server.url}/runs/{run_id}/artifacts?path=%252e%252e%252fui.db")
    assert answer.status == 400
    raw = httpx.get(f"{ui_server.url}/runs/{run_id}/artifacts/raw/..%2F..%2F..%2Fui.db")
    assert raw.status_code in (400, 404) and b"SQLite" not in raw.content
    answer = page.goto(f"{ui_server.url}/runs/{run_id}/artifacts?path=no/such/file.txt")
    assert answer.status == 404
    assert "has no artifact 'no/such/file.txt'" in page.locator(".message").inner_text()


def test_only_images_and_pages_are_served_raw(ui_server, run_id):
    answer = httpx.get(f"{ui_server.url}/runs/{run_id}/artifacts/raw/notes.txt")
    assert answer.status_code == 400
    assert "is not an image or an HTML page" in answer.text


def test_a_run_without_artifacts_says_how_to_log_them(page, ui_server):
    page.goto(f"{ui_server.url}/runs/{ui_server.data.runs['vis-1']}/artifacts")
    assert "No artifacts" in page.locator(".artifact-list").inner_text()


def test_a_huge_folder_lists_its_first_entries(page, ui_server, run_id):
    with ui_server.store() as store:
        files = store.artifact_store(store.runs.get_run(run_id).info.artifact_uri, run_id)
        for i in range(1005):
            files.log_bytes(b"x", f"many/f{i:04d}.txt")
    page.goto(f"{ui_server.url}/runs/{run_id}/artifacts?path=many")
    assert page.locator("#artifact-files tr.file").count() == 1000
    assert (
        "The first 1000 of 1,005 entries are listed" in page.locator(".artifact-list").inner_text()
    )
