"""Batch scoring on a Dask cluster (``cairn models predict --executor dask-local|tcp://...``),
for data larger than one machine.

The input is read by the workers with :mod:`dask.dataframe` (a path every worker sees, or an
fsspec URL such as ``s3://bucket/rows/*.parquet``); each worker loads the model once from its
URI (so the URI must resolve on the workers: a shared path, ``models:/`` with the workers'
``CAIRN_TRACKING_URI``) and scores its partitions. The output is a folder of Parquet part
files (``part.0.parquet``, ...) in input order, or one CSV file.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cairn.errors import InvalidInput, InvalidState
from cairn.serving.batch import BatchResult, _as_frame, _format

__all__ = ["predict_with_dask"]


@functools.lru_cache(maxsize=4)
def _model(uri: str, trusted: bool, compiler: str = "none") -> Any:
    """The model of ``uri``, loaded (and compiled) once per worker process."""
    from cairn.models.compiled import compile_model
    from cairn.models.pyfunc import load_model

    return compile_model(load_model(uri, trusted=trusted), compiler)


def _score(part: Any, uri: str, trusted: bool, compiler: str) -> Any:
    frame = _as_frame(_model(uri, trusted, compiler).predict(part), len(part))
    frame.index = part.index
    return frame


_MISMATCH = re.compile(r"^\| (?!Column)(\S+)\s+\| (\S+)\s+\| (\S+)\s+\|$", re.MULTILINE)


def _check_rows(head: Any, input_path: str) -> None:
    if len(head) == 0:
        raise InvalidInput(f"input {input_path} has no rows")


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _client(executor: str) -> tuple[Any, Any]:
    from distributed import Client, LocalCluster

    if executor == "dask-local":
        cluster = LocalCluster(
            n_workers=1, processes=False, dashboard_address=":0", silence_logs=logging.ERROR
        )
        return Client(cluster), cluster
    if urlsplit(executor).scheme != "tcp" or not urlsplit(executor).port:
        raise InvalidInput(
            f"unknown executor {executor!r}; use local, dask-local or tcp://HOST:PORT"
        )
    try:
        return Client(executor, timeout="10s"), None
    except (OSError, TimeoutError) as exc:
        raise InvalidState(f"cannot reach the Dask scheduler at {executor} ({exc})") from exc


def predict_with_dask(
    uri: str,
    input_path: str,
    output_path: str,
    executor: str,
    chunk_size: int = 10_000,
    trusted: bool = False,
    compiler: str = "none",
) -> BatchResult:
    """Score ``input_path`` into ``output_path`` on the cluster named by ``executor``
    (``compiler="onnx"``: through the checked ONNX conversion, see cairn.models.compiled)."""
    import dask
    import dask.dataframe as dd

    if chunk_size < 1:
        raise InvalidInput(f"--chunk-size must be at least 1, got {chunk_size}")
    in_fmt, out_fmt = _format(Path(input_path), "input"), _format(Path(output_path), "output")
    if Path(output_path).exists():
        raise InvalidInput(f"output {output_path} exists already; remove it or name another")
    sample = _model(uri, trusted, compiler)
    client, cluster = _client(executor)
    try:
        if in_fmt == "csv":
            # --chunk-size is in rows; dask splits CSV by bytes (~64 bytes a row assumed).
            frame = dd.read_csv(input_path, blocksize=chunk_size * 64)
        else:
            frame = dd.read_parquet(input_path, split_row_groups=True)
        head = frame.head(2, npartitions=-1)
        _check_rows(head, input_path)
        meta = _as_frame(sample.predict(head), len(head)).iloc[:0]
        scored = frame.map_partitions(_score, uri, trusted, compiler, meta=meta)
        if out_fmt == "csv":
            # One file is written in order by one task chain; the count re-reads the input
            # (not the model) since the CSV writer is not an expression dask can share.
            scored.to_csv(output_path, single_file=True, index=False)
            rows = frame.map_partitions(len).sum().compute()
        else:
            write = scored.to_parquet(output_path, write_index=False, compute=False)
            _, rows = dask.compute(write, scored.map_partitions(len).sum())
        return BatchResult(int(rows), int(scored.npartitions), Path(output_path))
    except ValueError as exc:
        _remove(Path(output_path))
        mismatch = _MISMATCH.findall(str(exc))
        if not mismatch:
            raise
        column, found, expected = mismatch[0]
        raise InvalidInput(
            f"input {input_path}: column {column!r} holds {found} values further down where "
            f"the first rows were {expected}"
        ) from exc
    except BaseException:
        _remove(Path(output_path))  # it did not exist before: leave nothing half-written
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
