"""cairn.pytorch: torch.export program + state dict, pyfunc on float32, runs:/ URIs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import cairn
from cairn.errors import InvalidInput


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))


@pytest.fixture(scope="module")
def frame():
    return pd.DataFrame(np.random.default_rng(0).normal(size=(7, 3)), columns=["u", "v", "w"])


def _expected(net, frame):
    with torch.no_grad():
        return net(torch.tensor(frame.to_numpy(), dtype=torch.float32)).numpy()


def test_round_trip_without_the_users_class(tmp_path, net, frame):
    cairn.pytorch.save_model(net, tmp_path / "m", input_example=frame[:1])
    assert {p.name for p in (tmp_path / "m").iterdir()} >= {"model.pt2", "state_dict.pt", "MLmodel"}
    module = cairn.pytorch.load_model(tmp_path / "m")
    with torch.no_grad():
        got = module(torch.tensor(frame.to_numpy(), dtype=torch.float32)).numpy()
    np.testing.assert_allclose(got, _expected(net, frame), rtol=1e-5)
    pyfunc = cairn.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(pyfunc.predict(frame), _expected(net, frame), rtol=1e-5)
    state = cairn.pytorch.load_state_dict(tmp_path / "m")
    rebuilt = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    rebuilt.load_state_dict(state)
    np.testing.assert_allclose(_expected(rebuilt, frame), _expected(net, frame))
    with pytest.raises(InvalidInput, match="'w'"):
        pyfunc.predict(frame[["u", "v"]])


def test_bad_input_writes_nothing(tmp_path, net, frame):
    with pytest.raises(InvalidInput, match="needs input_example"):
        cairn.pytorch.save_model(net, tmp_path / "a")
    with pytest.raises(InvalidInput, match="torch.nn.Module, got str"):
        cairn.pytorch.save_model("net", tmp_path / "a", input_example=frame)
    with pytest.raises(InvalidInput, match="could not export"):
        cairn.pytorch.save_model(net, tmp_path / "a", input_example=np.ones((2, 4)))
    assert not (tmp_path / "a").exists()
    cairn.pytorch.save_model(net, tmp_path / "m", input_example=frame)
    (tmp_path / "m" / "model.pt2").write_bytes(b"garbage")
    with pytest.raises(InvalidInput, match="not a torch exported program"):
        cairn.pytorch.load_model(tmp_path / "m")


def test_log_model_and_load_by_runs_uri(project, net, frame):
    with cairn.start_run() as run:
        info = cairn.pytorch.log_model(net, name="torch", input_example=frame[:2])
    assert info.model_uri == f"runs:/{run.info.run_id}/torch"
    np.testing.assert_allclose(
        cairn.pyfunc.load_model(info.model_uri).predict(frame), _expected(net, frame), rtol=1e-5
    )
