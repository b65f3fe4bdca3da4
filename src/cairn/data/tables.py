"""Row counts and column names/types of tabular files (CSV, TSV, Parquet, JSON lines).

Read through pyarrow when it is installed (``cairn[pandas]``); without it CSV/TSV files are
still counted with the ``csv`` module (every column typed ``string``). Types are named as
MLflow's column specs name them, so MLflow clients show the schema of a cairn dataset.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLE_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
TABLE_SUFFIXES.update({".jsonl": "jsonl", ".ndjson": "jsonl"})

_MLFLOW_TYPES = {
    "bool": "boolean",
    "int8": "integer",
    "int16": "integer",
    "int32": "integer",
    "int64": "long",
    "uint8": "integer",
    "uint16": "integer",
    "uint32": "long",
    "uint64": "long",
    "float": "float",
    "halffloat": "float",
    "double": "double",
    "string": "string",
    "large_string": "string",
    "binary": "binary",
    "large_binary": "binary",
}


@dataclass(frozen=True, slots=True)
class TableFacts:
    """What a tabular file holds: its rows and (name, type) columns."""

    rows: int
    columns: list[tuple[str, str]]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"rows": self.rows, "columns": [list(c) for c in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableFacts:
        """From :meth:`to_dict`."""
        return cls(int(data["rows"]), [(str(n), str(t)) for n, t in data["columns"]])


def table_format(path: Path) -> str | None:
    """ "csv", "tsv", "parquet" or "jsonl" for a tabular file name, else None."""
    return TABLE_SUFFIXES.get(path.suffix.lower())


def _type_name(arrow_type: Any) -> str:
    text = str(arrow_type)
    if text.startswith("timestamp") or text.startswith("date"):
        return "datetime"
    return _MLFLOW_TYPES.get(text, text)


def read_table_facts(path: Path, kind: str) -> TableFacts:
    """Rows and columns of the table at ``path``; ValueError if it cannot be read as ``kind``."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        if kind not in ("csv", "tsv"):
            raise ValueError(f"reading {kind} needs pyarrow: pip install 'cairn[pandas]'") from None
        return _csv_facts(path, "\t" if kind == "tsv" else ",")
    return _arrow_facts(path, kind)


def _arrow_facts(path: Path, kind: str) -> TableFacts:
    import pyarrow as pa

    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(path)
            schema = meta.schema_arrow
            return TableFacts(
                meta.metadata.num_rows, [(f.name, _type_name(f.type)) for f in schema]
            )
        if kind == "jsonl":
            import pyarrow.json as pj

            table = pj.read_json(path)
        else:
            import pyarrow.csv as pc

            parse = pc.ParseOptions(delimiter="\t" if kind == "tsv" else ",")
            table = pc.read_csv(path, parse_options=parse)
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"{path} cannot be read as {kind}: {exc}") from exc
    return TableFacts(table.num_rows, [(f.name, _type_name(f.type)) for f in table.schema])


def _csv_facts(path: Path, delimiter: str) -> TableFacts:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader, [])
            rows = sum(1 for _ in reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path} cannot be read as CSV: {exc}") from exc
    return TableFacts(rows, [(name, "string") for name in header])
