"""``cairn sync``: ship the metric spools that crashed or killed processes left behind."""

from __future__ import annotations

from cairn.tracking.client import CairnClient
from cairn.tracking.spool import recover

__all__ = ["sync"]


def sync(client: CairnClient) -> dict[str, int]:
    """Ship every spool no live process owns; return the records shipped per run id."""
    return recover(client.store, client.spool_dir)
