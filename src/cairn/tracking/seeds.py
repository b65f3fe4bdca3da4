"""Seed every random number generator a run uses, and record which ones were seeded.

torch and tensorflow are seeded only when the program has already imported them: importing
either costs seconds and may grab a GPU, which is not cairn's call to make.
"""

from __future__ import annotations

import operator
import os
import random
import sys
from typing import Any, SupportsIndex

from cairn.errors import InvalidInput

__all__ = ["MAX_SEED", "seed_everything", "seed_tags"]

MAX_SEED = 2**32 - 1  # numpy's legacy global generator accepts no more


def seed_everything(seed: int, deterministic: bool = False) -> dict[str, int]:
    """Seed python, numpy and (if already imported) torch and tensorflow; return what was set."""
    seed = _validate(seed)
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # this process hashed already; children follow
    seeded = {"python": seed}
    try:
        import numpy as np
    except ImportError:
        pass
    else:
        np.random.seed(seed)
        seeded["numpy"] = seed
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before CUDA starts
        os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    torch = sys.modules.get("torch")
    if torch is not None:
        _seed_torch(torch, seed, deterministic)
        seeded["torch"] = seed
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        _seed_tensorflow(tf, seed, deterministic)
        seeded["tensorflow"] = seed
    return seeded


def seed_tags(seeds: dict[str, int]) -> dict[str, str]:
    """System tags for the seeds returned by :func:`seed_everything`."""
    return {f"cairn.seed.{library}": str(value) for library, value in sorted(seeds.items())}


def _validate(seed: object) -> int:
    if isinstance(seed, SupportsIndex) and not isinstance(seed, bool):  # int, numpy integers
        value = operator.index(seed)
        if 0 <= value <= MAX_SEED:
            return value
    raise InvalidInput(
        f"seed must be an integer in [0, {MAX_SEED}], got {seed!r} ({type(seed).__name__}); "
        "pass e.g. seed=42"
    )


def _seed_torch(torch: Any, seed: int, deterministic: bool) -> None:
    torch.manual_seed(seed)  # also seeds every CUDA device
    cuda = getattr(torch, "cuda", None)
    if cuda is not None:
        cuda.manual_seed_all(seed)  # lazy: a no-op without CUDA
    if deterministic:
        torch.use_deterministic_algorithms(True)
        cudnn = getattr(getattr(torch, "backends", None), "cudnn", None)
        if cudnn is not None:
            cudnn.deterministic = True
            cudnn.benchmark = False


def _seed_tensorflow(tf: Any, seed: int, deterministic: bool) -> None:
    tf.random.set_seed(seed)
    if deterministic:
        enable = getattr(getattr(tf.config, "experimental", None), "enable_op_determinism", None)
        if enable is not None:  # tensorflow >= 2.8; older ones read TF_DETERMINISTIC_OPS
            enable()
