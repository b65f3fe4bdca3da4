"""Model URIs: parsing models:/ forms and resolving every kind of URI to a local folder."""

from __future__ import annotations

import pandas as pd
import pytest

import cairn
import cairn.pyfunc
from cairn.errors import InvalidInput, NotFound
from cairn.models.uris import ModelRef, download_model, parse_models_uri, resolve_source
from cairn.tracking.fluent import _client


@pytest.mark.parametrize(
    ("uri", "ref"),
    [
        ("models:/churn/3", ModelRef("churn", version=3)),
        ("models:/churn@champion", ModelRef("churn", alias="champion")),
        ("models:/churn/Production", ModelRef("churn", stage="Production")),
        ("models:/churn/staging", ModelRef("churn", stage="Staging")),
        ("models:/churn/latest", ModelRef("churn", latest=True)),
        ("models:/m-0123abc", ModelRef("m-0123abc", model_id="m-0123abc")),
    ],
)
def test_parse_models_uri(uri, ref):
    assert parse_models_uri(uri) == ref


@pytest.mark.parametrize(
    "uri",
    ["models:/", "models:/churn", "models:/churn/Live", "models:/@x", "models:/a/b/3", "runs:/x"],
)
def test_bad_models_uris_are_named(uri):
    with pytest.raises(InvalidInput, match="models:/"):
        parse_models_uri(uri)


class One(cairn.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input["a"] * 0 + 1


def test_download_model_from_each_kind_of_uri(cairn_project, tmp_path):
    folder = tmp_path / "local"
    cairn.pyfunc.save_model(folder, python_model=One())
    assert download_model(folder) == folder
    assert download_model(f"file://{folder}") == folder
    assert download_model(folder / "MLmodel") == folder
    with pytest.raises(NotFound, match="no model at"):
        download_model(tmp_path / "nothing")
    with pytest.raises(InvalidInput, match="runs:/RUN_ID/PATH"):
        download_model("runs:/")

    with cairn.start_run() as run:
        info = cairn.pyfunc.log_model("one", python_model=One())
    artifact_uri = _client().get_run(run.info.run_id).info.artifact_uri
    by_location = download_model(f"{artifact_uri}/one", tmp_path / "copy")
    assert (by_location / "MLmodel").is_file()

    store = _client().store
    store.registry.create_registered_model("one")
    store.registry.create_model_version("one", f"{artifact_uri}/one", run_id=run.info.run_id)
    # a source inside the run's artifacts is read as runs:/ (so a server proxy is used)
    assert resolve_source("models:/one/1") == f"runs:/{run.info.run_id}/one"
    assert resolve_source(info.model_uri) == info.model_uri
    model = cairn.pyfunc.load_model("models:/one/1", dst_path=tmp_path / "dst")
    assert list(model.predict(pd.DataFrame({"a": [5]}))) == [1]
    assert str(model.path).startswith(str(tmp_path / "dst"))
    explicit = cairn.pyfunc.load_model("models:/one/1", tracking_uri=cairn.get_tracking_uri())
    assert explicit.model_version.version == 1
    with pytest.raises(NotFound):
        download_model("models:/nobody/1")
    with pytest.raises(NotFound):
        download_model("models:/one/9")
