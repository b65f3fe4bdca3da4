"""The run page in Chromium: overview, description and tag editing, params filter, charts."""

from __future__ import annotations

import json
import math
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from cairn.entities import Metric, RunTag

BASE = 1_700_000_000_000
CONTEXT = {
    "cairn.source.type": "SCRIPT",
    "cairn.source.name": "train.py",
    "cairn.source.command": "python train.py --lr 0.01 --api-key REDACTED",
    "cairn.source.git.commit": "0123456789abcdef0123456789abcdef01234567",
    "cairn.source.git.branch": "main",
    "cairn.source.git.remote": "git@github.com:acme/churn.git",
    "cairn.source.git.dirty": "true",
    "cairn.source.git.diff_hash": "blake3:5d41402abc4b2a76b9719d911017c592",
    "cairn.python.version": "3.11.9",
    "cairn.python.implementation": "CPython",
    "cairn.os": "Linux-6.1.0-x86_64-with-glibc2.36",
    "cairn.host": "trainer-7",
    "cairn.user": "ann",
    "cairn.environment.hash": "blake3:0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "cairn.hardware.cpu": "AMD EPYC 7763",
    "cairn.hardware.cores": "16",
    "cairn.hardware.physical_cores": "8",
    "cairn.hardware.memory_gb": "62.8",
    "cairn.hardware.gpu.count": "1",
    "cairn.hardware.gpu.names": "NVIDIA A100",
    "cairn.seed.python": "42",
    "cairn.seed.numpy": "42",
}


@pytest.fixture(scope="module")
def runs(ui_server):
    """The populated runs, run-00 with a recorded context and a 100,000-point metric."""
    ids = ui_server.data.runs
    with ui_server.store() as store:
        run_id = ids["run-00"]
        store.runs.log_batch(run_id, tags=[RunTag(k, v) for k, v in CONTEXT.items()])
        files = store.artifact_store(store.runs.get_run(run_id).info.artifact_uri, run_id)
        files.log_bytes(
            b"diff --git a/train.py b/train.py\n+lr = 0.02\n", "source/uncommitted.diff"
        )
        big = [
            Metric("big", 50.0 if i % 25_000 == 7 else math.sin(i / 400), BASE + i * 10, i)
            for i in range(100_000)
        ]
        long_id = store.runs.create_run(ui_server.data.churn, run_name="long-run").info.run_id
        for start in range(0, len(big), 25_000):
            store.runs.log_batch(long_id, metrics=big[start : start + 25_000])
        ids["long-run"] = long_id
    return ids


def tags_of(ui_server, run_id):
    with ui_server.store() as store:
        return store.runs.get_run(run_id).data.tags


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_the_overview_shows_what_the_run_recorded(page, ui_server, runs, shot):
    page.goto(f"{ui_server.url}/runs/{runs['run-00']}")
    assert page.title() == "run-00 · cairn"
    facts = page.locator("dl.facts").all_inner_texts()
    text = "\n".join(facts)
    for expected in ("FINISHED", "ann", "trainer-7", "train.py", "CPython 3.11.9", "AMD EPYC 7763",
                     "16 logical, 8 physical", "62.8 GB", "NVIDIA A100", "main"):  # fmt: skip
        assert expected in text
    commit = page.get_by_role("link", name="0123456789abcdef0123456789abcdef01234567")
    assert commit.get_attribute("href") == (
        "https://github.com/acme/churn/commit/0123456789abcdef0123456789abcdef01234567"
    )
    diff = page.get_by_role("link", name="yes: view the diff")
    assert diff.get_attribute("href").endswith("/artifacts?path=source/uncommitted.diff")
    seeds = page.locator("section.card", has=page.locator("h2", has_text="Seeds"))
    assert "numpy" in seeds.inner_text() and "42" in seeds.inner_text()
    # description rendered from markdown, metrics with min/max, params
    assert page.locator("#description-view h1").inner_text() == "run-00"
    assert page.locator("#description-view strong").inner_text() == "churn"
    loss = page.locator("#metrics-table tr", has=page.get_by_role("link", name="loss"))
    assert loss.locator("td").nth(3).inner_text() == "0.03333"  # min
    assert loss.locator("td").nth(4).inner_text() == "1"  # max
    assert page.locator("#params-table tr").count() == 3
    shot(page, "run-overview")
    diff.click()
    page.wait_for_url(re.compile(r"/artifacts\?path=source/uncommitted\.diff$"))
    assert "+lr = 0.02" in page.locator("pre.preview-text").inner_text()


def test_parent_and_child_runs_link_to_each_other(page, ui_server, runs):
    page.goto(f"{ui_server.url}/runs/{runs['run-07']}")
    page.locator("#child-runs").get_by_role("link", name="run-08").click()
    page.wait_for_url(f"{ui_server.url}/runs/{runs['run-08']}")
    page.get_by_role("link", name="run-07").click()
    page.wait_for_url(f"{ui_server.url}/runs/{runs['run-07']}")


