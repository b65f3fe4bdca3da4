"""End to end through the CLI: a model of every flavor is logged in a run, registered with
``cairn models register`` and scored with ``cairn models predict -m models:/NAME/1``."""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import torch
import xgboost as xgb
from onnx import TensorProto, helper
from sklearn.datasets import make_regression
from sklearn.ensemble import RandomForestRegressor

import cairn
from cli_support import cairn as cli


def _onnx_sum():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])
    node = helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=1)
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    graph = helper.make_graph([node], "sum", [x], [out], initializer=[axes])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _models(frame, y):
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    with torch.no_grad():
        net_out = net(torch.tensor(frame.to_numpy(), dtype=torch.float32)).numpy().ravel()
    forest = RandomForestRegressor(n_estimators=5, random_state=0).fit(frame, y)
    booster = xgb.XGBRegressor(n_estimators=5).fit(frame, y)
    light = lgb.LGBMRegressor(n_estimators=5, verbose=-1).fit(frame, y)
    return {
        "sklearn": (forest, forest.predict(frame)),
        "xgboost": (booster, booster.predict(frame)),
        "lightgbm": (light, light.predict(frame)),
        "onnx": (_onnx_sum(), frame.to_numpy().sum(axis=1)),
        "pytorch": (net, net_out),
    }


@pytest.mark.parametrize("flavor", ["sklearn", "xgboost", "lightgbm", "onnx", "pytorch"])
def test_log_register_and_batch_score(project, flavor):
    X, y = make_regression(30, 3, random_state=0)
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    model, expected = _models(frame, y)[flavor]
    with cairn.start_run():
        info = getattr(cairn, flavor).log_model(model, name="model", input_example=frame[:3])
    registered = cli("models", "register", info.model_uri, f"{flavor}-model", "--json")
    assert registered.exit_code == 0, registered.output
    assert json.loads(registered.output)["version"] == 1
    frame.to_csv(project / "in.csv", index=False)
    scored = cli("models", "predict", "-m", f"models:/{flavor}-model/1", "-i", "in.csv",
                 "-o", "out.csv", "--chunk-size", "7", "--json")  # fmt: skip
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.output)["rows"] == 30
    got = pd.read_csv(project / "out.csv").to_numpy().ravel()
    np.testing.assert_allclose(got, np.asarray(expected).ravel(), rtol=1e-4, atol=1e-4)
