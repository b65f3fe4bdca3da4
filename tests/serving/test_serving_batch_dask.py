"""``cairn models predict --executor dask-local``: the workers read the input and score it,
rows keep their order."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cli_support import cairn

pytest.importorskip("distributed")

ROWS = 3_000


@pytest.fixture
def rows(tmp_path) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=ROWS), "n": np.arange(ROWS, dtype="int64")})
    frame.to_csv(tmp_path / "in.csv", index=False)
    return frame


def _predict(scorer_folder, tmp_path, output: str, *extra: str):
    return cairn(
        "models", "predict", "-m", str(scorer_folder), "-i", str(tmp_path / "in.csv"),
        "-o", str(tmp_path / output), "--executor", "dask-local", "--chunk-size", "500",
        "--json", *extra,
    )  # fmt: skip


def test_dask_scores_in_partitions_into_parquet(tmp_path, rows, scorer_folder):
    result = _predict(scorer_folder, tmp_path, "out.parquet")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == ROWS and report["chunks"] > 1
    written = pd.read_parquet(tmp_path / "out.parquet")
    assert list(written.columns) == ["prediction"]
    np.testing.assert_allclose(written["prediction"], 2 * rows["x"] + rows["n"])


def test_dask_scores_into_one_csv(tmp_path, rows, scorer_folder):
    result = _predict(scorer_folder, tmp_path, "out.csv")
    assert result.exit_code == 0, result.output
    written = pd.read_csv(tmp_path / "out.csv")
    np.testing.assert_allclose(written["prediction"], 2 * rows["x"] + rows["n"])


def test_dask_refuses_an_existing_output_and_a_bad_executor(tmp_path, rows, scorer_folder):
    (tmp_path / "out.csv").write_text("mine")
    result = _predict(scorer_folder, tmp_path, "out.csv")
    assert result.exit_code == 1
    assert "exists already" in result.stderr
    assert (tmp_path / "out.csv").read_text() == "mine"
    bad = _predict(scorer_folder, tmp_path, "new.csv", "--executor", "spark://x")
    assert bad.exit_code == 1
    assert "unknown executor 'spark://x'" in bad.stderr
    assert not (tmp_path / "new.csv").exists()


def test_dask_bad_rows_leave_no_output(tmp_path, rows, scorer_folder):
    broken = rows.astype({"x": "object"})
    broken.loc[2_500, "x"] = "oops"
    broken.to_csv(tmp_path / "in.csv", index=False)
    result = _predict(scorer_folder, tmp_path, "out.parquet")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:") and "column 'x'" in result.stderr
    assert not (tmp_path / "out.parquet").exists()


def test_dask_empty_input_is_one_line(tmp_path, scorer_folder):
    (tmp_path / "in.csv").write_text("x,n\n")
    result = _predict(scorer_folder, tmp_path, "out.parquet")
    assert result.exit_code == 1
    assert "has no rows" in result.stderr
    assert not (tmp_path / "out.parquet").exists()
