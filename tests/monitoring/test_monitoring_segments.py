"""Segments: quality and drift per segment, worst first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cairn.monitoring.quality import compute_quality
from cairn.monitoring.reference import summarize
from cairn.monitoring.segments import MAX_SEGMENTS, MISSING, segment_results
from cairn.monitoring.spec import ColumnSpec, MonitorSpec


def _spec(task="classification", segments=("region",)):
    return MonitorSpec(
        name="m",
        model="m",
        task=task,
        features=(ColumnSpec("x", "numeric"), ColumnSpec("color", "categorical")),
        segments=segments,
    )


@pytest.fixture(scope="module")
def reference():
    rng = np.random.default_rng(0)
    n = 600
    return pd.DataFrame(
        {
            "x": rng.normal(0, 1, n),
            "color": rng.choice(["red", "blue"], n),
            "region": rng.choice(["north", "south", "east"], n),
        }
    )


def _window(rng, region, n, *, accuracy, shift=0.0):
    target = rng.integers(0, 2, n)
    prediction = np.where(rng.random(n) < accuracy, target, 1 - target)
    return pd.DataFrame(
        {
            "x": rng.normal(shift, 1, n),
            "color": rng.choice(["red", "blue"], n),
            "region": region,
            "target": target,
            "prediction": prediction,
        }
    )


def test_ranked_worst_first_with_small_segments_last(reference):
    rng = np.random.default_rng(1)
    spec = _spec()
    window = pd.concat(
        [
            _window(rng, "north", 200, accuracy=0.95),
            _window(rng, "south", 150, accuracy=0.55),
            _window(rng, "east", 20, accuracy=0.9),
        ],
        ignore_index=True,
    )
    results = segment_results(summarize(reference, spec), window, spec)
    assert [r["segment"] for r in results] == [
        {"region": "south"},
        {"region": "north"},
        {"region": "east"},
    ]
    south = results[0]
    rows = window[window.region == "south"]
    assert south["rows"] == 150 and south["labelled_rows"] == 150
    assert south["quality"] == compute_quality("classification", rows.target, rows.prediction)
    assert south["score"] == south["quality"]["f1_macro"]
    assert 0.0 <= south["drift_share"] <= 1.0
    east = results[-1]
    assert east["rows"] == 20 and east["score"] is None and east["quality"] is None
    assert east["drift_share"] is None


def test_without_labels_the_most_drifted_segment_comes_first(reference):
    rng = np.random.default_rng(2)
    spec = _spec()
    window = pd.concat(
        [_window(rng, "north", 300, accuracy=1, shift=3.0), _window(rng, "south", 300, accuracy=1)],
        ignore_index=True,
    ).drop(columns=["target"])
    results = segment_results(summarize(reference, spec), window, spec)
    assert results[0]["segment"] == {"region": "north"}
    assert results[0]["quality"] is None and results[0]["labelled_rows"] == 0
    assert results[0]["score"] == results[0]["drift_share"] >= 0.5
    assert results[0]["score"] > results[1]["score"]


def test_regression_ranks_highest_rmse_first(reference):
    rng = np.random.default_rng(3)
    spec = _spec(task="regression")
    frames = []
    for region, noise in (("north", 0.1), ("south", 2.0), ("east", 0.5)):
        target = rng.normal(0, 1, 100)
        frames.append(
            pd.DataFrame(
                {
                    "x": rng.normal(0, 1, 100),
                    "color": "red",
                    "region": region,
                    "target": target,
                    "prediction": target + rng.normal(0, noise, 100),
                }
            )
        )
    results = segment_results(
        summarize(reference, spec), pd.concat(frames, ignore_index=True), spec
    )
    assert [r["segment"]["region"] for r in results] == ["south", "east", "north"]


def test_combinations_missing_values_and_the_cap(reference):
    spec = _spec(segments=("region", "color"))
    window = pd.DataFrame(
        {
            "x": np.zeros(6),
            "color": ["red", "red", None, "blue", "red", None],
            "region": ["north", "north", "north", "south", "north", np.nan],
        }
    )
    results = segment_results(summarize(reference, spec), window, spec)
    assert results[0] == {
        "segment": {"region": "north", "color": "red"},
        "rows": 3,
        "labelled_rows": 0,
        "quality": None,
        "drift_share": None,
        "score": None,
    }
    assert {"region": MISSING, "color": MISSING} in [r["segment"] for r in results]
    many = pd.DataFrame(
        {
            "x": np.zeros(MAX_SEGMENTS + 20),
            "color": "red",
            "region": [f"r{i}" for i in range(MAX_SEGMENTS + 20)],
        }
    )
    many = pd.concat(
        [many, many.iloc[:MAX_SEGMENTS]], ignore_index=True
    )  # the first 50 have 2 rows
    capped = segment_results(summarize(reference, spec), many, spec)
    assert len(capped) == MAX_SEGMENTS and all(r["rows"] == 2 for r in capped)


def test_no_segment_column_in_the_window_gives_no_segments(reference):
    spec = _spec()
    assert segment_results(summarize(reference, spec), pd.DataFrame({"x": [1.0]}), spec) == []
    assert (
        segment_results(
            summarize(reference, _spec(segments=())), pd.DataFrame({"x": [1.0]}), _spec(segments=())
        )
        == []
    )
