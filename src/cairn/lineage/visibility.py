"""Which entities the caller may read: the server passes its grants, local use sees all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


def _everything(_name: str) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Visibility:
    """``experiment_ids``: the experiments whose runs the caller may read (None: all);
    ``model``: whether it may read a registered model of a given name."""

    experiment_ids: frozenset[str] | None = None
    model: Callable[[str], bool] = field(default=_everything)

    def run(self, experiment_id: str) -> bool:
        """Whether runs of this experiment are readable."""
        return self.experiment_ids is None or experiment_id in self.experiment_ids

    def experiment_filter(self) -> list[str] | None:
        """The experiment ids to narrow dataset queries to (None: no narrowing)."""
        return None if self.experiment_ids is None else sorted(self.experiment_ids)


EVERYTHING = Visibility()
