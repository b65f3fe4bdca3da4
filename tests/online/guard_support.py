"""Seeded data for the poisoning guard's tests: a 3-class task and a regression task."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, SGDRegressor

from cairn.online.guard import PoisoningGuard
from cairn.online.guard_api import Batch

COLUMNS = [f"f{i}" for i in range(8)]


def task(seed: int = 0, rows: int = 9000) -> dict[str, Any]:
    """Reference (2000), holdout (1000) and a pool of clean rows, plus a trusted model."""
    X, y = make_classification(
        n_samples=rows, n_features=8, n_informative=6, n_redundant=1, n_classes=3,
        n_clusters_per_class=1, class_sep=1.5, random_state=seed,
    )  # fmt: skip
    frame = pd.DataFrame(X, columns=COLUMNS)
    found = {
        "reference": (frame.iloc[:2000].reset_index(drop=True), y[:2000]),
        "holdout": (frame.iloc[2000:3000].reset_index(drop=True), y[2000:3000]),
        "pool": (frame.iloc[3000:].reset_index(drop=True), y[3000:]),
    }
    found["model"] = LogisticRegression(max_iter=500).fit(*found["reference"])
    return found


def regression_task(seed: int = 0) -> dict[str, Any]:
    """The same split for a regression target, with a fitted SGDRegressor."""
    X, y = make_regression(n_samples=6000, n_features=8, noise=5.0, random_state=seed)
    frame = pd.DataFrame(X, columns=COLUMNS)
    found = {
        "reference": (frame.iloc[:2000].reset_index(drop=True), y[:2000]),
        "holdout": (frame.iloc[2000:3000].reset_index(drop=True), y[2000:3000]),
        "pool": (frame.iloc[3000:].reset_index(drop=True), y[3000:]),
    }
    found["model"] = SGDRegressor(random_state=seed).fit(*found["reference"])
    return found


def guard_for(data: dict[str, Any], **options: Any) -> PoisoningGuard:
    """A guard trusting the task's model."""
    options.setdefault("trusted_model", data["model"])
    return PoisoningGuard(*data["reference"], holdout=data["holdout"], **options)


def clean_batches(data: dict[str, Any], size: int = 200, source: str | None = None) -> list[Batch]:
    """The pool cut into batches, each from its own source unless one is given."""
    X, y = data["pool"]
    count = len(y) // size
    return [
        Batch(
            X.iloc[i * size : (i + 1) * size].reset_index(drop=True),
            y[i * size : (i + 1) * size],
            source or f"user-{i}",
            i,
            int(time.time() * 1000) + i,
        )
        for i in range(count)
    ]


def with_labels(batch: Batch, y: np.ndarray) -> Batch:
    """The batch with other labels."""
    return Batch(batch.X, y, batch.source, batch.index, batch.received_ms)


def with_features(batch: Batch, X: pd.DataFrame) -> Batch:
    """The batch with other features."""
    return Batch(X, batch.y, batch.source, batch.index, batch.received_ms)
