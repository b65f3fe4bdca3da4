"""``cairn.pyfunc.spark_udf``: score a Spark DataFrame with any model (``pyspark`` extra).

The model folder is downloaded once on the driver and shipped to the executors with
``SparkContext.addFile``; each Python worker loads it once and scores Arrow batches as pandas.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from cairn.errors import InvalidInput

__all__ = ["spark_udf"]

_LOADED: dict[str, Any] = {}


def _load_on_worker(name: str, trusted: bool) -> Any:
    """The model shipped as ``name``, loaded once per Python worker process."""
    if name not in _LOADED:
        from pyspark import SparkFiles

        from cairn.models.pyfunc import load_model

        _LOADED[name] = load_model(SparkFiles.get(name), trusted=trusted)
    return _LOADED[name]


def _column_names(model: Any, count: int) -> list[str]:
    signature = model.metadata.signature
    names = (
        signature.inputs.names if signature is not None and not signature.inputs.is_tensor else []
    )
    if names and all(n is not None for n in names):
        if count != len(names):
            raise InvalidInput(
                f"the UDF got {count} columns, the model's signature lists {len(names)}: "
                f"{', '.join(str(n) for n in names)}"
            )
        return [str(n) for n in names]
    return [str(i) for i in range(count)]


def _as_series(predictions: Any, rows: int) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        predictions = predictions.iloc[:, 0]
    values = np.asarray(predictions)
    if values.ndim > 1:
        values = values.reshape(rows, -1)[:, 0]
    return pd.Series(values)


def spark_udf(
    spark: Any,
    model_uri: str | os.PathLike[str],
    result_type: str = "double",
    *,
    trusted: bool = False,
) -> Any:
    """A pandas UDF that predicts with the model at ``model_uri``.

    Call it with the model's input columns in signature order (``df.select(udf("a", "b"))``);
    it returns one column of ``result_type`` (a Spark SQL type name such as ``double``,
    ``long`` or ``string``). ``trusted`` is passed to :func:`cairn.pyfunc.load_model`.
    """
    try:
        from pyspark.sql.functions import pandas_udf
    except ImportError as exc:
        raise InvalidInput("spark_udf needs pyspark: pip install 'cairn[spark]'") from exc
    from cairn.models.pyfunc import load_model
    from cairn.models.uris import download_model, locate_model

    uri = os.fspath(model_uri)
    source = locate_model(uri)[0]
    local = download_model(source)
    load_model(local, trusted=trusted)  # fail on the driver, not inside a task
    name = f"cairn-model-{uuid.uuid4().hex[:12]}"
    staged = Path(tempfile.mkdtemp(prefix="cairn-spark-")) / name
    shutil.copytree(local, staged)
    spark.sparkContext.addFile(str(staged), recursive=True)

    import pandas as pd

    def predict(*columns):  # type: ignore[no-untyped-def]
        model = _load_on_worker(name, trusted)
        frame = pd.concat([c.reset_index(drop=True) for c in columns], axis=1)
        frame.columns = _column_names(model, len(columns))
        return _as_series(model.predict(frame), len(frame))

    # Spark picks the UDF kind from real (not postponed) type hints: Series in, Series out.
    predict.__annotations__ = {"columns": pd.Series, "return": pd.Series}
    return pandas_udf(predict, returnType=result_type)  # type: ignore[call-overload]
