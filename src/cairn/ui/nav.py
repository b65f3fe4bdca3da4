"""The navigation bar: one registry of top-level pages, in display order.

A capability adds its page with one line, e.g.
``register("Models", "/models", order=30)``; the bar marks an entry active when the
request path starts with its ``match_prefix``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NavEntry:
    """One link of the navigation bar."""

    label: str
    href: str
    match_prefix: str
    order: int = 100

    def is_active(self, path: str) -> bool:
        """Whether ``path`` belongs to this entry's section."""
        prefix = self.match_prefix.rstrip("/")
        return path == prefix or path.startswith(prefix + "/")


_ENTRIES: dict[str, NavEntry] = {}


def register(label: str, href: str, match_prefix: str | None = None, order: int = 100) -> NavEntry:
    """Add (or replace, by label) a top-level page; ``match_prefix`` defaults to ``href``."""
    entry = NavEntry(label, href, match_prefix or href, order)
    _ENTRIES[label] = entry
    return entry


def entries() -> list[NavEntry]:
    """Every entry, by ``order`` then label."""
    return sorted(_ENTRIES.values(), key=lambda e: (e.order, e.label))


register("Experiments", "/experiments", order=10)
register("Runs", "/runs", order=20)
