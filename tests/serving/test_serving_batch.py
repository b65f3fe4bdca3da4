"""Batch scoring through ``cairn models predict``: chunks, row order, both file formats, and
bad input that writes nothing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cairn.errors import InvalidInput
from cairn.serving.batch import predict_file
from cli_support import cairn

ROWS = 2_345


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({"x": rng.normal(size=ROWS), "n": np.arange(ROWS, dtype="int64")})


def _expected(rows: pd.DataFrame) -> np.ndarray:
    return (2 * rows["x"] + rows["n"]).to_numpy()


@pytest.mark.parametrize(("src", "dst"), [("csv", "parquet"), ("parquet", "csv")])
def test_predict_a_file_bigger_than_a_chunk(tmp_path, rows, scorer_folder, src, dst):
    source, target = tmp_path / f"in.{src}", tmp_path / f"out.{dst}"
    if src == "csv":
        rows.to_csv(source, index=False)
    else:
        rows.to_parquet(source, index=False)
    result = cairn(
        "models", "predict", "-m", str(scorer_folder), "-i", str(source), "-o", str(target),
        "--chunk-size", "500", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"rows": ROWS, "chunks": 5, "output": str(target)}
    written = pd.read_parquet(target) if dst == "parquet" else pd.read_csv(target)
    assert list(written.columns) == ["prediction"]
    assert len(written) == ROWS
    np.testing.assert_allclose(written["prediction"].to_numpy(), _expected(rows))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([source.name, target.name])


class Wide:
    """A model answering two columns per row (as a 2-D array)."""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([frame["n"], -frame["n"]])


def test_two_dimensional_answers_get_one_column_each(tmp_path, rows):
    rows.to_csv(tmp_path / "in.csv", index=False)
    result = predict_file(Wide(), tmp_path / "in.csv", tmp_path / "out.parquet", chunk_size=1000)
    assert (result.rows, result.chunks) == (ROWS, 3)
    written = pd.read_parquet(tmp_path / "out.parquet")
    assert list(written.columns) == ["prediction_0", "prediction_1"]
    assert written["prediction_0"].tolist() == list(range(ROWS))


class Short:
    """A broken model answering one row too few."""

    def predict(self, frame: pd.DataFrame) -> list[int]:
        return [0] * (len(frame) - 1)


def test_a_model_answering_too_few_rows_leaves_no_output(tmp_path, rows):
    rows.to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(InvalidInput, match="answered 99 predictions for 100 input rows"):
        predict_file(Short(), tmp_path / "in.csv", tmp_path / "out.csv", chunk_size=100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-i", "{tmp}/in.csv", "-o", "{tmp}/out.json"], "must end in .csv or .parquet"),
        (["-i", "{tmp}/in.txt", "-o", "{tmp}/out.csv"], "must end in .csv or .parquet"),
        (["-i", "{tmp}/missing.csv", "-o", "{tmp}/out.csv"], "does not exist"),
        (["-i", "{tmp}/in.csv", "-o", "{tmp}/in.csv"], "must differ from the input"),
        (["-i", "{tmp}/in.csv", "-o", "{tmp}/o.csv", "--chunk-size", "0"], "at least 1, got 0"),
        (["-i", "{tmp}/bad.csv", "-o", "{tmp}/out.csv"], "column 'x' has type string"),
        (["-i", "{tmp}/empty.csv", "-o", "{tmp}/out.csv"], "is empty"),
        (["-i", "s3://bucket/in.csv", "-o", "{tmp}/out.csv"], "need a Dask --executor"),
    ],
    ids=["out-suffix", "in-suffix", "missing", "same-file", "chunk-0", "bad-type", "empty", "url"],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, rows, scorer_folder, args, message):
    rows.head(10).to_csv(tmp_path / "in.csv", index=False)
    pd.DataFrame({"x": ["a"], "n": [1]}).to_csv(tmp_path / "bad.csv", index=False)
    (tmp_path / "empty.csv").write_text("")
    before = sorted(p.name for p in tmp_path.iterdir())
    filled = [a.format(tmp=tmp_path) for a in args]
    result = cairn("models", "predict", "-m", str(scorer_folder), *filled)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert result.stderr.startswith("Error:") and result.stderr.count("\n") <= 2
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_unknown_model_is_one_line(tmp_path, rows):
    rows.head(3).to_csv(tmp_path / "in.csv", index=False)
    result = cairn(
        "models", "predict", "-m", str(tmp_path / "nothing"), "-i", str(tmp_path / "in.csv"),
        "-o", str(tmp_path / "out.csv"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:")
    assert not (tmp_path / "out.csv").exists()
