from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator

import numpy as np
import pytest

from cairn.errors import InvalidInput
from cairn.tracking.seeds import MAX_SEED, seed_everything, seed_tags


@pytest.fixture(autouse=True)
def _restore_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """seed_everything changes process-wide state; put it back after each test."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    # Frameworks other tests of this worker imported (the pytorch flavor's) would be seeded too:
    # each test here decides which are "imported".
    for name in ("torch", "tensorflow"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    for name in ("PYTHONHASHSEED", "CUBLAS_WORKSPACE_CONFIG", "TF_DETERMINISTIC_OPS"):
        monkeypatch.setenv(name, "sentinel")  # records the original, so teardown restores it
        monkeypatch.delenv(name)
    yield
    random.setstate(python_state)
    np.random.set_state(numpy_state)


def draw() -> tuple[list[float], list[float]]:
    return [random.random() for _ in range(5)], np.random.rand(5).tolist()


def test_python_and_numpy_are_reproducible() -> None:
    assert seed_everything(42) == {"python": 42, "numpy": 42}
    first = draw()
    seed_everything(42)
    assert draw() == first
    seed_everything(43)
    assert draw() != first


def test_pythonhashseed_is_set_for_child_processes() -> None:
    seed_everything(7)
    assert os.environ["PYTHONHASHSEED"] == "7"
    code = "print(hash('cairn'))"
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(runs) == 1


def test_seed_tags() -> None:
    assert seed_tags({"python": 42, "numpy": 42}) == {
        "cairn.seed.numpy": "42",
        "cairn.seed.python": "42",
    }


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 1.5, "42", None, True])
def test_invalid_seed_is_rejected_by_name(seed: object) -> None:
    with pytest.raises(InvalidInput, match=r"seed must be an integer") as info:
        seed_everything(seed)  # type: ignore[arg-type]
    assert repr(seed) in str(info.value)


@pytest.mark.parametrize("seed", [0, MAX_SEED, np.int64(5)])
def test_boundary_and_numpy_integer_seeds(seed: int) -> None:
    assert seed_everything(seed)["python"] == int(seed)


def test_torch_and_tensorflow_are_never_imported() -> None:
    # A finder that records every attempt, so even a guarded "try: import torch" is caught.
    code = textwrap.dedent("""
        import json, sys
        tried = []
        class Spy:
            def find_spec(self, name, path=None, target=None):
                tried.append(name)
        sys.meta_path.insert(0, Spy())
        from cairn.tracking.seeds import seed_everything
        seeded = seed_everything(1, deterministic=True)
        print(json.dumps({"seeded": seeded, "tried": tried,
                          "loaded": [m for m in ("torch", "tensorflow") if m in sys.modules]}))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out)
    assert result["loaded"] == []
    assert not [name for name in result["tried"] if name.split(".")[0] in ("torch", "tensorflow")]
    assert set(result["seeded"]) == {"python", "numpy"}


class Recorder:
    """Records calls; stands in for torch/tensorflow, which are too heavy to install for tests."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def record(self, name: str) -> object:
        return lambda *args: self.calls.append((name, args[0] if args else None))


def test_already_imported_torch_is_seeded_and_made_deterministic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rec = Recorder()
    cudnn = types.SimpleNamespace(deterministic=False, benchmark=True)
    torch = types.SimpleNamespace(
        manual_seed=rec.record("manual_seed"),
        cuda=types.SimpleNamespace(manual_seed_all=rec.record("manual_seed_all")),
        use_deterministic_algorithms=rec.record("use_deterministic_algorithms"),
        backends=types.SimpleNamespace(cudnn=cudnn),
    )
    monkeypatch.setitem(sys.modules, "torch", torch)
    seeds = seed_everything(3, deterministic=True)
    assert seeds["torch"] == 3
    assert rec.calls == [
        ("manual_seed", 3),
        ("manual_seed_all", 3),
        ("use_deterministic_algorithms", True),
    ]
    assert cudnn.deterministic is True
    assert cudnn.benchmark is False
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"


def test_already_imported_tensorflow_is_seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder()
    tf = types.SimpleNamespace(
        random=types.SimpleNamespace(set_seed=rec.record("set_seed")),
        config=types.SimpleNamespace(
            experimental=types.SimpleNamespace(
                enable_op_determinism=rec.record("enable_op_determinism")
            )
        ),
    )
    monkeypatch.setitem(sys.modules, "tensorflow", tf)
    assert seed_everything(9)["tensorflow"] == 9
    assert rec.calls == [("set_seed", 9)]
    seed_everything(9, deterministic=True)
    assert rec.calls[-1] == ("enable_op_determinism", None)