def test_the_description_is_edited_and_rendered_safely(page, ui_server, runs, shot):
    run_id = runs["run-01"]
    page.goto(f"{ui_server.url}/runs/{run_id}")
    page.get_by_role("button", name="Edit").first.click()
    text = (
        "## Findings\n\nLower **lr** helped. [paper](https://example.org/p) "
        "[bad](javascript:alert(1)) <script>window.hacked = 1</script>"
    )
    page.locator("#description-form textarea").fill(text)
    page.locator("#description-form").get_by_role("button", name="Save").click()
    page.locator("#description-view h2", has_text="Findings").wait_for()
    assert tags_of(ui_server, run_id)["cairn.note.content"] == text
    view = page.locator("#description-view")
    assert view.locator("script").count() == 0
    assert "<script>window.hacked = 1</script>" in view.inner_text()  # shown as text
    assert view.locator("a").count() == 1
    link = view.get_by_role("link", name="paper")
    assert link.get_attribute("href") == "https://example.org/p"
    assert link.get_attribute("rel") == "nofollow noopener noreferrer"
    assert page.evaluate("window.hacked") is None
    shot(page, "run-description-edited")
    # clearing the text removes the description
    page.get_by_role("button", name="Edit").first.click()
    page.locator("#description-form textarea").fill("")
    page.locator("#description-form").get_by_role("button", name="Save").click()
    page.locator("#description-view", has_text="No description yet").wait_for()
    assert "cairn.note.content" not in tags_of(ui_server, run_id)


def test_tags_are_added_edited_and_deleted(page, ui_server, runs, shot, console):
    run_id = runs["run-02"]
    page.goto(f"{ui_server.url}/runs/{run_id}")
    form = page.locator("#tag-add")
    form.locator("input[name=key]").fill("stage")
    form.locator("input[name=value]").fill("candidate")
    form.get_by_role("button", name="Add tag").click()
    row = page.locator("#tags-table tr[data-key=stage]")
    row.wait_for()
    assert tags_of(ui_server, run_id)["stage"] == "candidate"

    row.get_by_role("button", name="Edit").click()
    row.locator("td.value input").fill("production")
    row.get_by_role("button", name="Save").click()
    page.locator("#tags-table tr[data-key=stage] .tag-value", has_text="production").wait_for()
    assert tags_of(ui_server, run_id)["stage"] == "production"
    shot(page, "run-tags")

    page.locator("#tags-table tr[data-key=stage]").get_by_role("button", name="Delete").click()
    page.locator("#tags-table tr[data-key=stage]").wait_for(state="detached")
    assert "stage" not in tags_of(ui_server, run_id)

    # a bad key is refused by the API, the message is shown, nothing is stored
    console.allow(r"Failed to load resource.*400")
    form = page.locator("#tag-add")
    form.locator("input[name=key]").fill("bad key!")
    form.get_by_role("button", name="Add tag").click()
    flash = page.locator("#flash")
    # the flash of the delete above may still show: wait for this answer's message
    page.locator("#flash", has_text="bad key!").wait_for()
    assert "bad key!" in flash.inner_text() and "contains '!'" in flash.inner_text()
    assert "bad key!" not in tags_of(ui_server, run_id)


def test_the_params_table_filters(page, ui_server, runs):
    page.goto(f"{ui_server.url}/runs/{runs['run-00']}")
    page.locator("#params-filter").fill("optim")
    visible = page.locator("#params-table tr:visible")
    assert visible.count() == 1 and "sgd" in visible.inner_text()
    page.locator("#params-filter").fill("no such param")
    assert page.locator("#params-none").is_visible()


def chart_ready(page, count):
    page.wait_for_function(
        f"document.querySelectorAll('.chart[data-points]').length >= {count}", timeout=15_000
    )


def test_metric_charts_render_one_per_metric(page, ui_server, runs, shot):
    page.goto(f"{ui_server.url}/runs/{runs['run-02']}?tab=metrics")
    chart_ready(page, 3)
    keys = page.locator(".chart-card").evaluate_all("cards => cards.map(c => c.dataset.key)")
    assert keys == ["accuracy", "f1", "loss"]
    assert page.locator(".chart canvas").count() == 3
    assert page.locator(".chart[data-key=loss]").get_attribute("data-series") == "1"
    assert page.locator(".chart[data-key=loss]").get_attribute("data-points") == "30"
    page.locator("#metric-filter").fill("acc")
    assert page.locator(".chart-card:visible").count() == 1
    shot(page, "run-metrics")


