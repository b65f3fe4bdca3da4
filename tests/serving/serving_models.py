"""Models the serving tests save: importable by the server process (tests/serving is on its
PYTHONPATH), so their cloudpickles load there."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cairn.models.pyfunc import PythonModel


class Scorer(PythonModel):
    """``2 * x + n`` per row; raises on ``x == 13`` so tests can break it from a request."""

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> Any:
        if (model_input["x"] == 13).any():
            raise ValueError("unlucky input x=13")
        scale = float((params or {}).get("scale", 1.0))
        return (2 * model_input["x"] + model_input["n"]) * scale


class Versioned(PythonModel):
    """Answers its own version number for every row (to see which version served)."""

    def __init__(self, version: int) -> None:
        self.version = version

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> Any:
        return pd.Series([self.version] * len(model_input), name="version")


EXAMPLE = pd.DataFrame({"x": [1.5, 2.0], "n": [1, 2]})
