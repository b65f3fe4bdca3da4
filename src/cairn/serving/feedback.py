"""``POST /feedback``: labelled rows sent to the model server, checked against the served model's
signature and written as a JSON-lines file into the feedback folder, where an online trainer's
``FolderSource`` picks them up (``cairn models serve URI --feedback-dir DIR``).

The body takes the forms ``/invocations`` takes, plus the labels: either a ``label`` column in
the rows (``dataframe_split``, ``dataframe_records``, CSV) or a top-level ``"labels": [...]`` with
one label per row; and optionally ``"source": "ID"`` (for CSV, the ``source`` query parameter)
naming the sender, which the guard's per-source limits use. Each accepted request becomes one
file, written under a hidden temporary name, flushed to disk and renamed into place, so a reader
never sees half a file.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

from cairn.errors import InvalidInput
from cairn.serving.payloads import BadPayload, parse_payload, to_jsonable

__all__ = ["LABEL_COLUMN", "SOURCE_COLUMN", "FeedbackWriter", "parse_feedback"]

LABEL_COLUMN = "label"
SOURCE_COLUMN = "source"
_SOURCE_ID = re.compile(r"^[A-Za-z0-9._:@/-]{1,128}$")


def _source(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _SOURCE_ID.match(value):
        raise BadPayload(
            f"'source' must be 1-128 letters, digits or . _ : @ / -, got {str(value)[:60]!r}"
        )
    return value


def _labels(value: Any, rows: int) -> list[Any]:
    if not isinstance(value, list):
        raise BadPayload(
            f"'labels' must be a list with one label per row, got {type(value).__name__}"
        )
    if len(value) != rows:
        raise BadPayload(f"'labels' has {len(value)} labels for {rows} rows")
    for number, label in enumerate(value):
        if label is None or not isinstance(label, (str, int, float, bool)):
            raise BadPayload(f"label {number} is {label!r}; labels must be numbers or strings")
    return value


def parse_feedback(
    body: bytes, content_type: str | None, query_source: str | None, signature: Any
) -> tuple[Any, list[Any], str | None]:
    """The feature rows (a DataFrame checked against ``signature``), their labels and the
    sender of a ``/feedback`` body; BadPayload naming the problem."""
    import pandas as pd

    from cairn.models.signature import enforce

    labels: Any = None
    source = query_source
    kind = (content_type or "application/json").split(";")[0].strip().lower()
    if kind == "application/json" and body.strip():
        try:
            document = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadPayload(f"the body is not valid JSON: {exc}") from exc
        if isinstance(document, dict):
            labels = document.pop("labels", None)
            source = document.pop(SOURCE_COLUMN, source)
            if "params" in document:
                raise BadPayload("'params' has no meaning for feedback; send rows and labels")
            body = json.dumps(document).encode()
    payload = parse_payload(body, content_type)
    data = payload.data
    frame = data if isinstance(data, pd.DataFrame) else None
    if frame is None:
        columns = _input_columns(signature)
        rows = payload.extra.get("rows", data.tolist())
        if not columns:
            raise BadPayload("send feedback rows with column names (the model names no columns)")
        try:
            frame = pd.DataFrame(rows, columns=columns)
        except (ValueError, TypeError) as exc:
            raise BadPayload(
                f"the rows do not fit the columns {', '.join(columns)}: {exc}"
            ) from exc
    if len(frame) == 0:
        raise BadPayload("the feedback has no rows")
    if LABEL_COLUMN in frame.columns:
        if labels is not None:
            raise BadPayload(f"give the labels once: a '{LABEL_COLUMN}' column or 'labels'")
        labels = frame.pop(LABEL_COLUMN).tolist()
    if labels is None:
        raise BadPayload(
            f"the feedback has no labels: add a '{LABEL_COLUMN}' column to the rows or "
            "'labels': [...] with one label per row"
        )
    labels = _labels([None if _missing(v) else v for v in labels], len(frame))
    if signature is not None:
        try:
            frame = enforce(signature, frame)
        except InvalidInput as exc:
            raise BadPayload(f"the rows do not match the model's signature: {exc.message}") from exc
    return frame, labels, _source(source)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # NaN


def _input_columns(signature: Any) -> list[str]:
    if signature is None or signature.inputs is None or signature.inputs.is_tensor:
        return []
    return [str(name) for name in signature.inputs.names if name is not None]


class FeedbackWriter:
    """Writes each accepted ``/feedback`` request as one JSON-lines file in ``folder``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidInput(f"--feedback-dir {str(folder)!r} cannot be created: {exc}") from exc
        if not os.access(self.folder, os.W_OK):
            raise InvalidInput(f"--feedback-dir {str(folder)!r} is not writable")

    def write(self, frame: Any, labels: list[Any], source: str | None) -> Path:
        """Write the rows atomically; returns the file's final path."""
        records = to_jsonable(frame)
        lines = []
        for row, label in zip(records, labels, strict=True):
            row[LABEL_COLUMN] = to_jsonable(label)
            if source is not None:
                row[SOURCE_COLUMN] = source
            lines.append(json.dumps(row, separators=(",", ":")))
        name = f"feedback-{int(time.time() * 1000)}-{uuid.uuid4().hex[:12]}.jsonl"
        temporary = self.folder / f".{name}.tmp"
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        final = self.folder / name
        temporary.replace(final)
        return final
