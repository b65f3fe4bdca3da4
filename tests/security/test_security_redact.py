"""Redaction: keyed hashes that keep joins working, dropped columns, the project key."""

from __future__ import annotations

import stat
from pathlib import Path

import pandas as pd
import pytest

from cairn.errors import InvalidInput
from cairn.security import redact, scan_frame

FRAME = pd.DataFrame(
    {
        "email": ["a@example.com", "b@example.org", None, "a@example.com"],
        "religion": ["Muslim", "Christian", "Jewish", "Hindu"],
        "spend": [1.0, 2.0, 3.0, 4.0],
    }
)


def test_hash_is_keyed_deterministic_and_keeps_joins(cairn_project):
    out = redact(FRAME, ["email"], salt="s1")
    assert out["email"][0] == out["email"][3] != out["email"][1]
    assert pd.isna(out["email"][2])
    assert len(out["email"][0]) == 32 and "example" not in "".join(out["email"].dropna())
    assert out["email"][0] == redact(FRAME, ["email"], salt="s1")["email"][0]
    assert out["email"][0] != redact(FRAME, ["email"], salt="s2")["email"][0]
    other = pd.DataFrame({"email": ["a@example.com"], "orders": [7]})
    joined = out.merge(redact(other, ["email"], salt="s1"), on="email")
    assert list(joined["orders"]) == [7, 7]
    # The input is not modified.
    assert FRAME["email"][0] == "a@example.com"


def test_default_columns_come_from_a_scan_and_drop_removes_them(cairn_project):
    report = scan_frame(FRAME)
    assert report.columns == ["email", "religion"]
    assert list(redact(FRAME, report, how="drop").columns) == ["spend"]
    assert list(redact(FRAME, how="drop").columns) == ["spend"]
    hashed = redact(FRAME, salt="x")
    assert not scan_frame(hashed).sensitive
    assert list(hashed["spend"]) == list(FRAME["spend"])


def test_project_key_is_created_once_with_private_mode(cairn_project: Path):
    first = redact(FRAME, ["email"])
    key = cairn_project / ".cairn" / "redaction.key"
    assert key.is_file() and len(key.read_bytes()) == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (cairn_project / ".cairn" / ".gitignore").is_file()
    assert redact(FRAME, ["email"])["email"][0] == first["email"][0]


def test_environment_key_wins_over_the_project_key(cairn_project, monkeypatch):
    monkeypatch.setenv("CAIRN_REDACTION_KEY", "from-env")
    assert (
        redact(FRAME, ["email"])["email"][0]
        == redact(FRAME, ["email"], salt="from-env")["email"][0]
    )
    assert not (cairn_project / ".cairn" / "redaction.key").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"how": "mask"}, "how='mask' is not a redaction; use 'hash' or 'drop'"),
        ({"columns": ["nope"]}, "cannot redact columns ['nope']: not in the table"),
        ({"columns": ["email"], "salt": ""}, "the redaction salt is empty"),
    ],
)
def test_bad_input(cairn_project, kwargs, message):
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        redact(FRAME, **kwargs)
    with pytest.raises(InvalidInput, match="expects a pandas DataFrame"):
        redact([1, 2], ["email"])
