"""Numbers for people: the one way cairn writes byte counts and times in the CLI, the web UI
and JSON reports."""

from __future__ import annotations

from datetime import UTC, datetime


def format_bytes(size: int) -> str:
    """A byte count, short: ``812 B``, ``4.2 KiB``, ``3.0 MiB``, ``1.0 GiB``, ``2.5 TiB``."""
    if size < 1024:
        return f"{size} B"
    amount = size / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if amount < 1024:
            return f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} TiB"


def iso_utc(ms: int | None) -> str | None:
    """Epoch milliseconds as ISO 8601 in UTC (for JSON and people), or None."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")
