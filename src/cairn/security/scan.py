"""Scan a table for sensitive columns: :func:`scan_frame` for a DataFrame, :func:`scan_path`
for CSV, TSV, parquet and JSON-lines files (or a folder of them)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from cairn.errors import InvalidInput
from cairn.security.columns import SUFFIXES, from_series, table_format
from cairn.security.report import Finding, ScanReport, scan_columns

__all__ = ["Finding", "ScanReport", "read_table", "scan_columns", "scan_frame", "scan_path"]


def scan_frame(
    df: pd.DataFrame, *, sample: int = 10_000, seed: int = 0, file: str | None = None
) -> ScanReport:
    """Flag the columns of ``df`` that hold sensitive data (rows sampled deterministically)."""
    if not isinstance(df, pd.DataFrame):
        raise InvalidInput(f"scan_frame expects a pandas DataFrame, got {type(df).__name__}")
    if sample < 1:
        raise InvalidInput(f"sample must be a positive number of rows, got {sample}")
    rows = len(df)
    part = df.sample(n=sample, random_state=seed) if rows > sample else df
    columns = [from_series(name, part.iloc[:, i]) for i, name in enumerate(part.columns)]
    report = scan_columns(columns, rows=rows, file=file)
    return ScanReport(report.findings, rows, len(part), len(columns))


def read_table(path: Path, *, max_rows: int | None = None) -> pd.DataFrame:
    """The table in ``path`` (its first ``max_rows`` rows if given), as strings where the
    file has text, so that codes keep their leading zeros."""
    fmt = table_format(path)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            handle = pq.ParquetFile(path)
            if max_rows is None:
                return handle.read().to_pandas()
            batches = handle.iter_batches(batch_size=max_rows)
            first = next(batches, None)
            return (
                first.to_pandas()
                if first is not None
                else handle.schema_arrow.empty_table().to_pandas()
            )
        if fmt == "jsonl":
            return pd.read_json(path, lines=True, nrows=max_rows, dtype=False)
        sep = "\t" if fmt == "tsv" else ","
        return pd.read_csv(path, sep=sep, nrows=max_rows, dtype=str, keep_default_na=True)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InvalidInput(f"{path}: cannot read it as {fmt}: {exc}") from exc
    except Exception as exc:  # pyarrow's own errors
        if type(exc).__module__.startswith("pyarrow"):
            raise InvalidInput(f"{path}: cannot read it as {fmt}: {exc}") from exc
        raise


def table_files(folder: Path) -> list[Path]:
    """The supported table files under ``folder``, sorted."""
    return sorted(
        Path(top) / name
        for top, dirs, files in os.walk(folder)
        for name in files
        if Path(name).suffix.lower() in SUFFIXES and not name.startswith(".")
    )


def scan_path(
    path: str | os.PathLike[str], *, sample: int = 10_000, seed: int = 0,
    max_rows: int | None = None,
) -> ScanReport:  # fmt: skip
    """Scan a table file, or every supported table file under a folder."""
    target = Path(path)
    if not target.exists():
        raise InvalidInput(f"{target}: no such file or folder")
    if target.is_dir():
        files = table_files(target)
        labels = [str(f.relative_to(target)) for f in files]
    else:
        table_format(target)
        files, labels = [target], [target.name]
    findings: list[Finding] = []
    rows = sampled = columns = 0
    for file, label in zip(files, labels, strict=True):
        report = scan_frame(
            read_table(file, max_rows=max_rows), sample=sample, seed=seed,
            file=label if target.is_dir() else None,
        )  # fmt: skip
        findings.extend(report.findings)
        rows += report.rows
        sampled += report.sampled
        columns += report.scanned_columns
    return ScanReport(tuple(findings), rows, sampled, columns, tuple(labels))
