"""Check model input against a signature: every error names the column at fault.

Only safe conversions happen: a narrower integer to a wider one, integers to floats, float32 to
float64. A missing column, an extra column or an unsafe type is an InvalidInput.
"""

from __future__ import annotations

from typing import Any

from cairn.errors import InvalidInput
from cairn.models.signature import COLUMN_TYPES, ColSpec, ParamSchema, Schema, TensorSpec

__all__ = ["enforce_params", "enforce_schema"]

_INTS = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"}
_SAFE: dict[str, set[str]] = {
    "boolean": {"boolean"},
    "integer": {"integer"},
    "long": {"integer", "long"},
    "float": {"float", "integer"},
    "double": {"float", "double", "integer", "long"},
    "string": {"string"},
    "binary": {"binary"},
    "datetime": {"datetime"},
}


def _convert_column(series: Any, spec: ColSpec) -> Any:
    import pandas as pd

    from cairn.models.infer import column_type

    name = spec.name if spec.name is not None else series.name
    try:
        found = column_type(series)
    except InvalidInput:
        found = "object"
    if spec.type == "datetime" and found == "string":
        try:
            return pd.to_datetime(series)
        except (ValueError, TypeError):
            pass
    if found not in _SAFE[spec.type]:
        if series.isna().any() and spec.type in ("long", "integer") and found == "double":
            raise InvalidInput(f"column '{name}' has missing values, the model expects {spec.type}")
        raise InvalidInput(
            f"column '{name}' has type {found}, the model expects {spec.type} (cannot convert safely)"
        )
    if spec.type in ("string", "binary", "boolean") or found == spec.type:
        return series
    from cairn.models.signature import COLUMN_TYPES

    return series.astype(COLUMN_TYPES[spec.type])


_EXACT = {name: dtype for name, dtype in COLUMN_TYPES.items() if dtype != "object"}


def _conforms(frame: Any, specs: list[ColSpec]) -> bool:
    """The frame has exactly the signature's columns, in its order, each already of the numpy
    dtype its type stands for: nothing to check or convert (the frame is used as it is). A
    string or binary column, a missing optional column or any other dtype takes the full path."""
    if len(frame.columns) != len(specs):
        return False
    for column, dtype, spec in zip(frame.columns, frame.dtypes, specs, strict=True):
        exact = _EXACT.get(spec.type)
        if exact is None or str(column) != str(spec.name) or str(dtype) != exact:
            return False
    return True


def _enforce_columns(schema: Schema, data: Any) -> Any:
    import numpy as np
    import pandas as pd

    from cairn.models.infer import as_frame

    specs = [s for s in schema.inputs if isinstance(s, ColSpec)]
    named = all(s.name is not None for s in specs)
    if isinstance(data, np.ndarray) or (
        isinstance(data, list) and data and not isinstance(data[0], dict)
    ):
        array = np.asarray(data)
        if array.ndim == 1:
            array = array.reshape(-1, 1) if len(specs) == 1 else array.reshape(1, -1)
        if array.ndim != 2 or array.shape[1] != len(specs):
            raise InvalidInput(
                f"input has shape {array.shape}, the model expects {len(specs)} columns"
            )
        cols = [s.name if named else i for i, s in enumerate(specs)]
        frame = pd.DataFrame(array, columns=cols)
        frame = frame.infer_objects()
    else:
        frame = as_frame(data)
    if not named:
        if frame.shape[1] != len(specs):
            raise InvalidInput(
                f"input has {frame.shape[1]} columns, the model expects {len(specs)}"
            )
        converted = {
            frame.columns[i]: _convert_column(frame.iloc[:, i], spec)
            for i, spec in enumerate(specs)
        }
        return pd.DataFrame(converted, index=frame.index)
    if _conforms(frame, specs):
        return frame
    expected = {str(s.name) for s in specs}
    for column in frame.columns:
        if str(column) not in expected:
            raise InvalidInput(f"input has column '{column}' the model's signature does not list")
    labels = {str(column): column for column in frame.columns}  # 0 matches "0"; labels kept
    columns = {}
    for spec in specs:
        label = labels.get(str(spec.name))
        if label is None:
            if spec.required:
                raise InvalidInput(f"input column '{spec.name}' is missing")
            continue
        columns[label] = _convert_column(frame[label], spec)
    return pd.DataFrame(columns, index=frame.index)


def _enforce_tensor(spec: TensorSpec, value: Any, label: str) -> Any:
    import numpy as np

    array = value.to_numpy() if hasattr(value, "to_numpy") else np.asarray(value)
    expected = np.dtype(spec.dtype)
    if array.dtype != expected:
        if array.dtype == object or not np.can_cast(array.dtype, expected, casting="safe"):
            raise InvalidInput(
                f"{label} has dtype {array.dtype}, the model expects {expected} (cannot convert safely)"
            )
        array = array.astype(expected)
    shape = spec.shape
    if len(shape) != array.ndim or any(
        s != -1 and s != a for s, a in zip(shape, array.shape, strict=False)
    ):
        raise InvalidInput(
            f"{label} has shape {tuple(array.shape)}, the model expects {tuple(shape)}"
        )
    return array


def enforce_schema(schema: Schema, data: Any) -> Any:
    """``data`` checked and converted to the schema (see the module docstring)."""
    if not schema.inputs:
        return data
    if not schema.is_tensor:
        return _enforce_columns(schema, data)
    specs = [s for s in schema.inputs if isinstance(s, TensorSpec)]
    if len(specs) == 1 and specs[0].name is None:
        return _enforce_tensor(specs[0], data, "input")
    if not isinstance(data, dict):
        if len(specs) == 1:
            return _enforce_tensor(specs[0], data, "input")
        raise InvalidInput(
            f"input must be a dict of tensors named {', '.join(str(s.name) for s in specs)}"
        )
    names = {s.name for s in specs}
    for key in data:
        if key not in names:
            raise InvalidInput(f"input has tensor '{key}' the model's signature does not list")
    out = {}
    for spec in specs:
        if spec.name not in data:
            raise InvalidInput(f"input tensor '{spec.name}' is missing")
        out[spec.name] = _enforce_tensor(spec, data[spec.name], f"tensor '{spec.name}'")
    return out


def enforce_params(
    schema: ParamSchema | None, params: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Params filled with the signature's defaults; unknown names are an InvalidInput."""
    if params is not None and not isinstance(params, dict):
        raise InvalidInput(f"params must be a dict, got {type(params).__name__}")
    if schema is None:
        if params:
            raise InvalidInput(f"the model's signature takes no params, got {', '.join(params)}")
        return params
    known = {p.name: p for p in schema.params}
    for key in params or {}:
        if key not in known:
            raise InvalidInput(f"param '{key}' is not in the model's signature")
    out = {name: spec.default for name, spec in known.items()}
    out.update(params or {})
    return out
