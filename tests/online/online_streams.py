"""Shared pieces of the online-learning tests: a generated classification stream and a guard
that rejects every third batch (a real UpdateGuard, no mock library)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cairn.online.guard_api import Batch, Verdict

FEATURES = ["a", "b", "c"]


def make_batch(rng: np.random.Generator, n: int = 40) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of three features; the label is 1 when a + b > 0."""
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=FEATURES)
    y = (X["a"] + X["b"] > 0).astype(int).to_numpy()
    return X, y


def stream(seed: int, batches: int, n: int = 40) -> list[tuple[pd.DataFrame, np.ndarray]]:
    """A reproducible list of labelled batches."""
    rng = np.random.default_rng(seed)
    return [make_batch(rng, n) for _ in range(batches)]


class EveryThirdGuard:
    """Rejects batches 2, 5, 8 ...: at the screen when the index is even, else at the canary;
    records what the trainer told it."""

    def __init__(self) -> None:
        self.screened: list[int] = []
        self.canaried: list[int] = []
        self.accepted_indexes: list[int] = []
        self.candidates_distinct = True

    def screen(self, batch: Batch, model: Any) -> Verdict:
        self.screened.append(batch.index)
        if batch.index % 3 == 2 and batch.index % 2 == 0:
            return Verdict(False, "screen", ["every third batch (screen)"], {"index": batch.index})
        return Verdict(True, "screen", [], {})

    def check_candidate(self, batch: Batch, current: Any, candidate: Any) -> Verdict:
        self.canaried.append(batch.index)
        self.candidates_distinct &= current is not candidate
        if batch.index % 3 == 2:
            return Verdict(False, "canary", ["every third batch (canary)"], {"index": batch.index})
        return Verdict(True, "canary", [], {})

    def accepted(self, batch: Batch) -> None:
        self.accepted_indexes.append(batch.index)


class RecordingGuard:
    """Accepts everything and records the source of each batch it screens."""

    def __init__(self) -> None:
        self.sources: list[str | None] = []

    def screen(self, batch: Batch, model: Any) -> Verdict:
        self.sources.append(batch.source)
        return Verdict(True, "screen")

    def check_candidate(self, batch: Batch, current: Any, candidate: Any) -> Verdict:
        return Verdict(True, "canary")

    def accepted(self, batch: Batch) -> None:
        pass
