"""What the artifact browser shows of one file: text, pretty JSON/YAML, an image, a table, a
sandboxed HTML page, or a note that the file is too large (or binary) with a download link.

The kind comes from the file name; the bytes are read only as far as the preview needs
(the head of a CSV, the first batch of a parquet file), never the whole of a large file.
Images and HTML are not read here at all: the page points an ``<img>`` or a sandboxed
``<iframe>`` at :func:`raw_media_type`'s answer for them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import posixpath
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from fsspec import AbstractFileSystem

from cairn.errors import ArtifactError

TEXT_LIMIT = 2 * 1024 * 1024  # text, JSON and YAML larger than this are not previewed
MEDIA_LIMIT = 20 * 1024 * 1024  # images and HTML pages
TABLE_HEAD_BYTES = 8 * 1024 * 1024  # a CSV preview parses at most this much of the file
TABLE_ROWS = 100
CELL_CHARS = 200
SNIFF_BYTES = 8192

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSON_SUFFIXES = frozenset({".json", ".ipynb"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})
YAML_NAMES = frozenset({"MLmodel", "MLproject"})
TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".parquet", ".pq"})


@dataclass(frozen=True)
class Table:
    """The head of a tabular file: column names with their types, and rows of cell text."""

    columns: list[tuple[str, str]]
    rows: list[list[str | None]]
    total_rows: int | None = None  # None when counting would mean reading the whole file
    more: bool = False  # rows beyond those shown exist


@dataclass(frozen=True)
class Preview:
    """One file's preview. ``kind`` is text, json, yaml, image, html, table, binary, too_large."""

    path: str
    size: int
    kind: str
    text: str | None = None
    table: Table | None = None
    notes: list[str] = field(default_factory=list)


def kind_of(path: str) -> str:
    """The preview kind a file name calls for ('text' when nothing more specific fits)."""
    name = posixpath.basename(path)
    suffix = posixpath.splitext(name)[1].lower()
    if suffix in IMAGE_TYPES:
        return "image"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in YAML_SUFFIXES or name in YAML_NAMES:
        return "yaml"
    if suffix in TABLE_SUFFIXES:
        return "table"
    return "text"


def raw_media_type(path: str) -> str | None:
    """The media type an image or HTML artifact is served with; None for other files."""
    suffix = posixpath.splitext(path)[1].lower()
    if suffix in IMAGE_TYPES:
        return IMAGE_TYPES[suffix]
    if suffix in HTML_SUFFIXES:
        return "text/html; charset=utf-8"
    return None


def build_preview(fs: AbstractFileSystem, full_path: str, rel: str, size: int) -> Preview:
    """The preview of the artifact ``rel`` (``full_path`` on ``fs``, ``size`` bytes)."""
    kind = kind_of(rel)
    if kind in ("image", "html"):
        if size > MEDIA_LIMIT:
            return Preview(rel, size, "too_large")
        return Preview(rel, size, kind)
    try:
        if kind == "table":
            return _table_preview(fs, full_path, rel, size)
        if size > TEXT_LIMIT:
            return Preview(rel, size, "too_large")
        with fs.open(full_path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ArtifactError(f"reading artifact {rel!r} for a preview failed: {exc}") from exc
    if b"\x00" in data[:SNIFF_BYTES]:
        return Preview(rel, size, "binary")
    text = data.decode("utf-8", errors="replace")
    if kind == "json":
        return _json_preview(rel, size, text)
    if kind == "yaml":
        return _yaml_preview(rel, size, text)
    return Preview(rel, size, "text", text=text)


def _json_preview(rel: str, size: int, text: str) -> Preview:
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        return Preview(rel, size, "text", text=text, notes=[f"not valid JSON: {exc}"])
    return Preview(rel, size, "json", text=json.dumps(parsed, indent=2, ensure_ascii=False))


def _yaml_preview(rel: str, size: int, text: str) -> Preview:
    """YAML is shown as written (comments and order are the author's), once known to parse."""
    try:
        for _document in yaml.safe_load_all(text):
            pass
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        return Preview(rel, size, "text", text=text, notes=[f"not valid YAML: {problem}"])
    return Preview(rel, size, "yaml", text=text)


def _table_preview(fs: AbstractFileSystem, full_path: str, rel: str, size: int) -> Preview:
    suffix = posixpath.splitext(rel)[1].lower()
    if suffix in (".parquet", ".pq"):
        return _parquet_preview(fs, full_path, rel, size)
    with fs.open(full_path, "rb") as handle:
        head = handle.read(TABLE_HEAD_BYTES)
    notes = []
    if size > len(head):
        head = head[: head.rfind(b"\n") + 1]  # whole lines only
        notes.append(f"only the first {len(head):,} of {size:,} bytes were read")
    if b"\x00" in head[:SNIFF_BYTES]:
        return Preview(rel, size, "binary")
    text = head.decode("utf-8", errors="replace")
    table = _delimited_table(text, "\t" if suffix == ".tsv" else ",")
    if table is None:
        return Preview(rel, size, "text", text=text, notes=["could not be read as a table"])
    if notes:  # the file goes on past the head read
        table = replace(table, more=True)
    return Preview(rel, size, "table", table=table, notes=notes)


def _delimited_table(text: str, delimiter: str) -> Table | None:
    """The first TABLE_ROWS rows, with types inferred by pandas when it is installed."""
    try:
        import pandas as pd
    except ImportError:
        pd = None
    if pd is not None:
        try:
            frame = pd.read_csv(io.StringIO(text), sep=delimiter, nrows=TABLE_ROWS + 1)
        except ValueError:  # pandas' parser and empty-data errors are ValueErrors
            return None
        columns = [(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]
        rows = [[cell(value) for value in row] for row in frame.itertuples(index=False)]
        return Table(columns, rows[:TABLE_ROWS], more=len(rows) > TABLE_ROWS)
    rows_in = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows_in:
        return None
    header, body = rows_in[0], rows_in[1 : TABLE_ROWS + 2]
    return Table(
        [(name, "str") for name in header],
        [[cell(v) for v in row] for row in body[:TABLE_ROWS]],
        more=len(body) > TABLE_ROWS,
    )


def _parquet_preview(fs: AbstractFileSystem, full_path: str, rel: str, size: int) -> Preview:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        note = "install pyarrow (pip install 'cairn[pandas]') to preview parquet files"
        return Preview(rel, size, "binary", notes=[note])
    with fs.open(full_path, "rb") as handle:
        try:
            parquet = pq.ParquetFile(handle)
            schema = parquet.schema_arrow
            batch = next(parquet.iter_batches(batch_size=TABLE_ROWS), None)
        except (pa.ArrowException, OSError) as exc:
            note = f"not a readable parquet file: {exc}"
            return Preview(rel, size, "binary", notes=[note])
        total = parquet.metadata.num_rows
    columns = [(field_.name, str(field_.type)) for field_ in schema]
    names = [name for name, _ in columns]
    records = batch.to_pylist() if batch is not None else []
    rows = [[cell(record.get(name)) for name in names] for record in records]
    table = Table(columns, rows, total_rows=total, more=total > len(rows))
    return Preview(rel, size, "table", table=table)


def cell(value: Any) -> str | None:
    """A table cell as text (None for a missing value), cut at CELL_CHARS characters."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value.__class__.__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(value, (list, dict, tuple)):
        text = json.dumps(value, default=str, ensure_ascii=False)
    elif isinstance(value, bytes):
        text = value.hex()
    else:
        text = str(value)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"
