"""The reference summary: what it keeps, its bytes (deterministic, no pickle, damage refused)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cairn.errors import InvalidInput
from cairn.monitoring import reference as reference_module
from cairn.monitoring.reference import (
    CategoricalSummary,
    NumericSummary,
    ReferenceSummary,
    summarize,
)
from cairn.monitoring.spec import ColumnSpec, MonitorSpec

SPEC = MonitorSpec(
    name="m",
    model="m",
    task="classification",
    features=(
        ColumnSpec("age", "numeric"),
        ColumnSpec("city", "categorical"),
        ColumnSpec("vip", "categorical"),
    ),
    segments=("region", "city", "absent"),
    probabilities={"yes": "p_yes", "no": "p_no"},
)


def _frame(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, rows)
    age[::10] = np.nan
    target = rng.choice(["yes", "no"], rows)
    p_yes = rng.random(rows)
    return pd.DataFrame(
        {
            "age": age,
            "city": rng.choice(["Oslo", "Rome", None], rows),
            "vip": rng.choice([True, False], rows),
            "region": rng.choice(["north", "south"], rows),
            "target": target,
            "prediction": np.where(p_yes > 0.5, "yes", "no"),
            "p_yes": p_yes,
            "p_no": 1 - p_yes,
            "extra": 1,
        }
    )


def test_summary_keeps_features_segments_prediction_and_quality() -> None:
    frame = _frame()
    summary = summarize(frame, SPEC)
    assert summary.rows == 200
    assert list(summary.columns) == ["age", "city", "vip", "region"]
    age = summary.columns["age"]
    assert isinstance(age, NumericSummary)
    valid = frame["age"].dropna().to_numpy()
    assert (age.count, age.missing) == (180, 20)
    assert np.array_equal(age.values, np.sort(valid))
    assert age.mean == pytest.approx(valid.mean()) and age.std == pytest.approx(valid.std())
    assert (age.min, age.max) == (valid.min(), valid.max())
    assert age.counts.sum() == 180 and len(age.edges) == len(age.counts) + 1
    city = summary.columns["city"]
    assert isinstance(city, CategoricalSummary)
    assert (
        city.counts == frame["city"].value_counts().to_dict()
        and city.missing == frame["city"].isna().sum()
    )
    assert set(summary.columns["vip"].counts) == {"True", "False"}
    assert isinstance(summary.prediction, CategoricalSummary)
    assert summary.quality is not None and summary.quality["accuracy"] == pytest.approx(
        0.5, abs=0.15
    )
    assert summary.column_names == list(frame.columns)


def test_no_quality_without_target() -> None:
    summary = summarize(_frame().drop(columns=["target"]), SPEC)
    assert summary.quality is None and summary.prediction is not None


def test_bytes_round_trip_and_digest_is_deterministic() -> None:
    summary = summarize(_frame(), SPEC)
    data = summary.to_bytes()
    again = ReferenceSummary.from_bytes(data)
    assert again.to_bytes() == data == summarize(_frame(), SPEC).to_bytes()
    assert again.digest == summary.digest and len(summary.digest) == 64
    assert np.array_equal(again.columns["age"].values, summary.columns["age"].values)
    assert again.columns["city"].counts == summary.columns["city"].counts
    assert again.quality == summary.quality


def _npy_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.arange(3))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: data[:200] + bytes([data[200] ^ 0xFF]) + data[201:],
        lambda data: b"not a summary at all",
        lambda data: b"",
        lambda data: _npy_bytes(),
    ],
)
def test_damaged_bytes_are_refused(damage) -> None:  # noqa: ANN001
    data = summarize(_frame(), SPEC).to_bytes()
    with pytest.raises(InvalidInput, match="reference summary is damaged"):
        ReferenceSummary.from_bytes(damage(data))


def test_pickled_arrays_are_refused() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, archive.open("header.npy", "w") as member:
        np.lib.format.write_array(member, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InvalidInput, match="damaged"):
        ReferenceSummary.from_bytes(buffer.getvalue())


def test_above_the_cap_a_seeded_uniform_sample_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reference_module, "SAMPLE_CAP", 50)
    frame = _frame(rows=500)
    first, second = summarize(frame, SPEC), summarize(frame, SPEC)
    age = first.columns["age"]
    assert age.count == 450 and len(age.values) == 50
    assert np.array_equal(age.values, second.columns["age"].values)
    assert np.isin(age.values, frame["age"].to_numpy()).all()
    assert age.mean == pytest.approx(frame["age"].mean())


def test_bad_reference_data_is_refused() -> None:
    with pytest.raises(InvalidInput, match="lacks monitored column\\(s\\) 'age'"):
        summarize(_frame().drop(columns=["age"]), SPEC)
    with pytest.raises(
        InvalidInput, match="'age' is declared numeric but holds 1 non-numeric values such as 'old'"
    ):
        summarize(
            _frame()
            .astype({"age": object})
            .assign(age=lambda f: f["age"].where(f.index != 3, "old")),
            SPEC,
        )
    with pytest.raises(InvalidInput, match="infinite"):
        summarize(_frame().assign(age=np.inf), SPEC)
