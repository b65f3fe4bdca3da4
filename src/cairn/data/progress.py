"""Progress bars for long data operations: bytes and files per second, on stderr.

A :class:`Reporter` is handed to every long operation. The quiet one (the default, and what
the CLI uses when stderr is not a terminal or ``--quiet`` is given) costs one no-op call per
file; the visible one draws a rich progress bar.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

Advance = Callable[[int, int], None]  # (bytes, files)


def _nothing(nbytes: int, files: int = 1) -> None:
    """Advance nothing."""


class Reporter:
    """Reports the progress of long operations (``visible=False``: reports nothing)."""

    def __init__(self, visible: bool = False) -> None:
        self.visible = visible

    @classmethod
    def for_terminal(cls, quiet: bool = False) -> Reporter:
        """A visible reporter when stderr is a terminal and not ``quiet``."""
        return cls(visible=not quiet and sys.stderr.isatty())

    @contextlib.contextmanager
    def track(self, description: str, files: int, nbytes: int) -> Iterator[Advance]:
        """A bar for ``files`` files of ``nbytes`` bytes; yields ``advance(bytes, files=1)``."""
        if not self.visible or files == 0:
            yield _nothing
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.text import Text

        class FilesColumn(ProgressColumn):
            """Files done of all, and files per second."""

            def render(self, task: Any) -> Text:
                done = int(task.fields.get("files_done", 0))
                elapsed = task.elapsed or 0.0
                rate = f"{done / elapsed:,.0f} files/s" if elapsed > 0.2 else ""
                return Text(f"{done:,}/{files:,} files {rate}", style="progress.download")

        bar = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            FilesColumn(),
            TimeRemainingColumn(),
            console=Console(file=sys.stderr, force_terminal=True),
            transient=True,
        )
        lock = threading.Lock()
        counts = {"files": 0}
        with bar:
            task = bar.add_task(description, total=max(nbytes, 1), files_done=0)

            def advance(done_bytes: int, done_files: int = 1) -> None:
                with lock:
                    counts["files"] += done_files
                    bar.update(task, advance=done_bytes, files_done=counts["files"])

            yield advance


QUIET = Reporter(visible=False)
