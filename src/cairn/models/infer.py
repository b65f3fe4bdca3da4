"""Infer signature schemas from example data (pandas, numpy, dicts and lists)."""

from __future__ import annotations

from typing import Any

from cairn.errors import InvalidInput
from cairn.models.signature import ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec

__all__ = ["as_frame", "column_type", "infer_param_schema", "infer_schema"]

_NUMPY_TO_COLUMN = {
    "bool": "boolean",
    "int8": "integer",
    "int16": "integer",
    "int32": "integer",
    "uint8": "integer",
    "uint16": "integer",
    "int64": "long",
    "uint32": "long",
    "float16": "float",
    "float32": "float",
    "float64": "double",
}


def as_frame(data: Any) -> Any:
    """A pandas DataFrame from a DataFrame, Series, dict of lists/scalars or list of dicts."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, dict):
        if all(
            not isinstance(v, (list, tuple)) and getattr(v, "ndim", 0) == 0 for v in data.values()
        ):
            return pd.DataFrame([data])
        return pd.DataFrame(data)
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        return pd.DataFrame(data)
    raise InvalidInput(
        f"cannot read {type(data).__name__} as a table: give a DataFrame, a dict of lists "
        "or a list of dicts"
    )


def column_type(series: Any) -> str:
    """The column type (``long``, ``double``, ``string`` ...) of a pandas Series."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return "string"
    name = str(getattr(dtype, "numpy_dtype", dtype)).lower()
    if name in _NUMPY_TO_COLUMN:
        return _NUMPY_TO_COLUMN[name]
    kind = pd.api.types.infer_dtype(series, skipna=True)
    mapping = {
        "string": "string",
        "empty": "string",
        "bytes": "binary",
        "integer": "long",
        "floating": "double",
        "mixed-integer-float": "double",
        "boolean": "boolean",
        "datetime64": "datetime",
        "datetime": "datetime",
    }
    if kind in mapping:
        return mapping[kind]
    raise InvalidInput(f"column {series.name!r} holds {kind} values, which have no column type")


def _tensor(array: Any, name: str | None = None) -> TensorSpec:
    import numpy as np

    array = np.asarray(array)
    if array.dtype == object:
        raise InvalidInput("a numpy array of Python objects has no tensor type")
    shape = (-1, *array.shape[1:]) if array.ndim else ()
    return TensorSpec(str(array.dtype), shape, name)


def infer_schema(data: Any) -> Schema:
    """A schema describing ``data``: columns for tables, tensors for numpy arrays."""
    import numpy as np
    import pandas as pd

    if isinstance(data, np.ndarray):
        return Schema([_tensor(data)])
    arrays = (
        isinstance(data, dict) and data and all(isinstance(v, np.ndarray) for v in data.values())
    )
    if arrays and any(v.ndim > 1 for v in data.values()):
        return Schema([_tensor(v, str(k)) for k, v in data.items()])
    if isinstance(data, pd.Series):
        name = None if data.name is None or isinstance(data.name, int) else str(data.name)
        return Schema([ColSpec(column_type(data), name)])
    if isinstance(data, (list, tuple)) and data and not isinstance(data[0], dict):
        return infer_schema(pd.Series(list(data)))
    if isinstance(data, (str, bytes, int, float, bool)):
        return infer_schema(pd.Series([data]))
    frame = as_frame(data)
    return Schema([ColSpec(column_type(frame[col]), str(col)) for col in frame.columns])


def infer_param_schema(params: dict[str, Any]) -> ParamSchema:
    """Parameter specs from a mapping of name to default value (scalars or 1-d lists)."""
    import pandas as pd

    specs = []
    for name, value in params.items():
        if isinstance(value, (list, tuple)):
            kind = column_type(pd.Series(list(value))) if value else "string"
            specs.append(ParamSpec(str(name), kind, list(value), (-1,)))
        else:
            specs.append(ParamSpec(str(name), column_type(pd.Series([value])), value))
    return ParamSchema(specs)
