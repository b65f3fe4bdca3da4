"""The shell: navigation, static files, redirects, error pages and ``cairn ui``."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cairn.testing.services import free_port
from cairn.ui import formatting, nav


def test_root_redirects_to_the_experiments(page, ui_server, shot):
    page.goto(ui_server.url + "/")
    assert page.url == ui_server.url + "/experiments"
    assert page.locator("nav.mainnav a.active").inner_text() == "Experiments"
    assert page.title() == "Experiments · cairn"
    shot(page, "shell-experiments")


def test_every_page_of_the_shell_loads_without_errors(page, ui_server, shot):
    page.goto(ui_server.url + "/account")
    assert page.inner_text("h1") == "Account"
    assert "without sign-in" in page.inner_text("main")  # no accounts without --auth
    page.goto(f"{ui_server.url}/experiments/{ui_server.data.experiments['empty-experiment']}")
    assert page.inner_text("h1") == "empty-experiment"
    assert page.locator("nav.mainnav a.active").inner_text() == "Experiments"
    page.click("nav.mainnav >> text=Runs")
    page.wait_for_url(ui_server.url + "/runs")
    assert page.locator("nav.mainnav a.active").inner_text() == "Runs"
    shot(page, "runs-all")
    page.goto(ui_server.url + "/login?next=/runs")  # nothing to sign in to: go on
    assert page.url == ui_server.url + "/runs"


def test_an_unknown_address_gets_a_page_for_browsers_and_json_for_clients(page, ui_server, console):
    console.allow(r"status of 404")
    answer = page.goto(ui_server.url + "/experimentz")
    assert answer.status == 404
    assert "there is no page at /experimentz" in page.inner_text("main")
    api = httpx.get(ui_server.url + "/api/v1/nothing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    client = httpx.get(ui_server.url + "/experimentz")
    assert client.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_static_files_are_versioned_and_cached_for_long(ui_server):
    html = httpx.get(ui_server.url + "/experiments").text
    urls = re.findall(r'(/static/[^"?]+\?v=[0-9a-f]{12})', html)
    assert {"/static/cairn.css", "/static/vendor/htmx.min.js", "/static/js/cairn.js"} <= {
        u.split("?")[0] for u in urls
    }
    for url in urls:
        answer = httpx.get(ui_server.url + url)
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers["x-content-type-options"] == "nosniff"
    plain = httpx.get(ui_server.url + "/static/cairn.css")
    assert plain.headers["cache-control"] == "no-cache"
    assert httpx.get(ui_server.url + "/static/../app.py").status_code == 404
    assert httpx.get(ui_server.url + "/static/vendor/htmx.LICENSE").status_code == 200
    pages = httpx.get(ui_server.url + "/experiments")
    assert pages.headers["cache-control"] == "no-store"


def test_pages_stay_out_of_the_api_document(ui_server):
    paths = httpx.get(ui_server.url + "/openapi.json").json()["paths"]
    assert not [p for p in paths if not p.startswith(("/api/", "/health", "/version"))]


def test_a_bad_runs_table_url_still_opens_and_says_what_was_ignored(ui_server):
    answer = httpx.get(f"{ui_server.url}/experiments/{ui_server.data.churn}?page=zero&per=9999")
    assert answer.status_code == 200
    assert "Part of the address was ignored" in answer.text
    assert "page must be a whole number" in answer.text


def test_navigation_registry_orders_and_marks_entries():
    entry = nav.register("Widgets", "/widgets", order=35)
    try:
        labels = [e.label for e in nav.entries()]
        assert labels.index("Experiments") < labels.index("Runs") < labels.index("Widgets")
        assert entry.is_active("/widgets/churn/3") and entry.is_active("/widgets")
        assert not entry.is_active("/widgetsx")
    finally:
        nav._ENTRIES.pop("Widgets")


def test_formatting():
    now = 1_700_000_000_000
    assert formatting.ago(now - 5_000, now) == "just now"
    assert formatting.ago(now - 3 * 60_000, now) == "3 min ago"
    assert formatting.ago(now - 2 * 86_400_000, now) == "2 days ago"
    assert formatting.ago(now - 400 * 86_400_000, now) == "2022-10-10"
    assert formatting.duration(0, 4_200) == "4.2s"
    assert formatting.duration(0, 187_000) == "3m 07s"
    assert formatting.duration(0, 3_720_000) == "1h 02m"
    assert formatting.duration(0, 90_000_000) == "1d 01h"
    assert formatting.number(0.000012345) == "1.234e-05"
    assert formatting.number(0.8421337) == "0.8421"
    assert formatting.number(float("nan")) == "NaN"
    assert formatting.number(12_345_678.0) == "1.235e+07"
    assert formatting.count(20_000) == "20,000"
    assert formatting.iso_time(None) == ""


@pytest.mark.slow
def test_cairn_ui_serves_the_local_store(tmp_path: Path):
    from cairn.store import open_store

    uri = f"sqlite:///{tmp_path / 'local.db'}"
    with open_store(uri) as store:
        store.experiments.create_experiment("from-the-notebook")
    cairn = str(Path(sys.executable).parent / "cairn")
    port = free_port()
    log = (tmp_path / "ui.log").open("wb")
    process = subprocess.Popen(
        [cairn, "ui", "--port", str(port), "--backend-store-uri", uri], stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/experiments", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "ui.log").read_text()
                assert time.monotonic() < deadline, "cairn ui did not answer"
                time.sleep(0.1)
        assert answer.status_code == 200 and "from-the-notebook" in answer.text
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def test_cairn_ui_refuses_bad_options(tmp_path: Path):
    from click.testing import CliRunner

    from cairn.cli import cli

    runner = CliRunner()
    refused = runner.invoke(cli, ["ui", "--backend-store-uri", "http://127.0.0.1:1"])
    assert refused.exit_code == 2
    assert "a server cannot serve another server" in refused.output
    refused = runner.invoke(cli, ["ui", "--port", "0"])
    assert refused.exit_code == 2 and "--port" in refused.output
    assert not list(tmp_path.iterdir())
