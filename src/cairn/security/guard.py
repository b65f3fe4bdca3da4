"""The hooks' entry points, cheap to import: cairn's tracking, data and monitoring code calls
these where data enters, and pandas is loaded only when a table is actually scanned."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cairn.security.report import ScanReport

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson")
# A folder holding more entries than this is not scanned (a big tree stays fast to add or
# log); its tables can be scanned with `cairn data scan FOLDER`.
MAX_FOLDER_ENTRIES = 1_000


def _folder_tables(folder: Path) -> list[Path] | None:
    """The table files under ``folder``, or ``None`` when it holds too many entries."""
    found: list[Path] = []
    pending, seen = [folder], 0
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                seen += 1
                if seen > MAX_FOLDER_ENTRIES:
                    return None
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.name.lower().endswith(TABLE_SUFFIXES):
                    found.append(Path(entry.path))
    return found


def check_path(path: str | os.PathLike[str], where: str) -> ScanReport | None:
    """Apply the sensitive-data policy to a table file (or a small folder of them) about to
    be logged: warn, or raise ``SensitiveData`` under ``block``. Other files pass."""
    target = Path(path)
    if target.is_dir():
        files = _folder_tables(target)
    elif target.is_file() and target.name.lower().endswith(TABLE_SUFFIXES):
        files = [target]
    else:
        return None
    if not files:
        return None
    from cairn.security.policies import check_files

    return check_files(target, files, where)


def check_frame(df: Any, where: str) -> ScanReport | None:
    """Apply the sensitive-data policy to a DataFrame about to be logged."""
    from cairn.security.policies import check_frame as check

    return check(df, where)
