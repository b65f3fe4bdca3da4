"""The model folder: MLmodel round trip, environment files, input examples."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from cairn.errors import AlreadyExists, InvalidInput, NotFound
from cairn.models.environment import pinned, write_environment
from cairn.models.folder import new_model_folder
from cairn.models.input_example import read_input_example, write_input_example
from cairn.models.model import Model
from cairn.models.pyfunc import add_to_model
from cairn.models.signature import infer_signature


def test_mlmodel_round_trip_keeps_unknown_keys(tmp_path):
    model = Model(artifact_path="model", run_id="r1")
    model.add_flavor("sklearn", pickled_model="model.skops", sklearn_version="1.0")
    add_to_model(model, loader_module="cairn.sklearn", data="model.skops")
    model.signature = infer_signature(pd.DataFrame({"a": [1]}), np.array([0.5]))
    model.extra["mlflow_version"] = "3.1.0"
    model.save(tmp_path)

    raw = yaml.safe_load((tmp_path / "MLmodel").read_text())
    assert raw["flavors"]["python_function"]["loader_module"] == "cairn.sklearn"
    assert raw["flavors"]["python_function"]["env"] == {"virtualenv": "python_env.yaml"}
    assert raw["flavors"]["python_function"]["python_version"].startswith(f"{sys.version_info[0]}.")
    assert raw["cairn_version"] and raw["model_uuid"] and raw["utc_time_created"]
    assert isinstance(raw["signature"]["inputs"], str)

    loaded = Model.load(tmp_path / "MLmodel")
    assert loaded.to_dict() == model.to_dict()
    assert loaded.extra["mlflow_version"] == "3.1.0"
    assert loaded.run_id == "r1" and loaded.artifact_path == "model"
    assert loaded.signature == model.signature


def test_bad_mlmodel_files(tmp_path):
    with pytest.raises(NotFound, match="no MLmodel file"):
        Model.load(tmp_path)
    (tmp_path / "MLmodel").write_text("flavors: [1, 2\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        Model.load(tmp_path)
    (tmp_path / "MLmodel").write_text("- a list\n")
    with pytest.raises(InvalidInput, match="must be a YAML mapping"):
        Model.load(tmp_path)
    (tmp_path / "MLmodel").write_text("flavors: 3\n")
    with pytest.raises(InvalidInput, match="'flavors' must be a mapping"):
        Model.load(tmp_path)
    with pytest.raises(InvalidInput, match="flavor name"):
        Model().add_flavor("")
    with pytest.raises(InvalidInput, match="loader module"):
        add_to_model(Model(), loader_module="")


def test_environment_files_pin_installed_versions(tmp_path):
    import numpy

    lines = write_environment(tmp_path, ["numpy", "not-a-package-xyz"], extra=["extra-thing>=1"])
    assert lines[0].startswith("cairn==")
    assert f"numpy=={numpy.__version__}" in lines
    assert "not-a-package-xyz" in lines and lines[-1] == "extra-thing>=1"
    assert (tmp_path / "requirements.txt").read_text().splitlines() == lines
    env = yaml.safe_load((tmp_path / "python_env.yaml").read_text())
    assert env["python"] == "{}.{}.{}".format(*sys.version_info[:3])
    assert env["dependencies"] == ["-r requirements.txt"]
    assert any(dep.startswith("pip") for dep in env["build_dependencies"])
    assert write_environment(tmp_path, ["numpy"], requirements=["only==1"]) == ["only==1"]
    assert pinned("pandas[performance]").startswith("pandas[performance]==")


def test_input_examples_round_trip(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "s": ["x", "y"]})
    info = write_input_example(tmp_path, frame)
    assert info == {
        "artifact_path": "input_example.json",
        "type": "dataframe",
        "pandas_orient": "split",
    }
    pd.testing.assert_frame_equal(read_input_example(tmp_path, info), frame)
    array = np.arange(6.0).reshape(2, 3)
    info = write_input_example(tmp_path, array)
    np.testing.assert_array_equal(read_input_example(tmp_path, info), array)
    assert read_input_example(tmp_path, None) is None
    with pytest.raises(InvalidInput, match="input_example must be"):
        write_input_example(tmp_path, "text")


def test_new_model_folder_refuses_a_used_folder(tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    with pytest.raises(AlreadyExists, match="already exists and is not empty"):
        new_model_folder(tmp_path / "used")
    assert (tmp_path / "used" / "keep.txt").read_text() == "mine"
    assert new_model_folder(tmp_path / "fresh").is_dir()
