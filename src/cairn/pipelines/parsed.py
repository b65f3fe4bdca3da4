"""The pipeline's YAML files (``cairn.yaml``, ``params.yaml``, ``cairn.lock``) parsed once per
change.

PyYAML builds every node in Python, so parsing a 100-stage ``cairn.lock`` costs more than
judging all 100 stages. Each parsed document is kept in ``.cairn/parsed/`` with the file's
inode, size, mtime and ctime, and read back with :mod:`marshal` while those are unchanged
(ctime cannot be set back by hand, so an edit that keeps size and mtime is still seen). A
document marshal cannot hold (YAML dates, say) is simply parsed every time.
"""

from __future__ import annotations

import marshal
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cairn import __version__
from cairn.config import CAIRN_DIR

FOLDER = "parsed"
RACY_NS = 2_000_000_000
_MARSHAL_VERSION = 4


def read_document(path: Path, parse: Callable[[str], Any]) -> Any:
    """``parse(text)`` of the UTF-8 file at ``path``, or the document parsed when the file was
    last as it is now. Reading errors (``FileNotFoundError``, ``UnicodeDecodeError``) and
    ``parse``'s errors propagate."""
    st = os.stat(path)
    cache = _cache_file(path)
    if cache is not None:
        try:
            key, document = marshal.loads(cache.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            pass
        else:
            if key == _key(st):
                return document
    document = parse(path.read_text(encoding="utf-8"))
    if cache is not None:
        _store(cache, st, document)
    return document


def remember(path: Path, document: Any) -> None:
    """Record ``document`` as the parsed content of ``path`` as it is now (for a writer that
    has just written the file from that document)."""
    cache = _cache_file(path)
    if cache is not None:
        _store(cache, os.stat(path), document)


def _key(st: os.stat_result) -> tuple[str, int, int, int, int]:
    return (__version__, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _cache_file(path: Path) -> Path | None:
    """Where ``path``'s document is kept: ``.cairn/parsed/`` of its folder (None when the
    folder is not a cairn project)."""
    folder = path.parent / CAIRN_DIR
    if not folder.is_dir():
        return None
    return folder / FOLDER / f"{path.name}.marshal"


def _store(cache: Path, st: os.stat_result, document: Any) -> None:
    if st.st_ctime_ns % 1_000_000 == 0 and time.time_ns() - st.st_ctime_ns < RACY_NS:
        return  # coarse timestamps: a second edit in this tick could keep the same key
    try:
        data = marshal.dumps((_key(st), document), _MARSHAL_VERSION)
    except ValueError:
        return  # holds a type marshal cannot write: parse it each time
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        cache.parent.mkdir(exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, cache)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only project: parse each time
