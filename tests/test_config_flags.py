"""parse_flag / env_flag: the one reading of yes/no words (settings, env vars, query strings)."""

from __future__ import annotations

import pytest

from cairn.config import env_flag, parse_flag


@pytest.mark.parametrize("text", ["1", "true", "TRUE", " yes ", "On"])
def test_yes_words(text):
    assert parse_flag(text) is True


@pytest.mark.parametrize("text", ["0", "false", "No", " off"])
def test_no_words(text):
    assert parse_flag(text) is False


@pytest.mark.parametrize("text", [None, "", "sometimes", "2", "truthy", "y"])
def test_anything_else_is_neither(text):
    assert parse_flag(text) is None


def test_env_flag_is_set_only_by_a_yes_word(monkeypatch):
    monkeypatch.delenv("CAIRN_TEST_FLAG", raising=False)
    assert env_flag("CAIRN_TEST_FLAG") is False
    for text, expected in (("yes", True), ("off", False), ("maybe", False)):
        monkeypatch.setenv("CAIRN_TEST_FLAG", text)
        assert env_flag("CAIRN_TEST_FLAG") is expected
