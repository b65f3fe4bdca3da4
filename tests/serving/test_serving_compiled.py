"""``--compile onnx`` end to end: a registered forest served and batch-scored through ONNX
gives scikit-learn's answers; a model that cannot compile stops the server before it opens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pandas as pd
import pytest

import cairn
from cli_support import cairn as run_cli

COLUMNS = [f"f{i}" for i in range(8)]


@pytest.fixture
def forest_version(client, tmp_path, monkeypatch):
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    monkeypatch.setenv("CAIRN_CACHE_DIR", str(tmp_path / "cache"))
    features, labels = make_classification(3000, len(COLUMNS), random_state=3)
    frame = pd.DataFrame(features, columns=COLUMNS)
    forest = RandomForestClassifier(40, random_state=0).fit(frame, labels)
    with cairn.start_run():
        cairn.sklearn.log_model(
            forest, name="model", input_example=frame.head(5), registered_model_name="forest"
        )
    return forest, frame


def test_serve_and_batch_score_through_onnx(forest_version, serve, tmp_path):
    forest, frame = forest_version
    server = serve("models:/forest/1", "--compile", "onnx")
    meta = httpx.get(f"{server.url}/metadata").json()
    assert meta["compiled"] == "onnx"
    sample = frame.sample(200, random_state=1)
    body = {"dataframe_split": sample.to_dict(orient="split")}
    answer = httpx.post(f"{server.url}/invocations", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == forest.predict(sample).tolist()
    one = {"dataframe_records": [sample.iloc[0].to_dict()]}
    assert httpx.post(f"{server.url}/invocations", json=one).json()["predictions"] == [
        int(forest.predict(sample.iloc[:1])[0])
    ]
    bad = {"dataframe_records": [{"f0": 1.0}]}
    refused = httpx.post(f"{server.url}/invocations", json=bad, timeout=30)
    assert refused.status_code == 400 and "missing" in refused.json()["message"]

    frame.to_parquet(tmp_path / "in.parquet")
    result = run_cli(
        "models", "predict", "-m", "models:/forest/1", "-i", str(tmp_path / "in.parquet"),
        "-o", str(tmp_path / "out.parquet"), "--compile", "onnx", "--chunk-size", "700",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    scored = pd.read_parquet(tmp_path / "out.parquet")
    assert scored.iloc[:, 0].tolist() == forest.predict(frame).tolist()


def test_a_model_that_cannot_compile_stops_before_serving(scorer_folder, tmp_path):
    cairn_bin = str(Path(sys.executable).parent / "cairn")
    done = subprocess.run(
        [cairn_bin, "models", "serve", str(scorer_folder), "--port", "0", "--compile", "onnx"],
        capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "CAIRN_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert done.returncode != 0
    assert "only scikit-learn models compile" in done.stderr
    assert "serve it without --compile" in done.stderr
    assert "Traceback" not in done.stderr
    bogus = subprocess.run(
        [cairn_bin, "models", "serve", str(scorer_folder), "--compile", "tvm"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bogus.returncode == 2 and "tvm" in bogus.stderr
