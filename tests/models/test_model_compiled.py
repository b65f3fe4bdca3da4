"""Compiled scoring: scikit-learn models through their checked ONNX conversion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cairn.sklearn
from cairn.errors import InvalidInput
from cairn.models.compiled import CompiledPredictor, _verify, compile_model
from cairn.models.pyfunc import load_model

COLUMNS = [f"f{i}" for i in range(6)]


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAIRN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "compiled"


def _data(rows: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    from sklearn.datasets import make_classification

    features, labels = make_classification(rows, len(COLUMNS), random_state=seed)
    return pd.DataFrame(features, columns=COLUMNS), labels


def _saved(tmp_path: Path, estimator, frame: pd.DataFrame, **kwargs) -> Path:
    folder = tmp_path / "model"
    cairn.sklearn.save_model(estimator, folder, **kwargs)
    return folder


def test_a_forest_scores_the_same_through_onnx(tmp_path: Path, cache: Path):
    from sklearn.ensemble import RandomForestClassifier

    frame, labels = _data()
    forest = RandomForestClassifier(30, random_state=0).fit(frame, labels)
    folder = _saved(tmp_path, forest, frame, input_example=frame.head(5))
    compiled = compile_model(load_model(folder), "onnx")
    assert isinstance(compiled._impl, CompiledPredictor)
    fresh, _ = _data(3000, seed=7)
    assert (compiled.predict(fresh) == forest.predict(fresh)).all()
    shuffled = fresh[list(reversed(COLUMNS))]  # columns in another order: picked by name
    assert (compiled.predict(shuffled) == forest.predict(fresh)).all()
    assert len(list(cache.glob("*.onnx"))) == 1
    with pytest.raises(InvalidInput, match="f3"):  # the signature is still enforced
        compiled.predict(fresh.drop(columns="f3"))


def test_probabilities_and_regressions_compile_within_tolerance(tmp_path: Path):
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression

    frame, labels = _data()
    logistic = LogisticRegression(max_iter=500).fit(frame, labels)
    proba = _saved(tmp_path / "a", logistic, frame, input_example=frame.head(5),
                   pyfunc_predict_fn="predict_proba")  # fmt: skip
    got = compile_model(load_model(proba), "onnx").predict(frame)
    assert np.allclose(got, logistic.predict_proba(frame), rtol=1e-5, atol=1e-6)
    target = frame["f0"] * 3 + frame["f1"] ** 2
    booster = GradientBoostingRegressor(n_estimators=20, random_state=0).fit(frame, target)
    regression = _saved(tmp_path / "b", booster, frame, input_example=frame.head(5))
    got = compile_model(load_model(regression), "onnx").predict(frame)
    assert got.shape == (len(frame),)
    assert np.allclose(got, booster.predict(frame), rtol=1e-5, atol=1e-5)


def test_the_cache_is_reused_and_a_damaged_entry_converted_again(tmp_path: Path, cache: Path):
    from sklearn.tree import DecisionTreeClassifier

    frame, labels = _data()
    tree = DecisionTreeClassifier(random_state=0).fit(frame, labels)
    folder = _saved(tmp_path, tree, frame, input_example=frame.head(5))
    compile_model(load_model(folder), "onnx")
    (entry,) = cache.glob("*.onnx")
    stamp = entry.stat().st_mtime_ns
    compile_model(load_model(folder), "onnx")
    assert entry.stat().st_mtime_ns == stamp  # not converted again
    entry.write_bytes(b"not an onnx model")
    again = compile_model(load_model(folder), "onnx")
    assert (again.predict(frame) == tree.predict(frame)).all()
    assert entry.read_bytes() != b"not an onnx model"


def test_none_returns_the_model_and_unknown_compilers_are_refused(tmp_path: Path):
    from sklearn.tree import DecisionTreeClassifier

    frame, labels = _data(200)
    folder = _saved(tmp_path, DecisionTreeClassifier().fit(frame, labels), frame,
                    input_example=frame.head(5))  # fmt: skip
    model = load_model(folder)
    assert compile_model(model, "none") is model
    with pytest.raises(InvalidInput, match="--compile must be one of none, onnx"):
        compile_model(model, "tvm")


def test_models_that_cannot_be_checked_or_converted_are_refused(tmp_path: Path, cache: Path):
    from sklearn.tree import DecisionTreeClassifier

    frame, labels = _data(200)
    tree = DecisionTreeClassifier().fit(frame, labels)
    no_example = _saved(tmp_path / "a", tree, frame, signature=cairn.models.infer_signature(frame))
    with pytest.raises(InvalidInput, match="no input example"):
        compile_model(load_model(no_example), "onnx")
    texts = frame.assign(city=["x", "y"] * 100)
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    pipeline = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["city"]), remainder="passthrough"),
        DecisionTreeClassifier(),
    ).fit(texts, labels)
    mixed = _saved(tmp_path / "b", pipeline, texts, input_example=texts.head(5))
    with pytest.raises(InvalidInput, match=r"non-numeric input columns \(city\)"):
        compile_model(load_model(mixed), "onnx")
    assert not cache.exists() or not list(cache.iterdir())


def test_a_custom_python_model_is_refused(tmp_path: Path):
    from cairn.models.pyfunc import PythonModel, save_model

    class Doubler(PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input * 2

    frame = pd.DataFrame({"x": [1.0, 2.0]})
    save_model(tmp_path / "m", python_model=Doubler(), input_example=frame)
    with pytest.raises(InvalidInput, match="only scikit-learn models compile"):
        compile_model(load_model(tmp_path / "m"), "onnx")


def test_a_conversion_that_disagrees_is_refused():
    from sklearn.tree import DecisionTreeClassifier

    frame, labels = _data(300)
    tree = DecisionTreeClassifier(random_state=0).fit(frame, labels)

    class Flipped:
        def predict(self, rows):
            answers = tree.predict(rows).copy()
            answers[:3] = 1 - answers[:3]
            return answers

    with pytest.raises(InvalidInput, match="disagrees with scikit-learn on 3 of 300 check rows"):
        _verify(tree, "predict", Flipped(), frame, "DecisionTreeClassifier")
    _verify(tree, "predict", tree, frame, "DecisionTreeClassifier")  # agreeing passes
