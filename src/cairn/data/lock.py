"""One data command at a time per repository, through an OS lock on ``.cairn/data.lock``.

The lock is ``flock``: the kernel drops it when its process ends, however it ends, so a
killed command never leaves a stale lock behind. Commands that change the workspace or the
cache take it exclusively; read-only ones (``status``, ``ls``, ``diff``) share it. An
exclusive holder writes its pid and command into the file so that a waiter can say whom it
waits for.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cairn.errors import DataLocked

LOCK_NAME = "data.lock"
POLL_SECONDS = 0.1


def _holder(fd: int) -> str:
    """Who holds the lock, as far as the file tells: ``<pid> (<command>)``."""
    try:
        text = os.pread(fd, 4096, 0).decode(errors="replace")
    except OSError:
        text = ""
    pid_text, _, command = text.partition("\n")
    if pid_text.isdigit():
        pid = int(pid_text)
        with contextlib.suppress(OSError):
            os.kill(pid, 0)  # still alive: name it
            return f"{pid} ({command.strip() or 'a cairn data command'})"
    return "another cairn data command"


def _say_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def data_lock(
    cairn_dir: Path,
    command: str,
    *,
    shared: bool = False,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = _say_on_stderr,
) -> Iterator[None]:
    """Hold the repository's data lock for the ``with`` block.

    When another process holds it, ``on_wait`` is told once ("waiting for 1234 (cairn data
    push) to finish…") and the call waits; after ``timeout`` seconds (None: no limit) it
    raises :class:`DataLocked`.
    """
    cairn_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(cairn_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            if on_wait is not None:
                on_wait(f"waiting for {holder} to finish…")
            _wait(fd, mode, timeout, holder)
        if not shared:
            record = f"{os.getpid()}\n{command}\n".encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, record, 0)
        try:
            yield
        finally:
            if not shared:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _wait(fd: int, mode: int, timeout: float | None, holder: str) -> None:
    if timeout is None:
        fcntl.flock(fd, mode)
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise DataLocked(
                    f"the data of this repository stayed locked by {holder} for {timeout:g} s; "
                    "try again when it has finished"
                ) from None
            time.sleep(POLL_SECONDS)
