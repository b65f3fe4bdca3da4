"""How values read in the UI: times, durations, numbers. Registered as Jinja2 filters."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from cairn.humanize import format_bytes
from cairn.store.base import now_ms


def iso_time(ms: int | None) -> str:
    """UTC milliseconds as ``2024-05-01 12:30:05 UTC`` (empty for None)."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


OLD_AFTER_S = 30 * 86_400  # older than this, a date reads better than "413 days ago"


def ago(ms: int | None, now: int | None = None) -> str:
    """How long ago ``ms`` was, in the largest whole unit (``3 min ago``, ``2 days ago``), or
    its date when that is over 30 days."""
    if ms is None:
        return ""
    seconds = max(0, ((now if now is not None else now_ms()) - ms) // 1000)
    if seconds >= OLD_AFTER_S:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")
    for unit, size in (("day", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            count = seconds // size
            name = f"{unit}s" if unit == "day" and count != 1 else unit
            return f"{count} {name} ago"
    return "just now"


def duration(start_ms: int | None, end_ms: int | None, now: int | None = None) -> str:
    """A run's length as ``1h 02m``, ``3m 07s`` or ``4.2s`` (running runs: until now)."""
    if start_ms is None:
        return ""
    end = end_ms if end_ms is not None else (now if now is not None else now_ms())
    seconds = max(0.0, (end - start_ms) / 1000)
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 24:
        return f"{hours // 24}d {hours % 24:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"


def number(value: float | None) -> str:
    """A metric value, short: 4 significant digits, plain or scientific as fits."""
    if value is None:
        return ""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0 or 1e-4 <= abs(value) < 1e6:
        text = f"{value:.4g}"
        return text if "e" not in text else f"{value:.4e}"
    return f"{value:.3e}"


def count(value: int) -> str:
    """A count with thousands separators: ``20,000``."""
    return f"{value:,}"


def size(value: int | None) -> str:
    """A byte count, short: ``812 B``, ``4.2 KiB`` (empty for None)."""
    return "" if value is None else format_bytes(value)


FILTERS = {
    "size": size,
    "iso_time": iso_time,
    "ago": ago,
    "duration": duration,
    "number": number,
    "count": count,
}
