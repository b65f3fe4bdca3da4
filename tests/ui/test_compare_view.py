"""The compare page's diff rows and chart choices (pure)."""

from __future__ import annotations

import math

from cairn.entities import Run, RunData, RunInfo
from cairn.ui import compare_view as cv


def make_run(i, name, params, metrics):
    info = RunInfo(f"{i:032x}", "1", name, "u", "FINISHED", i, None, "/tmp/a")
    return Run(info, RunData(metrics=metrics, params=params))


RUNS = [
    make_run(1, "a", {"lr": "0.1", "opt": "adam", "seed": "1"}, {"loss": 0.3, "acc": 0.8}),
    make_run(2, "a", {"lr": "0.01", "opt": "adam", "seed": "1"}, {"loss": 0.2}),
    make_run(3, "b", {"lr": "0.001", "opt": "sgd"}, {"loss": math.nan, "system/cpu": 3.0}),
]


def test_labels_are_unique_and_colours_assigned():
    labelled = cv.labelled(RUNS)
    assert [r.label for r in labelled] == [f"a ({1:032x})", f"a ({2:032x})", "b"]
    other = [make_run(0xABCDEF1 << 100, "x", {}, {}), make_run(0xABCDEF2 << 100, "x", {}, {})]
    assert [r.label for r in cv.labelled(other)] == ["x (abcdef1)", "x (abcdef2)"]
    assert len({r.color for r in labelled}) == 3


def test_diff_rows_mark_differences_including_missing_values():
    params = {r.key: r for r in cv.diff_rows(RUNS, "params")}
    assert params["opt"].differs and params["lr"].differs
    assert params["seed"].values == ["1", "1", None] and params["seed"].differs
    same = cv.diff_rows(RUNS[:2], "params")
    assert [r.key for r in same if not r.differs] == ["opt", "seed"]
    metrics = cv.diff_rows(RUNS, "metrics")
    assert [r.key for r in metrics] == ["acc", "loss"]  # system metrics stay out
    nan_twice = cv.diff_rows([RUNS[2], RUNS[2]], "metrics")
    assert not nan_twice[0].differs  # NaN equals NaN here


def test_numeric_detection():
    assert cv.is_numeric(["0.1", "1e-3", None])
    assert not cv.is_numeric(["adam"]) and not cv.is_numeric([None]) and not cv.is_numeric(["nan"])


def test_default_choices_follow_the_data():
    params, metrics = cv.diff_rows(RUNS, "params"), cv.diff_rows(RUNS, "metrics")
    chosen = cv.choices(params, metrics, {})
    assert chosen.metrics == ["acc", "loss"]
    assert chosen.pc_params == ["lr", "opt", "seed"]
    assert chosen.pc_metric == "acc"
    assert chosen.scatter_x == "param:lr" and chosen.scatter_y == "metric:acc"
    assert chosen.ignored == [] and not chosen.only_diff


def test_choices_from_the_query_and_unknown_names_reported():
    params, metrics = cv.diff_rows(RUNS, "params"), cv.diff_rows(RUNS, "metrics")
    query = {"metrics": "loss,nope", "pc": "opt", "pcm": "loss", "sx": "metric:acc",
             "sy": "param:zzz", "diff": "1"}  # fmt: skip
    chosen = cv.choices(params, metrics, query)
    assert chosen.metrics == ["loss"] and chosen.pc_params == ["opt"] and chosen.pc_metric == "loss"
    assert chosen.scatter_x == "metric:acc" and chosen.scatter_y == "metric:loss"
    assert chosen.ignored == ["nope", "param:zzz"] and chosen.only_diff


def test_chart_data_holds_json_ready_values():
    data = cv.chart_data(
        cv.labelled(RUNS), cv.diff_rows(RUNS, "params"), cv.diff_rows(RUNS, "metrics")
    )
    assert data["runs"][2]["metrics"] == {"loss": None}  # NaN cannot travel; system left out
    assert data["numeric_params"] == ["lr", "seed"]
