"""cairn.pyfunc: a user's own model saved, logged, loaded by URI and checked on predict."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

import cairn
import cairn.pyfunc
from cairn.errors import AlreadyExists, InvalidInput, NotFound
from cairn.models.model import Model
from cairn.tracking.fluent import _client


class Scaler(cairn.pyfunc.PythonModel):
    """Multiplies column ``a`` by a factor read from an artifact file."""

    def load_context(self, context):
        with open(context.artifacts["factor"]) as handle:
            self.factor = float(handle.read())

    def predict(self, context, model_input, params=None):
        shift = (params or {}).get("shift", 0)
        return model_input["a"] * self.factor + shift


class NoContext(cairn.pyfunc.PythonModel):
    def predict(self, model_input):  # MLflow 3 allows predict without context
        return model_input["a"] + 1


@pytest.fixture
def factor_file(tmp_path):
    path = tmp_path / "factor.txt"
    path.write_text("3")
    return path


EXAMPLE = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})


def test_save_and_load_a_custom_model(tmp_path, factor_file):
    folder = tmp_path / "m"
    cairn.pyfunc.save_model(
        folder, python_model=Scaler(), artifacts={"factor": factor_file}, input_example=EXAMPLE
    )
    assert {p.name for p in folder.iterdir()} >= {
        "MLmodel",
        "python_model.pkl",
        "artifacts",
        "input_example.json",
        "requirements.txt",
        "python_env.yaml",
    }
    model = cairn.pyfunc.load_model(folder)
    assert list(model.predict(EXAMPLE)) == [3.0, 6.0]
    assert isinstance(model.unwrap_python_model(), Scaler)
    assert model.metadata.signature is not None
    assert [c.name for c in model.metadata.signature.inputs.inputs] == ["a", "b"]
    assert model.metadata.signature.outputs is not None  # inferred from predicting the example
    pd.testing.assert_frame_equal(model.metadata.load_input_example(folder), EXAMPLE)
    with pytest.raises(InvalidInput, match="input column 'b' is missing"):
        model.predict(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(InvalidInput, match="input has column 'c'"):
        model.predict(EXAMPLE.assign(c=1))


def test_predict_without_context_and_with_params(tmp_path, factor_file):
    cairn.pyfunc.save_model(tmp_path / "n", python_model=NoContext())
    assert list(cairn.pyfunc.load_model(tmp_path / "n").predict(pd.DataFrame({"a": [1]}))) == [2]
    signature = cairn.models.infer_signature(EXAMPLE, params={"shift": 0})
    cairn.pyfunc.save_model(
        tmp_path / "p",
        python_model=Scaler(),
        artifacts={"factor": factor_file},
        signature=signature,
    )
    model = cairn.pyfunc.load_model(tmp_path / "p")
    assert list(model.predict(EXAMPLE, params={"shift": 1})) == [4.0, 7.0]
    with pytest.raises(InvalidInput, match="param 'scale' is not in the model's signature"):
        model.predict(EXAMPLE, params={"scale": 1})


def test_bad_saves_leave_nothing_behind(tmp_path, factor_file):
    with pytest.raises(InvalidInput, match="python_model"):
        cairn.pyfunc.save_model(tmp_path / "a")
    with pytest.raises(InvalidInput, match="artifact 'w' points to"):
        cairn.pyfunc.save_model(
            tmp_path / "b", python_model=Scaler(), artifacts={"w": tmp_path / "nope"}
        )
    with pytest.raises(InvalidInput, match="input_example must be"):
        cairn.pyfunc.save_model(tmp_path / "c", python_model=Scaler(), input_example="text")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "factor.txt").write_text("4")
    twins = {"f": factor_file, "g": tmp_path / "other" / "factor.txt"}
    with pytest.raises(InvalidInput, match="artifacts 'f' and 'g' have the same file name"):
        cairn.pyfunc.save_model(tmp_path / "e", python_model=Scaler(), artifacts=twins)
    assert not any((tmp_path / name).exists() for name in "abce")
    cairn.pyfunc.save_model(tmp_path / "d", python_model=NoContext())
    before = (tmp_path / "d" / "MLmodel").read_text()
    with pytest.raises(AlreadyExists):
        cairn.pyfunc.save_model(tmp_path / "d", python_model=Scaler())
    assert (tmp_path / "d" / "MLmodel").read_text() == before


def test_load_errors(tmp_path):
    with pytest.raises(NotFound, match="no model at"):
        cairn.pyfunc.load_model(tmp_path / "missing")
    Model().add_flavor("other", x=1).save(tmp_path / "np")
    with pytest.raises(InvalidInput, match="has no python_function flavor"):
        cairn.pyfunc.load_model(tmp_path / "np")
    model = Model()
    cairn.pyfunc.add_to_model(model, loader_module="no_such_module_xyz")
    model.save(tmp_path / "bad")
    with pytest.raises(InvalidInput, match="'no_such_module_xyz' cannot be imported"):
        cairn.pyfunc.load_model(tmp_path / "bad")
    Model().add_flavor("python_function", data="x").save(tmp_path / "noloader")
    with pytest.raises(InvalidInput, match="names no loader_module"):
        cairn.pyfunc.load_model(tmp_path / "noloader")
    with pytest.raises(InvalidInput, match="model URI is empty"):
        cairn.pyfunc.load_model("")


def test_log_model_and_load_by_every_uri(cairn_project, factor_file):
    cairn.set_experiment("pyfunc")
    with cairn.start_run() as run:
        info = cairn.pyfunc.log_model(
            "scaler",
            python_model=Scaler(),
            artifacts={"factor": factor_file},
            input_example=EXAMPLE,
        )
    run_id = run.info.run_id
    assert info.model_uri == f"runs:/{run_id}/scaler"
    assert info.run_id == run_id and info.artifact_path == "scaler"
    assert info.signature is not None and "python_function" in info.flavors
    files = {f.path for f in _client().list_artifacts(run_id, "scaler")}
    assert "scaler/MLmodel" in files

    store = _client().store
    logged = store.logged_models.get_logged_model(info.model_id)
    assert logged.status == "READY" and logged.source_run_id == run_id

    loaded = cairn.pyfunc.load_model(info.model_uri)
    assert list(loaded.predict(EXAMPLE)) == [3.0, 6.0]
    meta = yaml.safe_load((loaded.path / "MLmodel").read_text())
    assert meta["run_id"] == run_id and meta["artifact_path"] == "scaler"
    assert meta["model_uuid"] == info.model_uuid
    assert list(cairn.pyfunc.load_model(f"models:/{info.model_id}").predict(EXAMPLE)) == [3.0, 6.0]

    store.registry.create_registered_model("scaler")
    store.registry.create_model_version("scaler", info.model_uri, run_id=run_id)
    second = store.registry.create_model_version("scaler", info.model_uri, run_id=run_id)
    store.registry.set_alias("scaler", "champion", 1)
    store.registry.transition_stage("scaler", second.version, "Production")
    for uri, number in (
        ("models:/scaler/1", 1),
        ("models:/scaler@champion", 1),
        ("models:/scaler/Production", 2),
        ("models:/scaler/latest", 2),
    ):
        model = cairn.pyfunc.load_model(uri)
        assert list(model.predict(EXAMPLE)) == [3.0, 6.0], uri
        assert model.model_version.version == number and model.model_uri == uri
    assert cairn.pyfunc.load_model(info.model_uri).model_version is None
    with pytest.raises(NotFound):
        cairn.pyfunc.load_model("models:/scaler@nobody")
    with pytest.raises(NotFound, match="no version in stage Staging"):
        cairn.pyfunc.load_model("models:/scaler/Staging")


def test_log_model_starts_a_run_and_rejects_bad_paths(cairn_project):
    with pytest.raises(InvalidInput, match="not both"):
        cairn.pyfunc.log_model("a", python_model=NoContext(), name="b")
    with pytest.raises(InvalidInput):
        cairn.pyfunc.log_model("../escape", python_model=NoContext())
    info = cairn.pyfunc.log_model(name="plain", python_model=NoContext())
    assert cairn.active_run().info.run_id == info.run_id
    cairn.end_run()
    assert list(cairn.pyfunc.load_model(info.model_uri).predict(pd.DataFrame({"a": [1]}))) == [2]


def test_bad_log_model_calls(cairn_project):
    cairn.set_experiment("fails")
    experiment_id = cairn.get_experiment_by_name("fails").experiment_id
    store = _client().store
    with cairn.start_run() as run:
        with pytest.raises(InvalidInput, match="python_model"):
            cairn.pyfunc.log_model("broken", python_model=None)
        assert list(store.logged_models.search_logged_models([experiment_id])) == []
        with pytest.raises(InvalidInput, match="input_example must be"):
            cairn.pyfunc.log_model("broken", python_model=NoContext(), input_example="text")
        assert [m.status for m in store.logged_models.search_logged_models([experiment_id])] == [
            "FAILED"
        ]
        assert "broken" not in {f.path for f in _client().list_artifacts(run.info.run_id)}


def test_log_model_registers_the_model(cairn_project):
    from cairn import registry

    with cairn.start_run() as run:
        first = cairn.pyfunc.log_model("m", python_model=NoContext(), registered_model_name="adder")
        second = cairn.pyfunc.log_model("m2", python_model=NoContext())
    assert first.registered_model_version == 1 and second.registered_model_version is None
    version = registry.get_model_version("adder", 1)
    assert version.run_id == run.info.run_id and version.model_id == first.model_id
    registry.set_alias("adder", "champion", 1)
    loaded = cairn.pyfunc.load_model("models:/adder@champion")
    assert list(loaded.predict(pd.DataFrame({"a": [1]}))) == [2]
    with pytest.raises(InvalidInput, match="registered_model_name is empty"):
        cairn.pyfunc.log_model("m3", python_model=NoContext(), registered_model_name=" ")
    bad_name = pytest.raises(InvalidInput, match="registered model name 'a/b' is not allowed")
    with cairn.start_run() as run, bad_name:
        cairn.pyfunc.log_model("m4", python_model=NoContext(), registered_model_name="a/b")
    assert "m4" not in {f.path for f in _client().list_artifacts(run.info.run_id)}


def test_a_custom_model_loads_in_a_process_that_cannot_import_its_module(tmp_path, factor_file):
    import subprocess
    import sys

    folder = tmp_path / "portable"
    cairn.pyfunc.save_model(folder, python_model=Scaler(), artifacts={"factor": factor_file})
    script = (
        "import pandas as pd, cairn.pyfunc\n"
        f"m = cairn.pyfunc.load_model({str(folder)!r})\n"
        "print(list(m.predict(pd.DataFrame({'a': [1.0, 2.0]}))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[3.0, 6.0]"


def test_code_paths_are_bundled_and_importable_when_loading(tmp_path, monkeypatch):
    import subprocess
    import sys

    src = tmp_path / "src"
    src.mkdir()
    (src / "featurize_m1.py").write_text("def double(x):\n    return x * 2\n")
    (src / "model_m1.py").write_text(
        "import cairn.pyfunc\nimport featurize_m1\n\n"
        "class Doubler(cairn.pyfunc.PythonModel):\n"
        "    def predict(self, context, model_input, params=None):\n"
        "        return featurize_m1.double(model_input['a'])\n"
    )
    monkeypatch.syspath_prepend(str(src))
    import model_m1

    folder = tmp_path / "bundled"
    cairn.pyfunc.save_model(
        folder, python_model=model_m1.Doubler(), code_paths=[src / "featurize_m1.py"]
    )
    assert (folder / "code" / "featurize_m1.py").is_file()
    assert Model.load(folder).flavors["python_function"]["code"] == "code"
    script = (
        "import pandas as pd, cairn.pyfunc\n"
        f"m = cairn.pyfunc.load_model({str(folder)!r})\n"
        "print(list(m.predict(pd.DataFrame({'a': [1, 2]}))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[2, 4]"
    with pytest.raises(InvalidInput, match="code path .* does not exist"):
        cairn.pyfunc.save_model(
            tmp_path / "x", python_model=NoContext(), code_paths=[src / "no.py"]
        )
    assert not (tmp_path / "x").exists()


def test_a_model_whose_code_is_gone_fails_with_a_hint(tmp_path, monkeypatch):
    import subprocess
    import sys

    src = tmp_path / "src"
    src.mkdir()
    (src / "helper_gone_m1.py").write_text("def one(x):\n    return x * 0 + 1\n")
    (src / "model_gone_m1.py").write_text(
        "import cairn.pyfunc\nimport helper_gone_m1\n\n"
        "class Uses(cairn.pyfunc.PythonModel):\n"
        "    helper = helper_gone_m1\n"
        "    def predict(self, context, model_input, params=None):\n"
        "        return self.helper.one(model_input['a'])\n"
    )
    monkeypatch.syspath_prepend(str(src))
    import model_gone_m1

    folder = tmp_path / "gone"
    cairn.pyfunc.save_model(folder, python_model=model_gone_m1.Uses())
    script = (
        "import cairn.pyfunc\n"
        "from cairn.errors import InvalidInput\n"
        "try:\n"
        f"    cairn.pyfunc.load_model({str(folder)!r})\n"
        "except InvalidInput as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert "No module named 'helper_gone_m1'" in done.stdout
    assert "code_paths" in done.stdout
