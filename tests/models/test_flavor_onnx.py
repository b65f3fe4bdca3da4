"""cairn.onnx: ModelProto files run with onnxruntime; convert_sklearn via skl2onnx."""

from __future__ import annotations

import numpy as np
import onnx
import pandas as pd
import pytest
from onnx import TensorProto, helper
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

import cairn
from cairn.errors import InvalidInput


def _adder() -> onnx.ModelProto:
    """A two-input graph: out = a + b (float32 columns)."""
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [None, 1])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [None, 1])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [None, 1])
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["out"])], "adder", [a, b], [out]
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_converted_sklearn_model_predicts_like_sklearn(tmp_path):
    X, y = make_classification(50, 3, n_informative=2, n_redundant=0, random_state=3)
    frame = pd.DataFrame(X, columns=["p", "q", "r"])
    model = LogisticRegression().fit(frame, y)
    proto = cairn.onnx.convert_sklearn(model, 3)
    cairn.onnx.save_model(proto, tmp_path / "m", input_example=frame[:4])
    assert isinstance(cairn.onnx.load_model(tmp_path / "m"), onnx.ModelProto)
    pyfunc = cairn.pyfunc.load_model(str(tmp_path / "m"))
    out = pyfunc.predict(frame)
    np.testing.assert_array_equal(out["label"], model.predict(frame))
    np.testing.assert_allclose(out["probabilities"], model.predict_proba(frame), atol=1e-5)
    with pytest.raises(InvalidInput, match="n_features"):
        cairn.onnx.convert_sklearn(model, 0)


def test_multi_input_graph_takes_columns_by_name(tmp_path):
    cairn.onnx.save_model(_adder(), tmp_path / "m")
    pyfunc = cairn.pyfunc.load_model(str(tmp_path / "m"))
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [10.0, 20.0]})
    assert pyfunc.predict(frame).ravel().tolist() == [11.0, 22.0]
    with pytest.raises(InvalidInput, match="input 'b' is missing"):
        pyfunc.predict(frame[["a"]])


def test_invalid_models_are_refused(tmp_path):
    with pytest.raises(InvalidInput, match="onnx.ModelProto, got bytes"):
        cairn.onnx.save_model(b"\x00", tmp_path / "a")
    broken = _adder()
    broken.graph.node[0].input[1] = "nowhere"
    with pytest.raises(InvalidInput, match="not a valid ONNX model"):
        cairn.onnx.save_model(broken, tmp_path / "a")
    assert not (tmp_path / "a").exists()


def test_log_model_and_load_by_runs_uri(project):
    with cairn.start_run() as run:
        info = cairn.onnx.log_model(_adder(), name="onnx")
    assert info.model_uri == f"runs:/{run.info.run_id}/onnx"
    frame = pd.DataFrame({"a": [1.5], "b": [2.0]})
    assert cairn.pyfunc.load_model(info.model_uri).predict(frame).ravel().tolist() == [3.5]
    assert cairn.onnx.load_model(info.model_uri).graph.name == "adder"
