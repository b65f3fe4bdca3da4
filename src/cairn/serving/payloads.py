"""The bodies ``POST /invocations`` accepts (MLflow's), parsed into model input, and the
answer's JSON form.

JSON (``application/json``) holds exactly one of:

- ``dataframe_split``: ``{"columns": [...], "data": [[...], ...], "index"?: [...]}``
- ``dataframe_records``: ``[{"col": value, ...}, ...]``
- ``instances`` / ``inputs``: a list of rows (objects become a DataFrame, numbers or lists a
  numpy array) or an object of columns (``{"col": [values]}``)

plus optional ``params`` (an object passed to ``predict(..., params=)``). ``text/csv`` is a
CSV file with a header row. Every problem raises :class:`BadPayload` naming it.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["FORMATS", "BadPayload", "Payload", "parse_payload", "to_jsonable"]

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")


class BadPayload(InvalidInput):
    """The body of an ``/invocations`` request cannot become model input."""


@dataclass
class Payload:
    """Parsed model input and the request's ``params``; ``extra["rows"]`` keeps the JSON
    list an array was made of (so columns named by a signature keep their own types)."""

    data: pd.DataFrame | np.ndarray
    params: dict[str, Any] | None = None
    fmt: str = "dataframe_split"
    extra: dict[str, Any] = field(default_factory=dict)


def parse_payload(body: bytes, content_type: str | None) -> Payload:
    """The model input held by ``body`` sent with ``content_type``."""
    if not body.strip():
        raise BadPayload("the request body is empty: send JSON or CSV model input")
    kind = (content_type or "application/json").split(";")[0].strip().lower()
    if kind == "text/csv":
        return Payload(_read_csv(body), fmt="csv")
    if kind != "application/json":
        raise BadPayload(
            f"content type {kind!r} is not supported: use application/json or text/csv"
        )
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadPayload(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise BadPayload(
            f"the JSON body must be an object with one of the keys {', '.join(FORMATS)}, "
            f"got a {type(document).__name__}"
        )
    return _from_document(document)


def _from_document(document: dict[str, Any]) -> Payload:
    unknown = sorted(set(document) - {*FORMATS, "params"})
    if unknown:
        from cairn.errors import did_you_mean

        hint = did_you_mean(unknown[0], FORMATS)
        raise BadPayload(
            f"unknown key {unknown[0]!r} in the request body; expected one of "
            f"{', '.join(FORMATS)} (and optionally params).{hint}"
        )
    present = [key for key in FORMATS if key in document]
    if len(present) != 1:
        what = "none" if not present else " and ".join(present)
        raise BadPayload(f"the body must hold exactly one of {', '.join(FORMATS)}, got {what}")
    params = document.get("params")
    if params is not None and not isinstance(params, dict):
        raise BadPayload(f"'params' must be an object, got a {type(params).__name__}")
    fmt = present[0]
    value = document[fmt]
    if fmt == "dataframe_split":
        data: Any = _split(value)
    elif fmt == "dataframe_records":
        data = _records(value)
    else:
        data = _tensor(fmt, value)
        if isinstance(value, list):
            return Payload(data, params, fmt, {"rows": value})
    return Payload(data, params, fmt)


def _split(value: Any) -> pd.DataFrame:
    import pandas as pd

    if not isinstance(value, dict):
        raise BadPayload(
            "'dataframe_split' must be an object with 'columns' and 'data', "
            f"got a {type(value).__name__}"
        )
    unknown = sorted(set(value) - {"columns", "data", "index"})
    if unknown:
        raise BadPayload(
            f"unknown key {unknown[0]!r} in 'dataframe_split': allowed are columns, data, index"
        )
    rows = value.get("data")
    if not isinstance(rows, list):
        raise BadPayload("'dataframe_split' needs 'data': a list of rows")
    columns = value.get("columns")
    if columns is not None and not isinstance(columns, list):
        raise BadPayload("'dataframe_split.columns' must be a list of column names")
    for number, row in enumerate(rows):
        if not isinstance(row, list):
            raise BadPayload(f"row {number} of 'dataframe_split.data' is not a list")
        if columns is not None and len(row) != len(columns):
            raise BadPayload(
                f"row {number} of 'dataframe_split.data' has {len(row)} values for "
                f"{len(columns)} columns"
            )
    try:
        return pd.DataFrame(rows, columns=columns, index=value.get("index"))
    except (ValueError, TypeError) as exc:
        raise BadPayload(f"'dataframe_split' does not make a table: {exc}") from exc


def _records(value: Any) -> pd.DataFrame:
    import pandas as pd

    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise BadPayload("'dataframe_records' must be a list of objects (one per row)")
    return pd.DataFrame.from_records(value)


def _tensor(fmt: str, value: Any) -> pd.DataFrame | np.ndarray:
    import numpy as np
    import pandas as pd

    if isinstance(value, dict):
        columns = list(value.values())
        if columns and all(isinstance(v, list) for v in columns):
            if len({len(v) for v in columns}) > 1:
                raise BadPayload(f"the columns of {fmt!r} have different lengths")
            return pd.DataFrame(value)
        if any(isinstance(v, (list, dict)) for v in columns):
            raise BadPayload(f"{fmt!r} mixes list and single values: give every column a list")
        return pd.DataFrame([value])
    if not isinstance(value, list):
        raise BadPayload(f"{fmt!r} must be a list of rows or an object of columns")
    if value and all(isinstance(row, dict) for row in value):
        return pd.DataFrame.from_records(value)
    try:
        array = np.asarray(value)
    except ValueError as exc:
        raise BadPayload(f"{fmt!r} is not a rectangular array: {exc}") from exc
    if array.dtype == object:
        raise BadPayload(f"{fmt!r} is not a rectangular array of numbers or strings")
    return array


def _read_csv(body: bytes) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_csv(io.BytesIO(body))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPayload(f"the body is not a CSV table with a header row: {exc}") from exc


def to_jsonable(predictions: Any) -> Any:
    """``predictions`` (array, Series, DataFrame, list, scalar) as plain JSON values;
    NaN and infinities become null."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return [_clean(row) for row in predictions.to_dict(orient="records")]
    if isinstance(predictions, pd.Series):
        return _clean(predictions.tolist())
    if isinstance(predictions, np.ndarray):
        return _clean(predictions.tolist())
    if isinstance(predictions, dict):
        return {str(k): to_jsonable(v) for k, v in predictions.items()}
    if isinstance(predictions, (list, tuple)):
        return [to_jsonable(v) for v in predictions]
    return _clean(predictions)


def _clean(value: Any) -> Any:
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
