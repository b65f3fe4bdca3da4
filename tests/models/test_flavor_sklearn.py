"""cairn.sklearn: skops by default, pickles only when trusted, pyfunc and runs:/ round trips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

import cairn
from cairn.errors import AlreadyExists, InvalidInput


class Doubler(RegressorMixin, BaseEstimator):
    """An estimator skops does not know: its type is untrusted in a skops file."""

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def predict(self, X):
        return np.asarray(X, dtype=float).sum(axis=1) * 2


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(80, 4, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    return frame, y, LogisticRegression().fit(frame, y)


def test_skops_round_trip_and_pyfunc(tmp_path, data):
    frame, _, model = data
    cairn.sklearn.save_model(model, tmp_path / "m", input_example=frame[:5])
    assert (tmp_path / "m" / "model.skops").is_file()
    assert not list((tmp_path / "m").glob("*.pkl"))
    loaded = cairn.sklearn.load_model(tmp_path / "m")
    assert isinstance(loaded, LogisticRegression)
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    pyfunc = cairn.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_array_equal(pyfunc.predict(frame), model.predict(frame))
    conf = pyfunc.metadata.flavors
    assert conf["sklearn"]["serialization_format"] == "skops"
    assert conf["python_function"]["loader_module"] == "cairn.sklearn"
    assert [c.name for c in pyfunc.metadata.signature.inputs.inputs] == ["a", "b", "c", "d"]
    with pytest.raises(InvalidInput, match="'c'"):
        pyfunc.predict(frame.drop(columns=["c"]))


def test_untrusted_skops_types_are_refused_until_trusted(tmp_path):
    X = np.arange(6.0).reshape(3, 2)
    cairn.sklearn.save_model(Doubler().fit(X), tmp_path / "m")
    with pytest.raises(InvalidInput, match=r"skops does not trust: .*Doubler"):
        cairn.sklearn.load_model(tmp_path / "m")
    with pytest.raises(InvalidInput, match="Doubler"):
        cairn.pyfunc.load_model(str(tmp_path / "m"))
    name = f"{Doubler.__module__}.Doubler"
    assert cairn.sklearn.load_model(tmp_path / "m", trusted=[name]).predict(X).tolist() == [
        2,
        10,
        18,
    ]
    assert cairn.sklearn.load_model(tmp_path / "m", trusted=True).predict(X).tolist() == [2, 10, 18]
    assert cairn.pyfunc.load_model(str(tmp_path / "m"), trusted=True).predict(X).tolist() == [
        2,
        10,
        18,
    ]


def test_pickle_needs_trusted_to_save_and_to_load(tmp_path, data):
    frame, _, model = data
    with pytest.raises(InvalidInput, match="trusted=True"):
        cairn.sklearn.save_model(model, tmp_path / "p", serialization="pickle")
    assert not (tmp_path / "p").exists()
    cairn.sklearn.save_model(model, tmp_path / "p", serialization="pickle", trusted=True)
    assert (tmp_path / "p" / "model.pkl").is_file()
    with pytest.raises(InvalidInput, match="pickle.*trusted=True"):
        cairn.sklearn.load_model(tmp_path / "p")
    with pytest.raises(InvalidInput, match="trusted=True"):
        cairn.pyfunc.load_model(str(tmp_path / "p"))
    loaded = cairn.sklearn.load_model(tmp_path / "p", trusted=True)
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    pyfunc = cairn.pyfunc.load_model(str(tmp_path / "p"), trusted=True)
    np.testing.assert_array_equal(pyfunc.predict(frame), model.predict(frame))


def test_bad_input_is_rejected_and_writes_nothing(tmp_path, data):
    _, _, model = data
    with pytest.raises(InvalidInput, match="fitted scikit-learn estimator.*int"):
        cairn.sklearn.save_model(3, tmp_path / "a")
    with pytest.raises(InvalidInput, match="serialization 'json'"):
        cairn.sklearn.save_model(model, tmp_path / "b", serialization="json")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    with pytest.raises(AlreadyExists):
        cairn.sklearn.save_model(model, tmp_path / "used")
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["keep.txt"]


def test_broken_or_foreign_folders_get_one_line_errors(tmp_path, data):
    _, _, model = data
    cairn.sklearn.save_model(model, tmp_path / "m")
    (tmp_path / "m" / "model.skops").write_bytes(b"not a zip file")
    with pytest.raises(InvalidInput, match="not a readable skops file"):
        cairn.sklearn.load_model(tmp_path / "m")
    import xgboost

    booster = xgboost.train({}, xgboost.DMatrix(np.ones((4, 2)), label=[0, 1, 0, 1]), 1)
    cairn.xgboost.save_model(booster, tmp_path / "x")
    with pytest.raises(InvalidInput, match="has no sklearn flavor.*xgboost"):
        cairn.sklearn.load_model(tmp_path / "x")


def test_log_model_in_a_run_and_load_by_runs_uri(project, data):
    frame, _, model = data
    with cairn.start_run() as run:
        info = cairn.sklearn.log_model(model, name="clf", input_example=frame[:5])
    assert info.model_uri == f"runs:/{run.info.run_id}/clf"
    assert info.signature is not None and "sklearn" in info.flavors
    native = cairn.sklearn.load_model(info.model_uri)
    np.testing.assert_array_equal(native.predict(frame), model.predict(frame))
    pyfunc = cairn.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(pyfunc.predict(frame), model.predict(frame))
    with pytest.raises(InvalidInput, match="fitted scikit-learn estimator"):
        cairn.sklearn.log_model("nope", name="bad")


def refuse_me(X):
    """A function of the test module: skops lists it as untrusted."""
    return X


def test_sklearn_classes_load_but_foreign_functions_are_refused(tmp_path):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = make_classification(40, 3, n_informative=2, n_redundant=0, random_state=4)
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    cairn.sklearn.save_model(forest, tmp_path / "forest")
    assert (
        cairn.sklearn.load_model(tmp_path / "forest").predict(X).tolist()
        == forest.predict(X).tolist()
    )
    piped = make_pipeline(FunctionTransformer(refuse_me), LogisticRegression()).fit(X, y)
    cairn.sklearn.save_model(piped, tmp_path / "piped")
    with pytest.raises(InvalidInput, match="refuse_me"):
        cairn.sklearn.load_model(tmp_path / "piped")
    assert (
        cairn.sklearn.load_model(tmp_path / "piped", trusted=True).predict(X).tolist()
        == piped.predict(X).tolist()
    )


@pytest.mark.filterwarnings(
    "ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning"
)
def test_mlflow_sklearn_folders_load_natively_pickles_only_when_trusted(tmp_path, data):
    mlflow_sklearn = pytest.importorskip("mlflow.sklearn")
    frame, _, model = data
    mlflow_sklearn.save_model(model, str(tmp_path / "skops"))  # MLflow 3.17+ writes skops
    loaded = cairn.sklearn.load_model(tmp_path / "skops")
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    mlflow_sklearn.save_model(model, str(tmp_path / "pkl"), serialization_format="cloudpickle")
    with pytest.raises(InvalidInput, match="trusted=True"):
        cairn.sklearn.load_model(tmp_path / "pkl")
    loaded = cairn.sklearn.load_model(tmp_path / "pkl", trusted=True)
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))


def test_log_model_registers_and_loads_by_models_uri(project, data):
    frame, _, model = data
    with cairn.start_run():
        first = cairn.sklearn.log_model(model, name="m", registered_model_name="churn")
        second = cairn.sklearn.log_model(model, name="m2", registered_model_name="churn")
    assert (first.registered_model_version, second.registered_model_version) == (1, 2)
    loaded = cairn.sklearn.load_model("models:/churn/2")
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    np.testing.assert_array_equal(
        cairn.pyfunc.load_model("models:/churn/1").predict(frame), model.predict(frame)
    )


def test_pyfunc_predict_fn(tmp_path, data):
    frame, _, model = data
    cairn.sklearn.save_model(model, tmp_path / "m", pyfunc_predict_fn="predict_proba")
    pyfunc = cairn.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(pyfunc.predict(frame), model.predict_proba(frame))
    with pytest.raises(InvalidInput, match="pyfunc_predict_fn '__class__'"):
        cairn.sklearn.save_model(model, tmp_path / "n", pyfunc_predict_fn="__class__")
    assert not (tmp_path / "n").exists()
