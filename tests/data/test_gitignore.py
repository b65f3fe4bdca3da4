"""Data paths go into the folder's .gitignore once, escaped, and git really ignores them."""

from __future__ import annotations

import subprocess

from cairn.data.gitignore import ensure_ignored, is_ignored_here, pattern_for


def test_added_once_and_existing_lines_kept(tmp_path):
    (tmp_path / ".gitignore").write_text("*.log")  # no final newline
    assert ensure_ignored(tmp_path, "data") is True
    assert ensure_ignored(tmp_path, "data") is False
    assert ensure_ignored(tmp_path, "model.bin") is True
    assert (tmp_path / ".gitignore").read_text() == "*.log\n/data\n/model.bin\n"
    assert is_ignored_here(tmp_path, "data") and not is_ignored_here(tmp_path, "dat")


def test_special_names_are_escaped():
    assert pattern_for("a*b?[c]") == "/a\\*b\\?\\[c]"
    assert pattern_for("#x") == "/\\#x"
    assert pattern_for("!x") == "/\\!x"
    assert pattern_for("x ") == "/x\\ "


def test_git_ignores_exactly_the_data(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name in ("we*rd [1].csv", "#notes", "plain"):
        (tmp_path / name).write_text("x")
        ensure_ignored(tmp_path, name)
    (tmp_path / "weXrd 1.csv").write_text("x")  # would match an unescaped pattern
    listed = subprocess.run(
        ["git", "-C", str(tmp_path), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert sorted(line[3:] for line in listed.splitlines()) == ['"weXrd 1.csv"', ".gitignore"]
