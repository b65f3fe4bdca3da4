"""Input examples saved beside a model (``input_example.json``, MLflow's layout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cairn.errors import InvalidInput

__all__ = ["EXAMPLE_FILE", "read_input_example", "write_input_example"]

EXAMPLE_FILE = "input_example.json"


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def write_input_example(folder: Path, example: Any) -> dict[str, Any]:
    """Write ``example`` (a DataFrame, numpy array or dict of arrays) as JSON; return the
    ``saved_input_example_info`` for ``MLmodel``."""
    import numpy as np
    import pandas as pd

    if isinstance(example, pd.DataFrame):
        text = example.to_json(orient="split", index=False, date_format="iso")
        info = {"artifact_path": EXAMPLE_FILE, "type": "dataframe", "pandas_orient": "split"}
    elif isinstance(example, (np.ndarray, dict)):
        text = json.dumps({"inputs": _jsonable(example)})
        info = {"artifact_path": EXAMPLE_FILE, "type": "ndarray", "format": "tf-serving"}
    else:
        raise InvalidInput(
            f"input_example must be a DataFrame, numpy array, dict or list of dicts, "
            f"got {type(example).__name__}"
        )
    (folder / EXAMPLE_FILE).write_text(text, encoding="utf-8")
    return info


def read_input_example(folder: Path, info: dict[str, Any] | None) -> Any:
    """The saved example as a DataFrame or numpy array (None if the model has none)."""
    import numpy as np
    import pandas as pd

    if not info:
        return None
    path = folder / info.get("artifact_path", EXAMPLE_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    if info.get("type") == "dataframe":
        if isinstance(data, dict) and "columns" in data:
            return pd.DataFrame(data["data"], columns=data["columns"])
        return pd.DataFrame(data)
    inputs = data.get("inputs", data) if isinstance(data, dict) else data
    if isinstance(inputs, dict):
        return {k: np.asarray(v) for k, v in inputs.items()}
    return np.asarray(inputs)
