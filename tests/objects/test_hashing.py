"""BLAKE3 hashing of files, bytes and streams agree with each other and with blake3 itself."""

from __future__ import annotations

import blake3
import pytest

from cairn.objects import Hasher, hash_bytes, hash_file
from cairn.objects.hashing import THREADED_FROM, hash_file_blocks


@pytest.mark.parametrize("size", [0, 1, 1000, THREADED_FROM - 1, THREADED_FROM, THREADED_FROM + 7])
def test_every_way_of_hashing_gives_the_same_oid(tmp_path, size):
    data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    path = tmp_path / "f"
    path.write_bytes(data)
    expected = blake3.blake3(data).hexdigest()
    assert hash_bytes(data) == expected
    assert hash_file(path) == (expected, size)
    assert hash_file_blocks(path, block=4096) == (expected, size)
    hasher = Hasher()
    for start in range(0, size, 999):
        hasher.update(data[start : start + 999])
    assert hasher.oid() == expected and hasher.size == size


def test_threaded_hasher_agrees():
    hasher = Hasher(threaded=True)
    hasher.update(b"a" * 100_000)
    assert hasher.oid() == hash_bytes(b"a" * 100_000)


def test_hash_file_of_a_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        hash_file(tmp_path / "absent")
