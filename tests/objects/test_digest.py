"""Object ids and the digest value object."""

from __future__ import annotations

import pytest

from cairn.errors import InvalidInput
from cairn.objects import HASH_NAME, Digest, check_oid, hash_bytes, is_oid

OID = hash_bytes(b"x")


def test_an_oid_is_64_lowercase_hex_digits():
    assert HASH_NAME == "blake3"
    assert is_oid(OID)
    assert not is_oid(OID.upper())
    assert not is_oid(OID[:-1])
    assert not is_oid(OID + "0")
    assert not is_oid("../" + OID[3:])
    assert not is_oid(None)


def test_check_oid_names_what_was_wrong():
    assert check_oid(OID) == OID
    with pytest.raises(InvalidInput, match=r"pointer hash must be 64 lowercase hex.*'nope'"):
        check_oid("nope", "pointer hash")


def test_digest_round_trips_through_text():
    digest = Digest.parse(f"blake3:{OID}")
    assert digest == Digest("blake3", OID) == Digest.of_oid(OID)
    assert str(digest) == f"blake3:{OID}"
    md5 = Digest.parse("md5:" + "0" * 32)
    assert md5.algorithm == "md5"


@pytest.mark.parametrize(
    "text",
    ["", OID, "blake3:", f"sha1:{OID}", "md5:" + "0" * 64, f"blake3:{OID.upper()}", 42],
)
def test_digest_parse_refuses_nonsense(text):
    with pytest.raises(InvalidInput):
        Digest.parse(text)


def test_digest_is_frozen():
    digest = Digest.of_oid(OID)
    with pytest.raises(AttributeError):
        digest.value = "0" * 64  # type: ignore[misc]