def test_log_scale_smoothing_and_x_axis_live_in_the_url(page, ui_server, runs, shot):
    url = f"{ui_server.url}/runs/{runs['run-03']}?tab=metrics&metric=loss"
    page.goto(url)
    chart_ready(page, 1)
    page.locator("#log-scale").check()
    page.wait_for_function("location.search.includes('log=1')")
    page.locator("#smoothing").fill("0.6")
    page.wait_for_function("location.search.includes('smooth=0.6')")
    page.locator("#x-mode").select_option("relative")
    page.wait_for_function("location.search.includes('x=relative')")
    state = query_of(page.url)
    assert state == {
        "tab": "metrics",
        "metric": "loss",
        "log": "1",
        "smooth": "0.6",
        "x": "relative",
    }
    # smoothing draws a faded raw line under the smoothed one
    series = page.evaluate("window.cairnCharts[0].chart.getOption().series.map(s => s.name)")
    assert series == ["loss (raw)", "loss"]
    assert page.evaluate("window.cairnCharts[0].chart.getOption().yAxis[0].type") == "log"
    shot(page, "run-metric-alone-log-smoothed")
    # the link holds the whole view
    page.goto(page.url)
    chart_ready(page, 1)
    assert page.locator("#log-scale").is_checked()
    assert page.locator("#smoothing").input_value() == "0.6"
    assert page.locator("#x-mode").input_value() == "relative"
    # the other tabs' links keep the chart settings
    href = page.get_by_role("link", name=re.compile("^System metrics")).get_attribute("href")
    assert query_of(href)["log"] == "1"


def test_a_100000_point_metric_arrives_thinned_and_zooms_to_full_resolution(
    page, ui_server, runs, shot
):
    started = time.monotonic()
    with page.expect_response(lambda r: "/series?" in r.url) as first:
        page.goto(f"{ui_server.url}/runs/{runs['long-run']}?tab=metrics&metric=big")
    chart_ready(page, 1)
    elapsed = time.monotonic() - started
    payload = first.value.json()
    assert payload["total"] == 100_000 and payload["downsampled"] is True
    assert len(payload["values"]) <= 2000
    assert payload["values"].count(50.0) == 4  # every spike is still drawn
    drawn = int(page.locator(".chart").get_attribute("data-points"))
    assert drawn <= 2000
    assert elapsed < 10, f"the chart took {elapsed:.1f} s"
    info = page.locator(".chart-info").inner_text()
    assert "of 100,000 points" in info
    shot(page, "run-metric-100k")

    # zoom to 0.5 % of the steps: the chart asks for that range and gets every point
    with page.expect_response(lambda r: "/series?" in r.url and "lo=" in r.url) as zoomed:
        page.evaluate(
            "window.cairnCharts[0].chart.dispatchAction({type: 'dataZoom', start: 40, end: 40.5})"
        )
    detail = zoomed.value.json()
    query = query_of(zoomed.value.url)
    assert 39_900 <= int(query["lo"]) <= 40_100 and 40_400 <= int(query["hi"]) <= 40_600
    assert detail["downsampled"] is False and 400 < len(detail["values"]) < 700
    page.wait_for_function("document.querySelector('.chart-info').textContent.includes('in view')")
    assert int(page.locator(".chart").get_attribute("data-points")) == len(detail["values"])
    # zooming out again shows the overview without asking the server
    page.evaluate(
        "window.cairnCharts[0].chart.dispatchAction({type: 'dataZoom', start: 0, end: 100})"
    )
    page.wait_for_function("!document.querySelector('.chart-info').textContent.includes('in view')")
    assert int(page.locator(".chart").get_attribute("data-points")) == len(payload["values"])


def test_system_metrics_have_their_own_tab(page, ui_server, runs, shot):
    page.goto(f"{ui_server.url}/runs/{runs['run-04']}")
    page.get_by_role("link", name=re.compile("^System metrics")).click()
    chart_ready(page, 1)
    keys = page.locator(".chart-card").evaluate_all("cards => cards.map(c => c.dataset.key)")
    assert keys == ["system/cpu_utilization_percentage"]
    shot(page, "run-system-metrics")


def test_a_run_without_metrics_explains_how_to_log_them(page, ui_server, runs):
    page.goto(f"{ui_server.url}/runs/{runs['vis-0']}?tab=system")
    assert "No system metrics" in page.locator(".empty h2").inner_text()


def test_an_unknown_run_is_a_404_page(page, ui_server, console):
    console.allow(r"status of 404")
    answer = page.goto(f"{ui_server.url}/runs/{'b' * 32}")
    assert answer.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    assert "no run has id 'bbbb" in page.locator(".message").inner_text()


def test_the_page_data_is_plain_json(ui_server, runs):
    """The chart data a browser gets is JSON (guards against HTML sneaking into it)."""
    import httpx

    answer = httpx.get(
        f"{ui_server.url}/runs/{runs['run-00']}/series", params={"key": "loss"}, timeout=30
    )
    assert answer.headers["content-type"] == "application/json"
    assert json.loads(answer.text)["key"] == "loss"
