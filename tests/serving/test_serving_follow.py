"""Following a moving target: the slot swaps atomically, failures keep the old model."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable

import pytest

from cairn.errors import InvalidInput
from cairn.serving.follow import AliasFollower, ModelSlot, Served


class Constant:
    """A model answering its version for every row (slow enough to overlap a swap)."""

    def __init__(self, version: int) -> None:
        self.version = version

    def predict(self, data: list[int]) -> list[int]:
        time.sleep(0.0005)
        return [self.version for _ in data]


def _served(version: Hashable) -> Served:
    return Served(Constant(int(version)), "models:/m@champion", version)


def test_check_swaps_only_when_the_target_moves():
    target = {"now": 1}
    slot = ModelSlot(_served(1))
    follower = AliasFollower(slot, lambda: target["now"], _served, interval=1)
    assert follower.check() is False
    target["now"] = 2
    assert follower.check() is True
    assert slot.current.target == 2
    assert slot.current.model.predict([0]) == [2]
    assert slot.swaps == 1


def test_a_failing_load_keeps_serving_the_old_model():
    target = {"now": 1}
    slot = ModelSlot(_served(1))
    attempts = []

    def load(version: Hashable) -> Served:
        attempts.append(version)
        if len(attempts) == 1:
            raise OSError("artifact store unreachable")
        return _served(version)

    follower = AliasFollower(slot, lambda: target["now"], load, interval=0.01).start()
    try:
        target["now"] = 2
        deadline = time.monotonic() + 10
        while slot.current.target != 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        follower.stop()
    assert slot.current.target == 2
    assert len(attempts) >= 2  # the first load failed, a later tick succeeded


def test_under_load_no_request_fails_and_answers_switch():
    target = {"now": 1}
    slot = ModelSlot(_served(1))
    follower = AliasFollower(slot, lambda: target["now"], _served, interval=0.01).start()
    answers: list[int] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                served = slot.current
                answers.extend(served.model.predict([0, 0]))
            except BaseException as exc:  # noqa: BLE001 - the test counts every failure
                failures.append(exc)

    clients = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in clients:
        thread.start()
    try:
        time.sleep(0.1)
        target["now"] = 2
        deadline = time.monotonic() + 10
        while slot.current.target != 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        seen = len(answers)
        time.sleep(0.1)
    finally:
        stop.set()
        for thread in clients:
            thread.join()
        follower.stop()
    assert failures == []
    assert 1 in answers[:seen]
    assert set(answers[seen + 8 :]) == {2}  # after the swap every answer is the new version


def test_the_interval_must_be_positive():
    with pytest.raises(InvalidInput, match="poll interval must be positive"):
        AliasFollower(ModelSlot(_served(1)), lambda: 1, _served, interval=0)
