"""copy_and_hash: the copy made in the kernel, hashed from the page cache as it lands."""

from __future__ import annotations

import os

import pytest

from cairn.objects import linking
from cairn.objects.hashing import hash_bytes


@pytest.mark.parametrize("size", [0, 1, 4096, 1 << 20, (3 << 20) + 17])
def test_the_copy_is_whole_and_named_by_its_bytes(tmp_path, size):
    data = os.urandom(size)
    (tmp_path / "src").write_bytes(data)
    oid = linking.copy_and_hash(tmp_path / "src", tmp_path / "dst")
    assert oid == hash_bytes(data)
    assert (tmp_path / "dst").read_bytes() == data


def test_chunks_that_end_between_pages_are_hashed_exactly_once(tmp_path, monkeypatch):
    # An odd chunk size makes every chunk but the first start inside a page, where the
    # hasher maps from the page's start and skips what it has hashed already.
    monkeypatch.setattr(linking, "PIPE_CHUNK", 3 * 4096 + 5)
    data = os.urandom(200_003)
    (tmp_path / "src").write_bytes(data)
    assert linking.copy_and_hash(tmp_path / "src", tmp_path / "dst") == hash_bytes(data)
    assert (tmp_path / "dst").read_bytes() == data


def test_an_existing_destination_is_left_alone(tmp_path):
    (tmp_path / "src").write_bytes(b"new")
    (tmp_path / "dst").write_bytes(b"old")
    with pytest.raises(FileExistsError):
        linking.copy_and_hash(tmp_path / "src", tmp_path / "dst")
    assert (tmp_path / "dst").read_bytes() == b"old"
