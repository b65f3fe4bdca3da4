"""The model a server answers with, held in one atomic reference, and the thread that moves
it when a registry alias moves.

Requests read :attr:`ModelSlot.current` once and use that :class:`Served` for the whole
request, so a swap never mixes two versions inside one answer and never fails a request: the
new model is loaded completely before the reference changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from cairn.errors import CairnError

log = logging.getLogger("cairn.serving")

__all__ = ["AliasFollower", "ModelSlot", "Served"]


@dataclass(frozen=True)
class Served:
    """A loaded model and what ``/metadata`` says about it."""

    model: Any  # anything with .predict(data, params=None)
    uri: str
    target: Hashable = None  # what the follower compares (a registered version number)
    info: dict[str, Any] = field(default_factory=dict)


class ModelSlot:
    """An atomic reference to the :class:`Served` model (reads take no lock)."""

    def __init__(self, served: Served) -> None:
        self._served = served
        self._lock = threading.Lock()
        self.swaps = 0

    @property
    def current(self) -> Served:
        """The model to answer this request with."""
        return self._served

    def swap(self, served: Served) -> Served:
        """Serve ``served`` from now on; return the model it replaces."""
        with self._lock:
            before, self._served = self._served, served
            self.swaps += 1
        return before


class AliasFollower:
    """Polls ``current_target()`` every ``interval`` seconds; when it differs from the served
    model's target, ``load(target)`` builds the new :class:`Served` and the slot swaps to it.

    A failing poll or load is logged and retried at the next tick; the old model keeps
    serving meanwhile.
    """

    def __init__(
        self,
        slot: ModelSlot,
        current_target: Callable[[], Hashable],
        load: Callable[[Hashable], Served],
        interval: float = 5.0,
    ) -> None:
        if interval <= 0:
            from cairn.errors import InvalidInput

            raise InvalidInput(f"the poll interval must be positive, got {interval}")
        self.slot = slot
        self.current_target = current_target
        self.load = load
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Poll once; swap when the target moved. True when it swapped."""
        target = self.current_target()
        if target == self.slot.current.target:
            return False
        served = self.load(target)
        self.slot.swap(served)
        log.info("now serving %s (target %s)", served.uri, target)
        return True

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except CairnError as exc:  # the alias was removed, the store is busy ...
                log.warning(
                    "could not follow %s (%s); still serving it", self.slot.current.uri, exc
                )
            except Exception:  # noqa: BLE001 - a failed poll must not stop following
                log.exception("could not follow %s; still serving it", self.slot.current.uri)

    def start(self) -> AliasFollower:
        """Start polling in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="cairn-alias-follower", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
