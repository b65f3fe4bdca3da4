"""Sampled, asynchronous logging of the predictions a server makes, for monitoring.

Where they go: the experiment ``serving:<model name>`` of the tracking store gets one run per
server process (tagged ``cairn.serving.uri`` and ``cairn.serving.pid``); its artifacts
``predictions/chunk-000001.jsonl``, ``chunk-000002.jsonl``, ... hold one JSON object per
logged request::

    {"request_id": "...", "time_ms": 1764189000000, "model_uri": "models:/m/3",
     "model_target": 3, "latency_ms": 1.2, "inputs": [{...row...}], "predictions": [...]}

The request path only draws a random number and puts the record on a bounded queue; a
thread writes chunks every ``flush_rows`` records or ``flush_seconds``. When the queue is full
the record is dropped and counted (``dropped``), never blocking a request. ``close()`` writes
what is left and ends the run.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import random
import threading
import time
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidInput

if TYPE_CHECKING:
    from cairn.tracking.client import CairnClient

log = logging.getLogger("cairn.serving")

__all__ = ["PredictionLogger", "experiment_name"]

_STOP = object()


def experiment_name(model_name: str) -> str:
    """The experiment holding the predictions of ``model_name``."""
    return f"serving:{model_name}"


class PredictionLogger:
    """Logs a ``rate`` fraction of requests to a run of ``serving:<model_name>``."""

    def __init__(
        self,
        client: CairnClient,
        model_name: str,
        model_uri: str,
        rate: float,
        flush_rows: int = 200,
        flush_seconds: float = 2.0,
        max_queue: int = 10_000,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise InvalidInput(f"the prediction log rate must be within 0 and 1, got {rate}")
        self.client = client
        self.rate = rate
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._chunk = 0
        name = experiment_name(model_name)
        found = client.find_experiment_by_name(name)
        experiment_id = found.experiment_id if found else client.create_experiment(name)
        tags = {"cairn.serving.uri": model_uri, "cairn.serving.pid": os.getpid()}
        self.run_id = client.create_run(experiment_id, tags=tags, run_name="serving").info.run_id
        self._thread = threading.Thread(target=self._drain, name="cairn-predictions", daemon=True)
        self._thread.start()

    def wants(self) -> bool:
        """Whether to log this request (sampled at ``rate``)."""
        return self.rate >= 1.0 or (self.rate > 0.0 and random.random() < self.rate)  # noqa: S311

    def log(self, record: dict[str, Any]) -> None:
        """Queue ``record`` for writing; drop it when the queue is full."""
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    def _drain(self) -> None:
        pending: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.flush_seconds
        while True:
            timeout = max(0.0, deadline - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is _STOP:
                self._write(pending)
                return
            if item is not None:
                pending.append(item)
            if len(pending) >= self.flush_rows or time.monotonic() >= deadline:
                self._write(pending)
                pending = []
                deadline = time.monotonic() + self.flush_seconds

    def _write(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        self._chunk += 1
        text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
        try:
            self.client.log_text(self.run_id, text, f"predictions/chunk-{self._chunk:06d}.jsonl")
            self.written += len(records)
        except Exception:  # noqa: BLE001 - logging must never take the server down
            log.exception("could not write %d logged predictions", len(records))

    def close(self) -> None:
        """Write what is queued and end the run."""
        self._queue.put(_STOP)
        self._thread.join(timeout=30)
        self.client.set_terminated(self.run_id)
