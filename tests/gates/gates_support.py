"""Helpers shared by the gate tests."""

from __future__ import annotations

import cairn


def log_run(metrics: dict[str, float], **kwargs: object) -> str:
    """A finished run with these metrics; its id."""
    with cairn.start_run(**kwargs) as run:  # type: ignore[arg-type]
        cairn.log_metrics(metrics)
    return run.info.run_id
