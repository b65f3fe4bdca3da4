"""The compare page in Chromium: params diff, overlaid charts, parallel coordinates, scatter,
deep links, and input the page cannot use."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from cairn.entities import Param


@pytest.fixture(scope="module")
def three(ui_server):
    """run-00..02, which also share one param of equal value."""
    ids = [ui_server.data.runs[f"run-0{i}"] for i in range(3)]
    with ui_server.store() as store:
        for run_id in ids:
            store.runs.log_batch(run_id, params=[Param("dataset", "churn-2024-05")])
    return ids


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def open_compare(page, ui_server, ids, extra=""):
    page.goto(f"{ui_server.url}/compare?runs={','.join(ids)}{extra}")
    page.wait_for_function(
        "document.querySelectorAll('#chart-grid .chart[data-points]').length"
        " === document.querySelectorAll('#chart-grid .chart').length"
    )


def test_three_runs_side_by_side(page, ui_server, three, shot):
    open_compare(page, ui_server, three)
    assert page.title() == "Compare 3 runs · cairn"
    assert page.locator("#compare-runs li a").all_inner_texts() == ["run-00", "run-01", "run-02"]
    rows = page.locator("#params-table tbody tr")
    assert rows.evaluate_all("rs => rs.map(r => [r.dataset.key, r.className])") == [
        ["dataset", "same"],
        ["depth", "differs"],
        ["lr", "differs"],
        ["optimizer", "differs"],
    ]
    assert rows.nth(2).locator("td.val").all_inner_texts() == ["0.1", "0.01", "0.001"]
    colour = "el => getComputedStyle(el).backgroundColor"
    highlighted = rows.nth(1).locator("td.val").first.evaluate(colour)
    plain = rows.nth(0).locator("td.val").first.evaluate(colour)
    assert highlighted != plain
    assert "3 of 4 differ" in page.locator("#params-diff h2").inner_text()
    metrics = page.locator("#metrics-table tr[data-key=f1] td").all_inner_texts()
    assert metrics == ["f1", "0.6", "–", "0.62"]
    shot(page, "compare-3-runs")


def test_only_differences_hides_equal_params_and_is_in_the_url(page, ui_server, three):
    open_compare(page, ui_server, three)
    page.locator("#only-diff").check()
    assert not page.locator("#params-table tr[data-key=dataset]").is_visible()
    assert page.locator("#params-table tr[data-key=lr]").is_visible()
    assert query_of(page.url)["diff"] == "1"


def test_one_overlaid_chart_per_metric_with_a_series_per_run(page, ui_server, three):
    open_compare(page, ui_server, three)
    charts = page.locator("#chart-grid .chart")
    assert charts.evaluate_all("cs => cs.map(c => [c.dataset.key, c.dataset.series])") == [
        ["accuracy", "3"],
        ["f1", "2"],  # only the even runs log f1
        ["loss", "3"],
    ]
    assert page.locator("#chart-grid canvas").count() == 3
    legend = page.evaluate(
        "window.cairnCompare.charts.get('loss').chart.getOption().legend[0].data"
    )
    assert legend == ["run-00", "run-01", "run-02"]
    page.locator("#metric-charts summary").click()
    page.locator("#metric-picker input[value=f1]").uncheck()
    assert query_of(page.url)["metrics"] == "accuracy,loss"
    assert charts.count() == 2
    page.locator("#log-scale").check()
    assert query_of(page.url)["log"] == "1"


def test_parallel_coordinates_of_params_against_a_metric(page, ui_server, three, shot):
    open_compare(page, ui_server, three)
    chart = page.locator("#parallel-chart")
    assert chart.get_attribute("data-axes") == "4"  # depth, lr, optimizer + the metric
    assert chart.get_attribute("data-lines") == "3"
    assert chart.locator("canvas").count() == 1
    axes = page.evaluate(
        "window.cairnCompare.parallel.getOption().parallelAxis.map(a => [a.name, a.type])"
    )
    assert axes == [
        ["depth", "value"],
        ["lr", "log"],  # 0.1 .. 0.001 spans orders of magnitude
        ["optimizer", "category"],
        ["accuracy", "value"],
    ]
    page.locator("#pc-metric").select_option("loss")
    page.locator("#parallel-section summary").click()
    page.locator("#pc-picker input[value=optimizer]").uncheck()
    assert query_of(page.url)["pcm"] == "loss"
    assert query_of(page.url)["pc"] == "depth,lr"
    assert chart.get_attribute("data-axes") == "3"
    page.locator("#parallel-chart").scroll_into_view_if_needed()
    shot(page, "compare-parallel", full_page=False)


def test_scatter_of_any_two_values_names_runs_on_hover(page, ui_server, three, shot):
    open_compare(page, ui_server, three)
    scatter = page.locator("#scatter-chart")
    assert scatter.get_attribute("data-points") == "3"
    assert page.locator("#scatter-x").input_value() == "param:depth"
    assert page.locator("#scatter-y").input_value() == "metric:accuracy"
    page.locator("#scatter-x").select_option("param:lr")
    page.locator("#scatter-y").select_option("metric:loss")
    assert query_of(page.url)["sx"] == "param:lr" and query_of(page.url)["sy"] == "metric:loss"
    scatter.scroll_into_view_if_needed()
    # hover run-01's point (lr 0.01): the tooltip names the run and both values
    x, y = page.evaluate(
        "window.cairnCompare.scatter.convertToPixel({seriesIndex: 0}, [0.01, 1 / 31])"
    )
    box = scatter.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    tooltip = scatter.locator("div", has_text="run-01").last
    tooltip.wait_for()
    assert "lr: 0.01" in tooltip.inner_text() and "loss: 0.03226" in tooltip.inner_text()
    shot(page, "compare-scatter-hover", full_page=False)


def test_a_link_restores_every_choice(page, ui_server, three):
    extra = "&diff=1&metrics=loss&pc=lr,depth&pcm=loss&sx=metric:loss&sy=param:lr&smooth=0.3"
    open_compare(page, ui_server, three, extra)
    assert page.locator("#only-diff").is_checked()
    assert page.locator("#chart-grid .chart").evaluate_all("cs => cs.map(c => c.dataset.key)") == [
        "loss"
    ]
    assert page.locator("#parallel-chart").get_attribute("data-axes") == "3"
    assert page.locator("#pc-metric").input_value() == "loss"
    assert page.locator("#scatter-x").input_value() == "metric:loss"
    assert page.locator("#scatter-y").input_value() == "param:lr"
    assert page.locator("#smoothing").input_value() == "0.3"


def test_input_the_page_cannot_use_is_explained(page, ui_server, three, console, shot):
    console.allow(r"status of 400")
    answer = page.goto(f"{ui_server.url}/compare?runs={three[0]}")
    assert answer.status == 400
    assert "needs at least 2 runs" in page.locator("#compare-problems").inner_text()
    shot(page, "compare-one-run")

    too_many = ",".join(f"{i:032x}" for i in range(51))
    answer = page.goto(f"{ui_server.url}/compare?runs={too_many}")
    assert answer.status == 400
    assert (
        "51 runs were given; compare at most 50" in page.locator("#compare-problems").inner_text()
    )

    unknown = "f" * 32
    open_compare(page, ui_server, [*three[:2], unknown])
    problems = page.locator("#compare-problems").inner_text()
    assert f"There is no run '{unknown}'" in problems
    assert page.locator("#compare-runs li").count() == 2  # the rest is compared

    answer = page.goto(f"{ui_server.url}/compare?runs={three[0]},{three[1]}&metrics=nope&sx=x:y")
    assert answer.status == 200
    assert "'nope', 'x:y'" in page.locator("#compare-problems").inner_text()

    answer = page.goto(f"{ui_server.url}/compare")
    assert answer.status == 200
    assert "Choose runs to compare" in page.locator(".empty h2").inner_text()


def test_run_names_are_text_everywhere(page, ui_server, three):
    hostile = '<img src=x onerror="window.pwned=1">'
    with ui_server.store() as store:
        run_id = store.runs.create_run(ui_server.data.churn, run_name=hostile).info.run_id
        store.runs.log_batch(run_id, params=[Param("lr", "0.5"), Param("depth", "9")])
    page.goto(f"{ui_server.url}/compare?runs={three[0]},{run_id}&sx=param:depth&sy=param:lr")
    assert page.locator("#compare-runs li a").last.inner_text() == hostile
    tip = page.evaluate(
        "window.cairnCompare.parallel.getOption().tooltip[0].formatter({name: '<b>x</b>'})"
    )
    assert tip == "&#60;b&#62;x&#60;/b&#62;"
    scatter = page.locator("#scatter-chart")
    scatter.scroll_into_view_if_needed()
    x, y = page.evaluate("window.cairnCompare.scatter.convertToPixel({seriesIndex: 0}, [9, 0.5])")
    box = scatter.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    scatter.locator("div", has_text="depth: 9").last.wait_for()
    assert hostile in scatter.locator("div", has_text="depth: 9").last.inner_text()
    assert page.evaluate("window.pwned") is None
