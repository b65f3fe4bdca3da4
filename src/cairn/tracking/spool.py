"""The durable local spool: a log call returns once its record is in a file, not in the store.

Each (process, run) pair appends JSON lines to its own spool file, ``<run_id>.<spool_id>.spool``,
with one ``os.write`` per record: once the call returns, the record is in the kernel and
survives ``kill -9`` of the process. A background thread ships records to the store in
batches; each batch carries the byte offset it reaches, which the store saves in the same
transaction (:class:`cairn.store.base.SpoolMark`), so replaying a spool after a crash stores
every record exactly once. The owner holds an exclusive ``flock`` on its file; a spool
whose lock can be taken belongs to a dead process and is shipped by :func:`recover`.

Records are metric points, and for runs on a remote server also params, tags and the run's
end: the server may be down for a while, and logging must neither block nor fail the
training script meanwhile. Shipping retries with back-off until the server answers.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from cairn.entities import Metric, Param, RunTag
from cairn.errors import CairnError, InvalidInput, InvalidState, NotFound, StoreError
from cairn.store.base import SpoolMark, Store

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
SHIP_INTERVAL_S = 0.2
FIRST_RETRY_DELAY_S = 0.05
MAX_RETRY_DELAY_S = 5.0
SUFFIX = ".spool"


@dataclass(frozen=True, slots=True)
class RunEnd:
    """The run ended with this status at this time (the last record of a remote run)."""

    status: str
    end_time: int


Record = Metric | Param | RunTag | RunEnd


def _encode(record: Record) -> bytes:
    if isinstance(record, Metric):
        row: tuple = ("m", record.key, record.value, record.timestamp, record.step)
    elif isinstance(record, Param):
        row = ("p", record.key, record.value)
    elif isinstance(record, RunTag):
        row = ("t", record.key, record.value)
    else:
        row = ("e", record.status, record.end_time)
    return (json.dumps(row) + "\n").encode()


def _decode(line: bytes) -> Record | None:
    try:
        row = json.loads(line)
        kind = row[0]
        if kind == "m":
            _, key, value, timestamp, step = row
            return Metric(key, float(value), int(timestamp), int(step))
        if kind == "p":
            return Param(row[1], row[2])
        if kind == "t":
            return RunTag(row[1], row[2])
        if kind == "e":
            return RunEnd(row[1], int(row[2]))
    except (ValueError, TypeError, IndexError):
        pass  # a torn last line from a crash mid-write: it was never acknowledged
    return None


def ship(store: Store, run_id: str, spool_id: str, records: list[tuple[int, Record]]) -> None:
    """Store records that end at the given offsets, in order, each batch with its spool mark.

    A run's end is applied after everything before it, then its offset is marked; replaying
    any part again changes nothing. A param the store refuses (logged with another value by
    some other process) is dropped with a warning so the rest still lands.
    """
    batch: list[tuple[int, Record]] = []
    for end, record in records:
        if isinstance(record, RunEnd):
            _ship_batch(store, run_id, spool_id, batch)
            batch = []
            store.runs.update_run_info(run_id, status=record.status, end_time=record.end_time)
            store.runs.log_batch(run_id, spool=SpoolMark(spool_id, end))
        else:
            batch.append((end, record))
            if len(batch) >= BATCH_SIZE:
                _ship_batch(store, run_id, spool_id, batch)
                batch = []
    _ship_batch(store, run_id, spool_id, batch)


def _ship_batch(store: Store, run_id: str, spool_id: str, batch: list[tuple[int, Record]]) -> None:
    if not batch:
        return
    metrics = [r for _, r in batch if isinstance(r, Metric)]
    params = [r for _, r in batch if isinstance(r, Param)]
    tags = [r for _, r in batch if isinstance(r, RunTag)]
    mark = SpoolMark(spool_id, batch[-1][0])
    try:
        store.runs.log_batch(run_id, metrics=metrics, params=params, tags=tags, spool=mark)
    except InvalidInput as exc:
        if not params:
            raise
        log.warning("cairn: params of run %s were refused (%s); storing the rest", run_id, exc)
        store.runs.log_batch(run_id, metrics=metrics, tags=tags, spool=mark)


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
        self._pending: deque[tuple[int, Record]] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._stop = False
        self._halt = threading.Event()  # set when closing gives up: ends a retry's back-off
        self.error: CairnError | None = None
        self._thread = threading.Thread(
            target=self._ship_loop, name=f"cairn-spool-{run_id[:8]}", daemon=True
        )
        self._thread.start()

    def append(self, records: list[Record]) -> None:
        """Write records durably (kernel-side) and queue them for shipping."""
        lines = [_encode(r) for r in records]
        with self._lock:
            if self._closed:
                raise InvalidState(f"the spool of run {self.run_id} is closed: the run has ended")
            os.write(self._fd, b"".join(lines))
            offset = self._offset
            for line, record in zip(lines, records, strict=True):
                offset += len(line)
                self._pending.append((offset, record))
            self._offset = offset
            self._idle.clear()
            size = len(self._pending)
        if size >= BATCH_SIZE // 4:
            self._wake.set()

    def flush(self, timeout: float | None = 60.0) -> bool:
        """Wait until everything appended so far is in the store; False on timeout."""
        self._wake.set()
        return self._idle.wait(timeout)

    def close(self, timeout: float | None = 60.0) -> bool:
        """Ship what is left (waiting at most ``timeout``), stop the thread, and remove the
        file once all of it is stored; True if it was. What is not shipped stays in the file
        for the next start or ``cairn sync``."""
        shipped = self.flush(timeout)
        with self._lock:
            self._closed = True
            self._stop = not shipped
        if self._stop:
            self._halt.set()
        self._wake.set()
        self._thread.join(timeout=5)
        done = shipped and self.error is None
        if done:
            self.path.unlink(missing_ok=True)
        else:
            log.warning("cairn: %s was not fully shipped; `cairn sync` will ship it", self.path)
        os.close(self._fd)  # releases the flock
        return done

    def _take_batch(self) -> list[tuple[int, Record]]:
        with self._lock:
            count = min(len(self._pending), BATCH_SIZE)
            return [self._pending.popleft() for _ in range(count)]

    def _requeue(self, batch: list[tuple[int, Record]]) -> None:
        with self._lock:
            self._pending.extendleft(reversed(batch))

    def _ship_loop(self) -> None:
        delay = FIRST_RETRY_DELAY_S
        while True:
            self._wake.wait(SHIP_INTERVAL_S)
            self._wake.clear()
            while batch := self._take_batch():
                try:
                    ship(self.store, self.run_id, self.spool_id, batch)
                    if delay > FIRST_RETRY_DELAY_S:
                        log.warning("cairn: shipping records of run %s resumed", self.run_id)
                    delay = FIRST_RETRY_DELAY_S
                except (StoreError, OSError) as exc:
                    # Transient (the server is down, the database busy): keep the records and
                    # try again later, backing off; records already stored are skipped on replay.
                    self._requeue(batch)
                    if delay == FIRST_RETRY_DELAY_S:
                        log.warning(
                            "cairn: shipping records of run %s failed (%s); they are safe in %s "
                            "and shipping goes on retrying",
                            self.run_id,
                            exc,
                            self.path,
                        )
                    self._halt.wait(delay)
                    delay = min(delay * 2, MAX_RETRY_DELAY_S)
                    break
                except CairnError as exc:
                    # The store refuses them (the run was deleted meanwhile): stop shipping; the
                    # records stay in the file for `cairn sync`.
                    self.error = exc
                    log.warning("cairn: records of run %s cannot be stored: %s", self.run_id, exc)
                    with self._lock:
                        self._pending.clear()
                    break
            with self._lock:
                if not self._pending:
                    self._idle.set()
                if self._closed and (self._stop or not self._pending):
                    return


def read_records(path: Path, offset: int) -> list[tuple[int, Record]]:
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
        record = _decode(line)
        if record is not None:
            records.append((position, record))
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
        ship(store, run_id, spool_id, records)
    except (NotFound, InvalidState) as exc:
        log.warning("cairn: spool %s cannot be shipped: %s", path.name, exc)
        return None
    return len(records)
