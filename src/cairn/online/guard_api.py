"""The contract between the online trainer and the poisoning guard.

The trainer hands every incoming :class:`Batch` to an :class:`UpdateGuard` twice: ``screen``
before training (cheap statistics on the batch alone) and ``check_candidate`` after fitting a
candidate model on it (the canary on a trusted holdout). A rejected batch goes to
:func:`cairn.online.quarantine.reject`, which quarantines it; an accepted one is reported back
through ``UpdateGuard.accepted``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["Batch", "UpdateGuard", "Verdict"]


@dataclass(frozen=True)
class Batch:
    """One chunk of the stream: features, labels, where it came from and when."""

    X: pd.DataFrame
    y: np.ndarray
    source: str | None
    index: int
    received_ms: int


@dataclass(frozen=True)
class Verdict:
    """The guard's decision on a batch: ``stage`` is ``"screen"`` or ``"canary"``."""

    accepted: bool
    stage: str
    reasons: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class UpdateGuard(Protocol):
    """What the trainer needs from a guard."""

    def screen(self, batch: Batch, model: Any) -> Verdict:
        """Score a batch before it can change ``model``."""
        ...

    def check_candidate(self, batch: Batch, current: Any, candidate: Any) -> Verdict:
        """Compare the candidate (current + batch) with the current model on the holdout."""
        ...

    def accepted(self, batch: Batch) -> None:
        """Tell the guard the batch went into the model (updates its windows)."""
        ...
