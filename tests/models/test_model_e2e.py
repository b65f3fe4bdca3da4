"""End to end across processes: log a custom model, register and alias it with the `cairn`
CLI, then load ``models:/name@alias`` in a fresh Python that cannot import this module."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

import cairn
import cairn.pyfunc
from cli_support import CAIRN


class Threshold(cairn.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return (model_input["score"] > 0.5).astype("int64")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=180)


def test_log_register_alias_and_load_in_a_new_process(project):
    example = pd.DataFrame({"score": [0.2, 0.9], "region": ["n", "s"]})
    cairn.set_experiment("e2e")
    with cairn.start_run():
        info = cairn.pyfunc.log_model("threshold", python_model=Threshold(), input_example=example)

    registered = _run(CAIRN, "models", "register", info.model_uri, "threshold", "--json")
    assert registered.returncode == 0, registered.stderr
    assert json.loads(registered.stdout)["version"] == 1
    aliased = _run(CAIRN, "models", "alias", "threshold", "champion", "1")
    assert aliased.returncode == 0, aliased.stderr

    script = """
import pandas as pd, cairn.pyfunc
from cairn.errors import InvalidInput
m = cairn.pyfunc.load_model("models:/threshold@champion")
print(list(m.predict(pd.DataFrame({"score": [0.1, 0.7], "region": ["a", "b"]}))))
print(m.model_version.version, m.metadata.run_id)
try:
    m.predict(pd.DataFrame({"score": ["high"], "region": ["a"]}))
except InvalidInput as exc:
    print(exc)
"""
    done = _run(sys.executable, "-c", script)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "[0, 1]"
    assert lines[1] == f"1 {info.run_id}"
    assert lines[2] == (
        "column 'score' has type string, the model expects double (cannot convert safely)"
    )
