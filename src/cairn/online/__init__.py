"""Online (streaming) learning: :class:`OnlineTrainer` keeps a ``partial_fit`` (or River) model
learning from a stream of labelled batches, logs metrics per batch, checkpoints versions into
the registry and rolls back to any of them; a guard (:mod:`cairn.online.guard_api`) can screen
every update. See docs/online-learning.md.
"""

from cairn.online.batches import MalformedBatch
from cairn.online.guard_api import Batch, UpdateGuard, Verdict
from cairn.online.learners import RiverModel
from cairn.online.sources import FolderSource
from cairn.online.trainer import OnlineTrainer, RunSummary, UpdateResult

__all__ = [
    "Batch",
    "FolderSource",
    "MalformedBatch",
    "OnlineTrainer",
    "RiverModel",
    "RunSummary",
    "UpdateGuard",
    "UpdateResult",
    "Verdict",
]
