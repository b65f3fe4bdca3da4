"""Model folders written by the real ``mlflow`` load in cairn, and cairn's load in mlflow."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import cairn.pyfunc
from cairn.errors import InvalidInput

pytest.importorskip("mlflow")
pytest.importorskip("sklearn")

# MLflow warns about its own type hints and about pickles; neither is under test here.
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
Y = [0, 0, 1, 1]


@pytest.fixture(scope="module")
def mlflow():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mlflow
        import mlflow.pyfunc
        import mlflow.sklearn
    return mlflow


def _offset_model(mlflow):
    class Offset(mlflow.pyfunc.PythonModel):
        """An MLflow custom model reading its offset from an artifact."""

        def load_context(self, context):
            with open(context.artifacts["offset"]) as handle:
                self.offset = float(handle.read())

        def predict(self, context, model_input, params=None):
            return model_input["a"] + self.offset

    return Offset()


@pytest.fixture(scope="module")
def classifier():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(X, Y)


def test_mlflow_sklearn_skops_folder_loads_and_predicts(tmp_path, classifier, mlflow):
    folder = tmp_path / "sk"
    signature = mlflow.models.infer_signature(X, classifier.predict(X))
    mlflow.sklearn.save_model(classifier, str(folder), signature=signature, input_example=X[:2])
    model = cairn.pyfunc.load_model(folder)
    assert list(model.predict(X)) == list(classifier.predict(X))
    assert model.metadata.extra["mlflow_version"] == mlflow.__version__
    assert model.loader_module == "mlflow.sklearn"
    with pytest.raises(
        InvalidInput, match="input has column 'c' the model's signature does not list"
    ):
        model.predict(X.assign(c=1.0))
    with pytest.raises(InvalidInput, match="input column 'b' is missing"):
        model.predict(X[["a"]])


def test_mlflow_sklearn_pickle_needs_trusted(tmp_path, classifier, mlflow):
    folder = tmp_path / "pkl"
    mlflow.sklearn.save_model(classifier, str(folder), serialization_format="cloudpickle")
    with pytest.raises(InvalidInput, match="pass trusted=True"):
        cairn.pyfunc.load_model(folder)
    model = cairn.pyfunc.load_model(folder, trusted=True)
    assert list(model.predict(X)) == list(classifier.predict(X))
    assert type(model.unwrap_python_model()).__name__ == "LogisticRegression"


def test_mlflow_pyfunc_folder_loads_with_its_artifacts(tmp_path, mlflow):
    offset = tmp_path / "offset.txt"
    offset.write_text("10")
    folder = tmp_path / "py"
    with warnings.catch_warnings():  # MLflow asks for type hints on predict
        warnings.simplefilter("ignore")
        mlflow.pyfunc.save_model(
            str(folder),
            python_model=_offset_model(mlflow),
            artifacts={"offset": str(offset)},
            input_example=X[:2],
        )
        model = cairn.pyfunc.load_model(folder)  # unpickling re-creates the class
    assert list(model.predict(X)) == [10.0, 11.0, 12.0, 13.0]
    assert type(model.unwrap_python_model()).__name__ == "Offset"
    with pytest.raises(InvalidInput, match="column 'a' has type string"):
        model.predict(X.assign(a=["x", "y", "z", "w"]))


def test_unsupported_mlflow_loader_is_named(tmp_path):
    from cairn.models.model import Model

    model = Model()
    cairn.pyfunc.add_to_model(model, loader_module="mlflow.keras", data="model.keras")
    model.save(tmp_path)
    with pytest.raises(InvalidInput, match="MLflow's loader 'mlflow.keras'"):
        cairn.pyfunc.load_model(tmp_path)


class Double(cairn.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input["a"] * 2


def test_cairn_folder_loads_in_mlflow(tmp_path, mlflow):
    folder = tmp_path / "cairn-model"
    cairn.pyfunc.save_model(folder, python_model=Double(), input_example=X[:2])
    model = mlflow.pyfunc.load_model(str(folder))
    assert list(model.predict(X)) == [0.0, 2.0, 4.0, 6.0]
    assert model.metadata.signature.inputs.input_names() == ["a", "b"]
