"""Redaction of sensitive columns: a keyed hash (joins still work) or removal.

The key comes from ``salt``, else ``CAIRN_REDACTION_KEY``, else ``.cairn/redaction.key`` of
the project, created with 32 random bytes on first use (mode 0600, kept out of git by
``.cairn/.gitignore``). The key is never logged or printed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import blake3
import pandas as pd

from cairn.config import CAIRN_DIR, ensure_cairn_dir, find_project_root
from cairn.errors import InvalidInput
from cairn.security.scan import ScanReport, scan_frame

KEY_ENV = "CAIRN_REDACTION_KEY"
KEY_FILE = "redaction.key"
_CONTEXT = "cairn 2026 sensitive-data redaction key"
HOWS = ("hash", "drop")


def _project_key(root: Path) -> bytes:
    path = root / CAIRN_DIR / KEY_FILE
    if not path.exists():
        ensure_cairn_dir(root)  # with the .gitignore that keeps the key out of git
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def redaction_key(salt: str | bytes | None = None, root: Path | None = None) -> bytes:
    """The 32-byte BLAKE3 key: derived from ``salt``, ``CAIRN_REDACTION_KEY`` or the
    project's key file."""
    material = salt if salt is not None else os.environ.get(KEY_ENV)
    if material is None:
        material = _project_key(root or find_project_root())
    if isinstance(material, str):
        material = material.encode()
    if not material:
        raise InvalidInput(f"the redaction salt is empty; give a non-empty salt or set {KEY_ENV}")
    return blake3.blake3(material, derive_key_context=_CONTEXT).digest()


def _columns(df: pd.DataFrame, columns: ScanReport | Iterable[str] | None) -> list[str]:
    if columns is None:
        columns = scan_frame(df)
    chosen = columns.columns if isinstance(columns, ScanReport) else list(columns)
    if isinstance(columns, str):
        chosen = [columns]
    missing = [c for c in chosen if c not in df.columns]
    if missing:
        raise InvalidInput(
            f"cannot redact columns {missing}: not in the table (its columns: {list(df.columns)})"
        )
    return list(dict.fromkeys(chosen))


def redact(
    df: pd.DataFrame,
    columns: ScanReport | Iterable[str] | None = None,
    how: str = "hash",
    salt: str | bytes | None = None,
) -> pd.DataFrame:
    """A copy of ``df`` with the sensitive columns (those of ``columns`` — a report, names,
    or ``None`` to scan) replaced by keyed BLAKE3 hashes of their text, or dropped."""
    if how not in HOWS:
        raise InvalidInput(f"how={how!r} is not a redaction; use 'hash' or 'drop'")
    if not isinstance(df, pd.DataFrame):
        raise InvalidInput(f"redact expects a pandas DataFrame, got {type(df).__name__}")
    chosen = _columns(df, columns)
    if how == "drop":
        return df.drop(columns=chosen)
    key = redaction_key(salt)
    out = df.copy()
    for column in chosen:
        series = out[column]
        out[column] = series.map(
            lambda v: (
                None if pd.isna(v) else blake3.blake3(str(v).encode(), key=key).hexdigest()[:32]
            ),
            na_action="ignore",
        ).astype(object)
    return out


def output_format(path: Path) -> str:
    """The format a table written to ``path`` gets; ``InvalidInput`` if it cannot be written."""
    from cairn.security.scan import table_format

    fmt = table_format(path)
    if not path.parent.is_dir():
        raise InvalidInput(f"{path}: the folder {path.parent} does not exist")
    return fmt


def write_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` to ``path`` in the format its suffix names (CSV, TSV, parquet, JSON lines)."""
    target = Path(path)
    fmt = output_format(target)
    if fmt == "parquet":
        df.to_parquet(target, index=False)
    elif fmt == "jsonl":
        df.to_json(target, orient="records", lines=True, force_ascii=False)
    else:
        df.to_csv(target, sep="\t" if fmt == "tsv" else ",", index=False)
    return target
