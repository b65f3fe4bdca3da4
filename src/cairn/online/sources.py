"""Streams of labelled batches for :meth:`OnlineTrainer.run`.

- any iterable of ``(X, y)`` or ``(X, y, source_id)`` tuples (a malformed batch raises);
- :class:`FolderSource`: a folder that receives files (CSV, parquet, JSON lines), each file a
  batch (or one batch per source when ``source_column`` is set). A file is read only once it is
  complete: writers create it under a hidden or temporary name (``.name``, ``*.tmp``,
  ``*.part``) and rename it into place, which is atomic on one filesystem. A file learned from
  (or rejected by the guard) moves to ``processed/``; one that cannot be read or learned from
  moves to ``failed/`` beside a ``NAME.reason.txt`` saying why.

The model server's ``POST /feedback`` (``cairn models serve ... --feedback-dir DIR``) writes
JSON-lines files into such a folder, so serving and training run as separate processes.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.errors import InvalidInput

__all__ = ["FolderSource", "StreamItem", "stream_items"]

_PARTIAL = (".tmp", ".part", ".partial")


@dataclass
class StreamItem:
    """One batch of a stream and what to do once the trainer has handled it."""

    X: Any
    y: Any
    source: str | None = None
    strict: bool = True  # a malformed batch raises (True) or is rejected as "malformed"
    on_done: Callable[[Any], None] | None = None

    def done(self, result: Any) -> None:
        """Called with the trainer's UpdateResult."""
        if self.on_done is not None:
            self.on_done(result)


def stream_items(source: Any) -> Iterator[StreamItem]:
    """The items of ``source`` (a FolderSource or an iterable of tuples)."""
    if isinstance(source, FolderSource):
        yield from source.items()
        return
    if isinstance(source, (str, Path)):
        raise InvalidInput(
            f"source {str(source)!r} is a path: wrap it as FolderSource({str(source)!r}) to "
            "consume the files that arrive there"
        )
    if not isinstance(source, Iterable):
        raise InvalidInput(
            f"source must be an iterable of (X, y) batches or a FolderSource, got "
            f"{type(source).__name__}"
        )
    for number, entry in enumerate(source):
        if isinstance(entry, tuple) and len(entry) in (2, 3):
            yield StreamItem(entry[0], entry[1], str(entry[2]) if len(entry) == 3 else None)
        else:
            raise InvalidInput(
                f"item {number} of the stream is a {type(entry).__name__}; expected a tuple "
                "(X, y) or (X, y, source_id)"
            )


def _read_table(path: Path) -> Any:
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".jsonl", ".ndjson"):
        return pd.read_json(path, lines=True)
    raise InvalidInput(f"{path.name}: unknown file type {suffix!r} (csv, parquet or jsonl)")


class FolderSource:
    """Files arriving in ``path`` as a stream of batches; see the module docstring.

    ``pattern``: glob patterns separated by ``|``. ``label_column`` holds the labels;
    ``source_column`` (optional) the sender of each row, else a file's source is its name.
    ``poll``: seconds between scans. ``stop_when_idle``: stop after this many seconds without
    a new file (``None``: run until :meth:`stop` is called).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        pattern: str = "*.csv|*.parquet|*.jsonl",
        label_column: str = "label",
        source_column: str | None = None,
        poll: float = 1.0,
        stop_when_idle: float | None = None,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise InvalidInput(f"source folder {str(path)!r} does not exist or is not a folder")
        self.patterns = [p.strip() for p in pattern.split("|") if p.strip()]
        if not self.patterns:
            raise InvalidInput("pattern is empty: give globs such as '*.csv|*.jsonl'")
        if not label_column:
            raise InvalidInput("label_column is empty: name the column that holds the labels")
        if poll <= 0:
            raise InvalidInput(f"poll must be a positive number of seconds, got {poll}")
        if stop_when_idle is not None and stop_when_idle < 0:
            raise InvalidInput(f"stop_when_idle must be >= 0 seconds, got {stop_when_idle}")
        self.label_column = label_column
        self.source_column = source_column
        self.poll = poll
        self.stop_when_idle = stop_when_idle
        self._stop = threading.Event()

    def stop(self) -> None:
        """End the stream after the file being read (from another thread or a signal)."""
        self._stop.set()

    def ready_files(self) -> list[Path]:
        """The complete files waiting, oldest first."""
        found = []
        for entry in self.path.iterdir():
            name = entry.name
            if not entry.is_file() or name.startswith(".") or name.endswith(_PARTIAL):
                continue
            if any(fnmatch.fnmatch(name, pattern) for pattern in self.patterns):
                found.append(entry)
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def items(self) -> Iterator[StreamItem]:
        """Batches as files arrive, until stopped or idle for ``stop_when_idle`` seconds."""
        idle_since = time.monotonic()
        while not self._stop.is_set():
            files = self.ready_files()
            for path in files:
                if self._stop.is_set():
                    return
                yield from self._file_items(path)
            if files:
                idle_since = time.monotonic()
                continue
            if (
                self.stop_when_idle is not None
                and time.monotonic() - idle_since >= self.stop_when_idle
            ):
                return
            self._stop.wait(self.poll)

    def _file_items(self, path: Path) -> Iterator[StreamItem]:
        try:
            table = _read_table(path)
        except (OSError, ValueError, ImportError) as exc:  # pandas' parser errors are ValueErrors
            self._move(path, "failed", f"unreadable: {type(exc).__name__}: {exc}")
            return
        groups = self._split(table, path)
        problems: list[str] = []

        def finished(result: Any) -> None:
            verdict = getattr(result, "verdict", None)
            if verdict is not None and "malformed" in verdict.reasons:
                problems.append("; ".join(r for r in verdict.reasons if r != "malformed"))

        for source, part in groups:
            y = part.pop(self.label_column) if self.label_column in part.columns else None
            yield StreamItem(part, y, source, strict=False, on_done=finished)
        if problems:
            self._move(path, "failed", f"malformed: {' | '.join(problems)}")
        else:
            self._move(path, "processed", None)

    def _split(self, table: Any, path: Path) -> list[tuple[str | None, Any]]:
        column = self.source_column
        if column is None or column not in table.columns:
            return [(path.stem, table.copy())]
        sources = table.pop(column)
        keys = sources.fillna(path.stem).astype(str)
        return [(str(key), part.copy()) for key, part in table.groupby(keys, sort=False)]

    def _move(self, path: Path, folder: str, reason: str | None) -> None:
        target_dir = self.path / folder
        target_dir.mkdir(exist_ok=True)
        target = target_dir / path.name
        if target.exists():
            target = target_dir / f"{path.stem}-{time.time_ns()}{path.suffix}"
        path.replace(target)
        if reason is not None:
            (target_dir / f"{target.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")
