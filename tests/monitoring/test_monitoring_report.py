"""The monitoring report: the JSON of build_report on a real SQLite store, and the
self-contained HTML of render_html (parses, holds the plots and the JSON's numbers, escapes a
hostile monitor name, loads nothing from elsewhere)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from cairn.errors import InvalidInput
from cairn.monitoring.report import render_html, select_windows
from cairn.monitoring.report_html import histogram_labels

HOSTILE = '<script>alert("x")</script>&'


def window_results(f1: float, drift_share: float, *, labelled: bool = True) -> dict[str, Any]:
    """A hand-made WindowResults of a classification monitor with features age and plan."""
    age = {
        "kind": "numeric",
        "method": "ks",
        "statistic": 0.31,
        "p_value": 0.001,
        "threshold": 0.05,
        "drifted": True,
        "reference_rows": 500,
        "current_rows": 800,
        "histogram": {
            "edges": [0.0, 10.0, 20.0, 30.0],
            "categories": None,
            "reference": [0.2, 0.5, 0.3],
            "current": [0.1, 0.3, 0.6],
        },
    }
    plan = {
        "kind": "categorical",
        "method": "chisquare",
        "statistic": 1.2,
        "p_value": 0.54,
        "threshold": 0.05,
        "drifted": False,
        "reference_rows": 500,
        "current_rows": 800,
        "histogram": {
            "edges": None,
            "categories": ["basic", HOSTILE],
            "reference": [0.6, 0.4],
            "current": [0.55, 0.45],
        },
    }
    quality = {"accuracy": 0.9, "f1_macro": f1, "roc_auc": 0.93, "log_loss": 0.3}
    return {
        "rows": 800,
        "labelled_rows": 800 if labelled else 0,
        "quality": quality if labelled else None,
        "reference_quality": {"accuracy": 0.95, "f1_macro": 0.94},
        "data_quality": {
            "columns": {
                "age": {
                    "missing_share": 0.125,
                    "type_mismatch_share": 0.0,
                    "out_of_range_share": 0.01,
                },
                "plan": {
                    "missing_share": 0.0,
                    "type_mismatch_share": 0.0,
                    "new_categories": ["gold"],
                    "new_category_share": 0.02,
                },
            },
            "duplicate_rows": 3,
            "duplicate_share": 0.00375,
            "columns_lost": [],
            "columns_added": ["extra"],
        },
        "drift": {
            "columns": {"age": age, "plan": plan},
            "prediction": None,
            "drifted_columns": 1,
            "column_count": 2,
            "drift_share": drift_share,
        },
        "segments": [
            {
                "segment": {"region": "north"},
                "rows": 300,
                "labelled_rows": 300,
                "quality": {"f1_macro": 0.61},
                "drift_share": 0.5,
                "score": 0.61,
            },
            {
                "segment": {"region": "south"},
                "rows": 500,
                "labelled_rows": 500,
                "quality": {"f1_macro": 0.88},
                "drift_share": 0.0,
                "score": 0.88,
            },
        ],
        "problems": ["12 labels arrived for request ids no prediction has (e.g. r-17)"],
    }


def hand_report(name: str = "churn-mon") -> dict[str, Any]:
    windows = [
        {
            "window_id": i,
            "start_time": i * 1000,
            "start_iso": "2026-01-01T00:00:00.000+00:00",
            "end_time": i * 1000 + 999,
            "end_iso": "2026-01-01T00:00:01.000+00:00",
            "first_seq": (i - 1) * 800 + 1,
            "last_seq": i * 800,
            "rows": 800,
            "labelled_rows": 800,
            "model_version": 1,
            "computed_time": 5,
            "computed_iso": "x",
            "results": window_results(0.9 - 0.1 * i, 0.25 * i),
        }
        for i in (1, 2, 3)
    ]
    return {
        "format": "cairn.monitor-report/1",
        "generated_time": 0,
        "generated_iso": "2026-01-01T00:00:00.000+00:00",
        "monitor": {
            "name": name,
            "model": "churn",
            "reference_digest": "ab" * 32,
            "creator": "me",
            "creation_time": 0,
            "records": 2400,
        },
        "spec": {
            "name": name,
            "model": "churn",
            "task": "classification",
            "model_ref": None,
            "window": {"kind": "count", "size": 800},
            "description": HOSTILE,
        },
        "main_metric": "f1_macro",
        "selected_window": 3,
        "windows": windows,
        "alerts": [
            {
                "alert_id": 1,
                "monitor": name,
                "rule": "f1-decay",
                "window_id": 3,
                "time": 0,
                "time_iso": "2026-01-01T00:00:00.000+00:00",
                "value": 0.6,
                "message": "f1 < 0.8 for 2 windows",
                "actions": [
                    {"kind": "webhook", "target": "http://127.0.0.1:1/x", "status": "failed"}
                ],
            },
        ],
    }


class Collector(HTMLParser):
    """Tags, attributes, the text outside scripts, and the JSON script's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.json_text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.json_text += data
        else:
            self.text.append(data)


def parse(html: str) -> Collector:
    found = Collector()
    found.feed(html)
    found.close()
    return found


