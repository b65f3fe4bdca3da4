"""Password hashes and API tokens: salted, slow, self-describing; tokens random and prefixed."""

from __future__ import annotations

import pytest

from cairn.errors import InvalidInput
from cairn.server.auth import passwords, tokens


def test_a_password_hash_is_salted_self_describing_and_verifies():
    first = passwords.hash_password("correct horse")
    second = passwords.hash_password("correct horse")
    assert first != second  # a fresh salt each time
    scheme, n, r, p, salt, digest = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", passwords.N, passwords.R, passwords.P)
    assert "correct horse" not in first
    assert passwords.verify_password("correct horse", first)
    assert passwords.verify_password("correct horse", second)
    assert not passwords.verify_password("correct horsE", first)
    assert not passwords.verify_password("", first)


def test_a_hash_made_with_other_parameters_still_verifies():
    # Parameters travel with the hash, so raising the cost later keeps old hashes valid.
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"old password", salt=salt, n=2**12, r=8, p=1, dklen=32)
    encode = lambda raw: base64.b64encode(raw).decode().rstrip("=")  # noqa: E731
    stored = f"scrypt${2**12}$8$1${encode(salt)}${encode(digest)}"
    assert passwords.verify_password("old password", stored)
    assert not passwords.verify_password("new password", stored)


@pytest.mark.parametrize("stored", ["", "plain-text", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AA$AA"])
def test_a_malformed_stored_hash_matches_nothing(stored):
    assert not passwords.verify_password("plain-text", stored)


@pytest.mark.parametrize("bad", ["short", " leading-space", "trailing-space "])
def test_weak_or_padded_passwords_are_refused(bad):
    with pytest.raises(InvalidInput):
        passwords.check_password(bad)


def test_tokens_are_random_prefixed_and_stored_by_hash():
    made = {tokens.new_token() for _ in range(200)}
    assert len(made) == 200
    token = made.pop()
    assert token.startswith("cairn_") and len(token) >= 40
    assert tokens.looks_like_token(token)
    assert not tokens.looks_like_token("cairn_")
    assert not tokens.looks_like_token("a password")
    assert tokens.token_prefix(token) == token[: tokens.PREFIX_LENGTH]
    assert len(tokens.token_hash(token)) == 64 and token not in tokens.token_hash(token)
    assert tokens.token_hash(token) == tokens.token_hash(token)


@pytest.mark.parametrize(
    ("text", "ms"),
    [("30d", 30 * 86_400_000), ("12h", 43_200_000), ("90m", 5_400_000), ("45s", 45_000),
     ("2w", 1_209_600_000), (" 7d ", 604_800_000)],
)  # fmt: skip
def test_durations(text, ms):
    assert tokens.parse_duration(text) == ms


@pytest.mark.parametrize("bad", ["", "30", "d", "0d", "-1d", "1.5h", "30x", "1y"])
def test_bad_durations_are_refused(bad):
    with pytest.raises(InvalidInput, match="positive duration"):
        tokens.parse_duration(bad)
