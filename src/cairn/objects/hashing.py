"""BLAKE3 hashing of files, bytes and streams.

Big files are hashed with BLAKE3's own threads over a memory map (measured fastest here:
see ``benchmarks/bench_data_local.py``); small files with one plain read and a
single-threaded hasher, which costs less than starting threads.
"""

from __future__ import annotations

import os
from pathlib import Path

import blake3

from cairn.errors import InvalidInput

# Files at least this big are hashed by BLAKE3's threads over an mmap.
THREADED_FROM = 4 << 20
BLOCK = 8 << 20


class Hasher:
    """Incremental BLAKE3 for bytes seen while streaming: ``update`` then ``oid``."""

    __slots__ = ("_hasher", "size")

    def __init__(self, *, threaded: bool = False) -> None:
        self._hasher = (
            blake3.blake3(max_threads=blake3.blake3.AUTO) if threaded else blake3.blake3()
        )
        self.size = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Feed the next bytes."""
        self._hasher.update(data)
        self.size += len(data)

    def oid(self) -> str:
        """The object id of every byte fed so far."""
        return self._hasher.hexdigest()


def hash_bytes(data: bytes | bytearray | memoryview) -> str:
    """The object id of ``data``."""
    return blake3.blake3(data).hexdigest()


def hash_file(path: Path) -> tuple[str, int]:
    """The object id and size of the regular file at ``path``."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size < THREADED_FROM:
            data = handle.read()
            return blake3.blake3(data).hexdigest(), len(data)
    if not os.path.isfile(path):
        raise InvalidInput(f"{path} is not a regular file")
    hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
    hasher.update_mmap(path)
    return hasher.hexdigest(), size


def hash_file_blocks(path: Path, block: int = BLOCK) -> tuple[str, int]:
    """Like :func:`hash_file` but reading ``block`` bytes at a time (for comparison)."""
    hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
    size = 0
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(block)
        view = memoryview(buffer)
        while count := handle.readinto(buffer):
            hasher.update(view[:count])
            size += count
    return hasher.hexdigest(), size
