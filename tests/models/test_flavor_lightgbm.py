"""cairn.lightgbm: native model.txt, classifier labels kept, pyfunc, runs:/ URIs."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

import cairn
from cairn.errors import InvalidInput


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(120, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=2)
    labels = np.array(["cat", "dog", "emu"])[y]
    return pd.DataFrame(X, columns=["f0", "f1", "f2", "f3"]), labels


def test_classifier_with_string_labels(tmp_path, data):
    frame, labels = data
    model = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(frame, labels)
    cairn.lightgbm.save_model(model, tmp_path / "m", input_example=frame[:5])
    text = (tmp_path / "m" / "model.txt").read_text()
    assert text.startswith("tree")
    assert isinstance(cairn.lightgbm.load_model(tmp_path / "m"), lgb.Booster)
    pyfunc = cairn.pyfunc.load_model(str(tmp_path / "m"))
    assert pyfunc.metadata.flavors["lightgbm"]["classes"] == ["cat", "dog", "emu"]
    assert list(pyfunc.predict(frame)) == list(model.predict(frame))


def test_binary_classifier_and_booster(tmp_path, data):
    frame, labels = data
    binary = (labels == "dog").astype(int)
    clf = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(frame, binary)
    cairn.lightgbm.save_model(clf, tmp_path / "c")
    assert list(cairn.pyfunc.load_model(str(tmp_path / "c")).predict(frame)) == list(
        clf.predict(frame)
    )
    booster = lgb.train({"objective": "regression", "verbose": -1}, lgb.Dataset(frame, binary), 5)
    cairn.lightgbm.save_model(booster, tmp_path / "b")
    np.testing.assert_allclose(
        cairn.pyfunc.load_model(str(tmp_path / "b")).predict(frame), booster.predict(frame)
    )


def test_bad_input_writes_nothing(tmp_path):
    with pytest.raises(InvalidInput, match="not fitted"):
        cairn.lightgbm.save_model(lgb.LGBMRegressor(), tmp_path / "a")
    with pytest.raises(InvalidInput, match="lightgbm.Booster.*dict"):
        cairn.lightgbm.save_model({}, tmp_path / "a")
    assert not (tmp_path / "a").exists()


def test_log_model_and_load_by_runs_uri(project, data):
    frame, labels = data
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(frame, labels)
    with cairn.start_run() as run:
        info = cairn.lightgbm.log_model(model, name="lgb", input_example=frame[:3])
    assert info.model_uri == f"runs:/{run.info.run_id}/lgb"
    assert list(cairn.pyfunc.load_model(info.model_uri).predict(frame)) == list(
        model.predict(frame)
    )
    assert isinstance(cairn.lightgbm.load_model(info.model_uri), lgb.Booster)
