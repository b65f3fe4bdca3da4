"""The durable local spool: a log call returns once its record is in a file, not in the store.

Each (process, run) pair appends JSON lines to its own spool file, ``<run_id>.<spool_id>.spool``,
with one ``os.write`` per record: once the call returns, the record is in the kernel and
survives ``kill -9`` of the process. A background thread ships records to the store in
batches; each batch carries the byte offset it reaches, which the store saves in the same
transaction (:class:`cairn.store.base.SpoolMark`), so replaying a spool after a crash stores
every record exactly once. The owner holds an exclusive ``flock`` on its file; a spool
whose lock can be taken belongs to a dead process and is shipped by :func:`recover`.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from pathlib import Path

from cairn.entities import Metric
from cairn.errors import CairnError, InvalidState, NotFound, StoreError
from cairn.store.base import SpoolMark, Store

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
SHIP_INTERVAL_S = 0.2
SUFFIX = ".spool"


def _encode(metric: Metric) -> bytes:
    return (
        json.dumps(("m", metric.key, metric.value, metric.timestamp, metric.step)) + "\n"
    ).encode()


def _decode(line: bytes) -> Metric | None:
    try:
        kind, key, value, timestamp, step = json.loads(line)
    except (ValueError, TypeError):
        return None  # a torn last line from a crash mid-write: it was never acknowledged
    return Metric(key, float(value), int(timestamp), int(step)) if kind == "m" else None


class Spool:
    """One run's spool file in this process, and the thread that ships it."""

    def __init__(self, store: Store, directory: Path, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.spool_id = uuid.uuid4().hex
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{run_id}.{self.spool_id}{SUFFIX}"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._offset = 0
        self._pending: deque[tuple[int, Metric]] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self.error: CairnError | None = None
        self._thread = threading.Thread(
            target=self._ship_loop, name=f"cairn-spool-{run_id[:8]}", daemon=True
        )
        self._thread.start()

    def append(self, metrics: list[Metric]) -> None:
        """Write records durably (kernel-side) and queue them for shipping."""
        data = b"".join(_encode(m) for m in metrics)
        with self._lock:
            if self._closed:
                raise InvalidState(f"the spool of run {self.run_id} is closed: the run has ended")
            os.write(self._fd, data)
            self._offset += len(data)
            self._idle.clear()
            self._pending.append((self._offset, metrics))  # type: ignore[arg-type]
            size = len(self._pending)
        if size >= 64:
            self._wake.set()

    def flush(self, timeout: float | None = 60.0) -> bool:
        """Wait until everything appended so far is in the store; False on timeout."""
        self._wake.set()
        return self._idle.wait(timeout)

    def close(self, timeout: float | None = 60.0) -> None:
        """Ship what is left, stop the thread, and remove the file once all of it is stored."""
        shipped = self.flush(timeout)
        with self._lock:
            self._closed = True
        self._wake.set()
        self._thread.join(timeout=5)
        if shipped and self.error is None:
            self.path.unlink(missing_ok=True)
        else:
            log.warning("cairn: %s was not fully shipped; `cairn sync` will ship it", self.path)
        os.close(self._fd)  # releases the flock

    def _take_batch(self) -> tuple[list[Metric], int] | None:
        with self._lock:
            if not self._pending:
                return None
            batch: list[Metric] = []
            end = 0
            while self._pending and len(batch) < BATCH_SIZE:
                end, metrics = self._pending[0]
                batch.extend(metrics)  # type: ignore[arg-type]
                self._pending.popleft()
            return batch, end

    def _requeue(self, batch: list[Metric], end: int) -> None:
        with self._lock:
            self._pending.appendleft((end, batch))  # type: ignore[arg-type]

    def _ship_loop(self) -> None:
        delay = 0.05
        while True:
            self._wake.wait(SHIP_INTERVAL_S)
            self._wake.clear()
            while (item := self._take_batch()) is not None:
                batch, end = item
                try:
                    self.store.runs.log_batch(
                        self.run_id, metrics=batch, spool=SpoolMark(self.spool_id, end)
                    )
                    delay = 0.05
                except (StoreError, OSError) as exc:
                    # Transient: keep the records and try again later.
                    self._requeue(batch, end)
                    log.warning(
                        "cairn: shipping metrics of run %s failed (%s); retrying", self.run_id, exc
                    )
                    time.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    break
                except CairnError as exc:
                    # The store refuses them (the run was deleted meanwhile): stop shipping; the
                    # records stay in the file for `cairn sync`.
                    self.error = exc
                    log.warning("cairn: metrics of run %s cannot be stored: %s", self.run_id, exc)
                    with self._lock:
                        self._pending.clear()
                    break
            with self._lock:
                if not self._pending:
                    self._idle.set()
                if self._closed and not self._pending:
                    return


def read_records(path: Path, offset: int) -> list[tuple[int, Metric]]:
    """The complete records of a spool file after ``offset``, each with the offset it ends at."""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    records = []
    position = offset
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break  # a torn last line was never acknowledged: leave it
        position += len(line)
        metric = _decode(line)
        if metric is not None:
            records.append((position, metric))
    return records


def recover(store: Store, directory: Path) -> dict[str, int]:
    """Ship the spools that dead processes left; return records shipped per run."""
    shipped: dict[str, int] = {}
    if not directory.is_dir():
        return shipped
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        run_id, _, rest = path.name.partition(".")
        spool_id = rest[: -len(SUFFIX)]
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # its owner finished and removed it meanwhile
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live process owns it
            count = _ship_file(store, path, run_id, spool_id)
            if count is not None:
                shipped[run_id] = count
                path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return shipped


def _ship_file(store: Store, path: Path, run_id: str, spool_id: str) -> int | None:
    records = read_records(path, store.runs.get_spool_offset(spool_id))
    try:
        for i in range(0, len(records), BATCH_SIZE):
            chunk = records[i : i + BATCH_SIZE]
            mark = SpoolMark(spool_id, chunk[-1][0])
            store.runs.log_batch(run_id, metrics=[m for _, m in chunk], spool=mark)
    except (NotFound, InvalidState) as exc:
        log.warning("cairn: spool %s cannot be shipped: %s", path.name, exc)
        return None
    return len(records)
