"""Batch scoring: read a CSV or Parquet file in chunks, predict each chunk, append the
predictions to a CSV or Parquet file. Memory holds one chunk at a time; rows keep their
order.

The output has the model's prediction columns only: a DataFrame answer keeps its columns,
anything else becomes one column ``prediction`` (or ``prediction_0``, ``prediction_1``, ...
for a 2-D answer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BatchResult", "count_rows", "predict_file"]

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class BatchResult:
    """What a batch prediction wrote."""

    rows: int
    chunks: int
    output: Path


def _format(path: Path, what: str) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput(
            f"{what} {path} must end in .csv or .parquet (got {path.suffix or 'no suffix'!r})"
        )
    return fmt


def count_rows(path: Path) -> int | None:
    """Rows of a Parquet file (from its footer); None for CSV (unknown without reading)."""
    if _format(path, "input") != "parquet":
        return None
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def _chunks(path: Path, fmt: str, chunk_size: int) -> Iterator[pd.DataFrame]:
    if fmt == "csv":
        import pandas as pd

        try:
            yield from pd.read_csv(path, chunksize=chunk_size)
        except pd.errors.EmptyDataError as exc:
            raise InvalidInput(f"input {path} is empty: it needs a header row") from exc
        return
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size):
        yield batch.to_pandas()


def _as_frame(predictions: Any, rows: int) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        frame = predictions.reset_index(drop=True)
    elif isinstance(predictions, pd.Series):
        frame = pd.DataFrame({predictions.name or "prediction": predictions.to_numpy()})
    else:
        array = np.asarray(predictions)
        if array.ndim == 2:
            frame = pd.DataFrame(array, columns=[f"prediction_{i}" for i in range(array.shape[1])])
        else:
            frame = pd.DataFrame({"prediction": array.reshape(-1)})
    if len(frame) != rows:
        raise InvalidInput(f"the model answered {len(frame)} predictions for {rows} input rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def predict_file(
    model: Any,
    input_path: str | Path,
    output_path: str | Path,
    chunk_size: int = 10_000,
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Score ``input_path`` with ``model`` (anything with ``.predict(DataFrame)``) into
    ``output_path``; ``progress(rows)`` is called after every chunk."""
    source, target = Path(input_path), Path(output_path)
    if chunk_size < 1:
        raise InvalidInput(f"--chunk-size must be at least 1, got {chunk_size}")
    in_fmt, out_fmt = _format(source, "input"), _format(target, "output")
    if not source.is_file():
        raise InvalidInput(f"input {source} does not exist or is not a file")
    if source.resolve() == target.resolve():
        raise InvalidInput("the output file must differ from the input file")
    partial = target.with_name(f".{target.name}.partial")
    rows = chunks = 0
    writer: Any = None
    try:
        for chunk in _chunks(source, in_fmt, chunk_size):
            frame = _as_frame(model.predict(chunk), len(chunk))
            if out_fmt == "csv":
                frame.to_csv(partial, mode="a" if chunks else "w", header=not chunks, index=False)
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(frame, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(partial, table.schema)
                writer.write_table(table.cast(writer.schema))
            rows += len(chunk)
            chunks += 1
            if progress is not None:
                progress(len(chunk))
        if writer is not None:
            writer.close()
            writer = None
        if chunks == 0:
            raise InvalidInput(f"input {source} has no rows")
        partial.replace(target)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
    return BatchResult(rows, chunks, target)