def test_html_holds_the_plots_and_numbers_of_the_json():
    report = hand_report()
    html = render_html(report)
    parsed = parse(html)
    tags = [t for t, _ in parsed.tags]
    assert tags.count("svg") >= 5  # quality, log_loss, drift share, 2 distributions
    series = {a.get("data-series") for t, a in parsed.tags if t == "polyline"}
    assert {"accuracy", "f1_macro", "roc_auc", "drift_share", "log_loss"} <= series
    text = " ".join(parsed.text)
    for window in report["windows"]:
        assert f"{window['results']['quality']['f1_macro']:.4g}" in text
    assert "0.61" in text and "north" in text  # the worst segment
    assert text.index("region=north") < text.index("region=south")
    assert "0.125" in text and "gold" in text and "extra" in text  # data quality
    assert "12 labels arrived" in text
    assert "f1 &lt; 0.8" not in text and "f1 < 0.8 for 2 windows" in text  # parsed text
    assert json.loads(parsed.json_text) == report
    # self-contained: nothing is fetched from anywhere
    for _tag, attrs in parsed.tags:
        assert "src" not in attrs and attrs.get("rel") != "stylesheet"
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg|127\.0\.0\.1)", html)


def test_hostile_names_are_escaped():
    report = hand_report(HOSTILE)
    html = render_html(report)
    assert "<script>alert" not in html
    parsed = parse(html)
    assert [t for t, _ in parsed.tags].count("script") == 1  # only the JSON block
    assert HOSTILE in " ".join(parsed.text)
    assert json.loads(parsed.json_text)["monitor"]["name"] == HOSTILE


def test_report_without_windows_renders():
    report = hand_report()
    report["windows"], report["alerts"], report["selected_window"] = [], [], None
    html = render_html(report)
    assert "No window computed yet" in html and "No labelled window yet" in html


def test_histogram_labels():
    assert histogram_labels({"edges": [0.0, 1.5, 3.0], "categories": None}) == [
        "0–1.5",
        "1.5–3",
    ]
    assert histogram_labels({"edges": None, "categories": ["a", "b"]}) == ["a", "b"]


def test_select_windows_refuses_bad_choices():
    with pytest.raises(InvalidInput, match="at least 1"):
        select_windows([], 0)
    with pytest.raises(InvalidInput, match="no window 4"):
        select_windows([], [4])


def _two_windows(client) -> Any:
    """A registered model, a monitor ``mon-1`` with a reference frame, 300 predictions with
    labels (the second window shifted), run: the store."""
    import numpy as np
    import pandas as pd

    from cairn.monitoring.ingest import log_ground_truth, log_predictions
    from cairn.monitoring.monitors import create_monitor
    from cairn.monitoring.runner import run_monitor

    def frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        found = pd.DataFrame({"age": rng.normal(40, 10, n) + shift})
        found["churned"] = (found.age < 38).astype(int)
        found["prediction"] = found["churned"]
        return found

    store = client.store
    store.registry.create_registered_model("m")
    store.registry.create_model_version("m", "/tmp/nowhere")
    spec = {"name": "mon-1", "description": HOSTILE, "model": "m", "task": "classification", "target": "churned",
            "features": {"age": "numeric"}, "window": {"count": 150}}  # fmt: skip
    create_monitor(spec, reference=frame(400, 0), store=store)
    current = pd.concat([frame(150, 1), frame(150, 2, 30.0)], ignore_index=True)
    current["request_id"] = [f"r{i}" for i in range(300)]
    log_predictions(current.drop(columns=["churned"]), monitor="mon-1", store=store)
    log_ground_truth(current[["request_id", "churned"]], monitor="mon-1", store=store)
    assert run_monitor("mon-1", store=store).windows_added == [1, 2]
    return store


def test_build_report_on_a_real_store(client):
    """The report's JSON and HTML of two computed windows agree."""
    from cairn.monitoring.report import build_report

    store = _two_windows(client)
    report = build_report("mon-1", store=store)
    assert report["monitor"]["records"] == 300 and report["selected_window"] == 2
    age = report["windows"][1]["results"]["drift"]["columns"]["age"]
    assert age["drifted"] is True
    html = render_html(report)
    parsed = parse(html)
    text = " ".join(parsed.text)
    assert f"{age['statistic']:.4g}" in text
    assert json.loads(parsed.json_text) == json.loads(json.dumps(report))
    assert "<script>alert" not in html and HOSTILE in text  # the description, escaped
    assert [w["window_id"] for w in build_report("mon-1", store=store, windows=1)["windows"]] == [2]


def test_get_report_shows_the_page_in_a_notebook_and_saves_it(client, tmp_path):
    import html as html_module

    import cairn.monitoring
    from cairn.errors import NotFound

    _two_windows(client)
    found = cairn.monitoring.get_report("mon-1", windows=[1], store=client.store)
    assert repr(found) == "MonitorReport('mon-1', 1 windows, 0 alerts)"
    assert found.to_dict()["selected_window"] == 1
    shown = found._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "<script>alert" not in shown
    assert html_module.unescape(shown.split('srcdoc="', 1)[1].split('" title=', 1)[0]) == (
        found.to_html()
    )  # the whole page, escaped once, in a frame of its own
    page = found.save(tmp_path / "report.html")
    assert page.read_text() == found.to_html() and "<svg" in page.read_text()
    numbers = json.loads(found.save(tmp_path / "report.json").read_text())
    assert numbers["monitor"]["name"] == "mon-1" and len(numbers["windows"]) == 1
    with pytest.raises(InvalidInput, match="no window 9"):
        cairn.monitoring.get_report("mon-1", windows=[9], store=client.store)
    with pytest.raises(NotFound):
        cairn.monitoring.get_report("nope", store=client.store)
