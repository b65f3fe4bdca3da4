"""cairn.xgboost: native .ubj files for Boosters and sklearn wrappers, pyfunc, runs:/ URIs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
import yaml
from sklearn.datasets import make_regression

import cairn
from cairn.errors import InvalidInput


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(60, 3, random_state=1)
    return pd.DataFrame(X, columns=["x1", "x2", "x3"]), y


def test_sklearn_wrapper_comes_back_as_itself(tmp_path, data):
    frame, y = data
    model = xgb.XGBRegressor(n_estimators=8, max_depth=3).fit(frame, y)
    cairn.xgboost.save_model(model, tmp_path / "m", input_example=frame[:4])
    assert (tmp_path / "m" / "model.ubj").is_file()
    loaded = cairn.xgboost.load_model(tmp_path / "m")
    assert type(loaded) is xgb.XGBRegressor
    np.testing.assert_allclose(loaded.predict(frame), model.predict(frame), rtol=1e-6)
    pyfunc = cairn.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(pyfunc.predict(frame), model.predict(frame), rtol=1e-6)
    with pytest.raises(InvalidInput, match="'x2'"):
        pyfunc.predict(frame[["x1", "x3"]])


def test_booster_json_format(tmp_path, data):
    frame, y = data
    booster = xgb.train({"max_depth": 2}, xgb.DMatrix(frame, label=y), 5)
    cairn.xgboost.save_model(booster, tmp_path / "b", model_format="json")
    assert (tmp_path / "b" / "model.json").is_file()
    assert isinstance(cairn.xgboost.load_model(tmp_path / "b"), xgb.Booster)
    expected = booster.predict(xgb.DMatrix(frame))
    np.testing.assert_allclose(
        cairn.pyfunc.load_model(str(tmp_path / "b")).predict(frame), expected
    )


def test_bad_input_and_foreign_classes_are_refused(tmp_path, data):
    frame, y = data
    with pytest.raises(InvalidInput, match="xgboost.Booster.*list"):
        cairn.xgboost.save_model([1, 2], tmp_path / "a")
    booster = xgb.train({}, xgb.DMatrix(frame, label=y), 2)
    with pytest.raises(InvalidInput, match="model_format 'pkl'"):
        cairn.xgboost.save_model(booster, tmp_path / "a", model_format="pkl")
    assert not (tmp_path / "a").exists()
    cairn.xgboost.save_model(booster, tmp_path / "m")
    mlmodel = tmp_path / "m" / "MLmodel"
    conf = yaml.safe_load(mlmodel.read_text())
    conf["flavors"]["xgboost"]["model_class"] = "os.system"
    mlmodel.write_text(yaml.safe_dump(conf))
    with pytest.raises(InvalidInput, match="'os.system' is not an xgboost class"):
        cairn.xgboost.load_model(tmp_path / "m")


def test_log_model_and_load_by_runs_uri(project, data):
    frame, y = data
    model = xgb.XGBRegressor(n_estimators=4).fit(frame, y)
    with cairn.start_run() as run:
        info = cairn.xgboost.log_model(model, name="xgb", input_example=frame[:3])
    assert info.model_uri == f"runs:/{run.info.run_id}/xgb"
    np.testing.assert_allclose(
        cairn.pyfunc.load_model(info.model_uri).predict(frame), model.predict(frame), rtol=1e-6
    )
    assert type(cairn.xgboost.load_model(info.model_uri)) is xgb.XGBRegressor


@pytest.mark.filterwarnings(
    "ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning"
)
def test_mlflow_xgboost_and_lightgbm_folders_load_natively(tmp_path, data):
    pytest.importorskip("mlflow")
    import lightgbm as lgb
    import mlflow.lightgbm
    import mlflow.xgboost

    frame, y = data
    model = xgb.XGBRegressor(n_estimators=3).fit(frame, y)
    mlflow.xgboost.save_model(model, str(tmp_path / "xgb"))
    loaded = cairn.xgboost.load_model(tmp_path / "xgb")
    assert type(loaded) is xgb.XGBRegressor
    np.testing.assert_allclose(loaded.predict(frame), model.predict(frame), rtol=1e-6)
    booster = lgb.train({"verbose": -1}, lgb.Dataset(frame, y), 3)
    mlflow.lightgbm.save_model(booster, str(tmp_path / "lgb"))
    np.testing.assert_allclose(
        cairn.lightgbm.load_model(tmp_path / "lgb").predict(frame), booster.predict(frame)
    )
