"""Which combinations a sweep runs next: a fixed list (grid or random draws), or Optuna's TPE
sampler told each finished combination's target metric."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from cairn.errors import InvalidInput
from cairn.pipelines.sweep_grid import Space


class FixedSearch:
    """The combinations of a grid or of random draws, handed out in order."""

    def __init__(self, combinations: list[dict[str, Any]]) -> None:
        self.combinations = combinations
        self._next = 0

    @property
    def total(self) -> int:
        """How many combinations the sweep runs."""
        return len(self.combinations)

    def ask(self, n: int) -> list[dict[str, Any]]:
        """Up to ``n`` combinations not handed out yet."""
        batch = self.combinations[self._next : self._next + n]
        self._next += len(batch)
        return batch

    def tell(self, values: Sequence[float | None]) -> None:
        """Results do not change a fixed list."""


class OptunaSearch:
    """Combinations proposed by Optuna's TPE sampler over the ``--set`` spaces, ``trials`` in all."""

    def __init__(
        self, spaces: Sequence[Space], trials: int, direction: str, seed: int | None
    ) -> None:
        try:
            import optuna
        except ImportError:
            raise InvalidInput(
                "--optuna needs Optuna: pip install optuna (or drop --optuna)"
            ) from None
        if trials < 1:
            raise InvalidInput(f"--trials must be at least 1, got {trials}")
        optuna.logging.set_verbosity(logging.WARNING)
        self.spaces = list(spaces)
        self.total = trials
        self.study = optuna.create_study(
            direction="maximize" if direction == "max" else "minimize",
            sampler=optuna.samplers.TPESampler(seed=seed),
        )
        self._asked = 0
        self._pending: list[Any] = []

    def ask(self, n: int) -> list[dict[str, Any]]:
        """Up to ``n`` new trials' combinations."""
        batch = [self.study.ask() for _ in range(min(n, self.total - self._asked))]
        self._asked += len(batch)
        self._pending = batch
        return [{space.key: _suggest(trial, space) for space in self.spaces} for trial in batch]

    def tell(self, values: Sequence[float | None]) -> None:
        """The target metric of each trial of the last batch (None: failed or not produced)."""
        from optuna.trial import TrialState

        for trial, value in zip(self._pending, values, strict=True):
            if value is None:
                self.study.tell(trial, state=TrialState.FAIL)
            else:
                self.study.tell(trial, value)
        self._pending = []


def _suggest(trial: Any, space: Space) -> Any:
    if space.kind == "uniform":
        return trial.suggest_float(space.key, space.low, space.high)
    if space.kind == "loguniform":
        return trial.suggest_float(space.key, space.low, space.high, log=True)
    if space.kind == "range" and space.step > 0:
        return trial.suggest_int(space.key, space.values[0], space.values[-1], step=space.step)
    return trial.suggest_categorical(space.key, list(space.values))
