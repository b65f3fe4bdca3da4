"""Numbers for people: the one way cairn writes byte counts in the CLI and the web UI."""

from __future__ import annotations


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
