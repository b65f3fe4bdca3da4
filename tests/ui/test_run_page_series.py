"""The run page and its chart data over HTTP against a live server (no browser)."""

from __future__ import annotations

import math

import httpx
import pytest

from cairn.entities import Metric

BASE = 1_700_000_000_000


@pytest.fixture(scope="module")
def http(ui_server):
    with httpx.Client(base_url=ui_server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def long_run(ui_server):
    """A run with a 100,000-point metric (spikes every 10,000 steps) and one with NaNs."""
    with ui_server.store() as store:
        experiment = ui_server.data.churn
        run_id = store.runs.create_run(experiment, run_name="long", start_time=BASE).info.run_id
        points = [
            Metric("long", 100.0 if i % 10_000 == 5_000 else math.sin(i / 300), BASE + i * 10, i)
            for i in range(100_000)
        ]
        for start in range(0, len(points), 20_000):
            store.runs.log_batch(run_id, metrics=points[start : start + 20_000])
        store.runs.log_batch(
            run_id,
            metrics=[Metric("gappy", v, BASE + i, i) for i, v in enumerate([1.0, math.nan, 3.0])],
        )
    return run_id


def series(http, run_id, **query):
    answer = http.get(f"/runs/{run_id}/series", params=query)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_long_metric_is_thinned_keeping_its_spikes(http, long_run):
    data = series(http, long_run, key="long", points=1000)
    assert data["total"] == 100_000 and data["in_range"] == 100_000
    assert data["downsampled"] is True
    assert len(data["values"]) <= 1000
    assert len(data["steps"]) == len(data["timestamps"]) == len(data["values"])
    assert data["values"].count(100.0) == 10  # every spike survives
    assert data["steps"][0] == 0 and data["steps"][-1] == 99_999


def test_a_zoomed_range_comes_back_at_full_resolution(http, long_run):
    data = series(http, long_run, key="long", points=1000, lo=40_000, hi=40_499)
    assert data["in_range"] == 502  # the range plus a neighbour on each side
    assert data["downsampled"] is False
    assert data["steps"] == list(range(39_999, 40_501))
    wide = series(http, long_run, key="long", points=500, lo=10_000, hi=60_000)
    assert len(wide["values"]) <= 500 and wide["downsampled"] is True
    assert min(wide["steps"]) >= 9_999 and max(wide["steps"]) <= 60_001


def test_a_time_range_picks_points_by_timestamp(http, long_run):
    data = series(http, long_run, key="long", x="time", lo=BASE + 1_000, hi=BASE + 1_090)
    assert data["steps"] == list(range(99, 111))


def test_values_json_cannot_hold_become_gaps(http, long_run):
    assert series(http, long_run, key="gappy")["values"] == [1.0, None, 3.0]


def test_an_unknown_metric_is_an_empty_series(http, long_run):
    data = series(http, long_run, key="never-logged")
    assert data["values"] == [] and data["total"] == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"key": "long", "points": 5000}, "points must be between 4 and 2000"),
        ({"key": "long", "points": 1}, "points must be between 4 and 2000"),
        ({"key": "long", "x": "epoch"}, "x must be one of step, time"),
        ({"key": "long", "lo": 10, "hi": 5}, "the range starts after it ends"),
        ({"key": "long", "points": "many"}, "points"),
        ({"key": ""}, "key"),
    ],
)
def test_bad_chart_requests_say_what_is_wrong(http, long_run, query, message):
    answer = http.get(f"/runs/{long_run}/series", params=query)
    assert answer.status_code == 400
    assert message in answer.text


def test_an_unknown_run_is_not_found(http):
    assert http.get("/runs/" + "0" * 32 + "/series", params={"key": "x"}).status_code == 404
    assert http.get("/runs/not-a-run-id/series", params={"key": "x"}).status_code == 404


def test_compare_series_has_one_series_per_run_with_the_metric(http, ui_server):
    runs = ui_server.data.runs
    ids = ",".join([runs["run-00"], runs["run-01"], runs["run-02"]])
    answer = http.get("/compare/series", params={"runs": ids, "key": "f1"})
    assert answer.status_code == 200
    found = {s["run_name"]: s["values"] for s in answer.json()["series"]}
    assert set(found) == {"run-00", "run-02"}  # f1 is logged by even runs only
    too_many = ",".join(f"{i:032x}" for i in range(51))
    refused = http.get("/compare/series", params={"runs": too_many, "key": "f1"})
    assert refused.status_code == 400 and "compare at most 50" in refused.text
    unknown = http.get("/compare/series", params={"runs": f"{ids},{'f' * 32}", "key": "f1"})
    assert unknown.status_code == 400 and "no run with id" in unknown.text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?tab=secrets", 400, "tab must be one of overview, metrics, system, artifacts"),
        ("?tab=metrics&smooth=1.5", 400, "smooth must be between 0 and 0.99"),
        ("?tab=metrics&x=epoch", 400, "x must be one of step, time, relative"),
        ("?tab=metrics&log=maybe", 400, "log"),
    ],
)
def test_bad_page_settings_get_an_error_page(http, ui_server, query, status, message):
    run_id = ui_server.data.runs["run-00"]
    answer = http.get(f"/runs/{run_id}{query}", headers={"Accept": "text/html"})
    assert answer.status_code == status
    assert "text/html" in answer.headers["content-type"]
    assert message in answer.text


def test_an_unknown_run_page_is_a_404_page(http):
    answer = http.get("/runs/" + "a" * 32, headers={"Accept": "text/html"})
    assert answer.status_code == 404
    assert "no run with id" in answer.text.lower() or "not found" in answer.text.lower()
    assert http.get("/runs/nope", headers={"Accept": "text/html"}).status_code == 404


def test_every_tab_renders(http, ui_server, long_run):
    run_id = ui_server.data.runs["run-00"]
    for query in ("", "?tab=metrics", "?tab=system", "?tab=artifacts", "?tab=metrics&metric=loss"):
        answer = http.get(f"/runs/{run_id}{query}")
        assert answer.status_code == 200, query
        assert answer.headers["cache-control"] == "no-store"
    alone = http.get(f"/runs/{run_id}?tab=metrics&metric=loss&x=time&smooth=0.5&log=1").text
    assert alone.count('class="chart"') == 1
    assert 'value="time" selected' in alone and 'id="log-scale" checked' in alone
