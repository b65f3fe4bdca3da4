"""cairn.lock: written atomically and deterministically, read back, refused when damaged."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cairn.errors import InvalidInput
from cairn.pipelines.fingerprint import PathHash
from cairn.pipelines.lockfile import LockEntry, lock_text, read_lock, write_lock

OID = "ab" * 32


def entry(cmd: str = "python train.py") -> LockEntry:
    return LockEntry(
        cmd=cmd,
        fingerprint="cd" * 32,
        deps={"z.csv": PathHash(OID, 10), "a.csv": PathHash(OID, 3)},
        params={"train.lr": 0.1, "train": {"depth": 3}},
        outs={"models": PathHash(OID, 99, "dir", 2)},
        metrics={"metrics.json": PathHash(OID, 20)},
    )


def test_round_trip(tmp_path: Path) -> None:
    entries = {"train": entry(), "prepare": entry("python prepare.py")}
    write_lock(tmp_path, entries, ["prepare", "train"])
    assert read_lock(tmp_path) == entries
    assert [p.name for p in tmp_path.iterdir()] == ["cairn.lock"]  # no temporary left


def test_text_is_deterministic_and_ordered(tmp_path: Path) -> None:
    entries = {"train": entry(), "prepare": entry("python prepare.py")}
    text = lock_text(entries, ["prepare", "train", "gone"])
    assert text == lock_text(dict(reversed(entries.items())), ["prepare", "train"])
    assert text.index("prepare:") < text.index("train:")
    assert text.index("a.csv") < text.index("z.csv")
    assert "kind: dir" in text and "files: 2" in text


def test_stages_not_in_the_order_are_dropped(tmp_path: Path) -> None:
    write_lock(tmp_path, {"old": entry(), "train": entry()}, ["train"])
    assert list(read_lock(tmp_path)) == ["train"]


def test_empty_sections_are_left_out() -> None:
    text = lock_text({"s": LockEntry("echo", "ef" * 32)}, ["s"])
    assert "deps" not in text and "outs" not in text and "params" not in text


def test_missing_lock_is_empty(tmp_path: Path) -> None:
    assert read_lock(tmp_path) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stages: [", "not valid YAML"),
        ("version: 7\nstages: {}\n", "not a version 1 cairn.lock"),
        ("version: 1\nstages: {train: {deps: {}}}\n", "stage 'train' needs a 'cmd'"),
        (
            "version: 1\nstages: {train: {cmd: x, outs: {m: {hash: md5:1, size: 1}}}}\n",
            "'m' needs 'hash: blake3:...' and 'size'",
        ),
    ],
)
def test_damaged_lock_is_refused_in_one_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "cairn.lock").write_text(text)
    with pytest.raises(InvalidInput, match=expected) as info:
        read_lock(tmp_path)
    assert "\n" not in info.value.message
    assert "delete it" in info.value.message


def test_per_entry_text_matches_one_yaml_document() -> None:
    tricky = LockEntry(
        'echo "a: b"\n\nsecond line', "cd" * 32, {"a b.csv": PathHash(OID, 3)},
        {"x.y": {"nested": [1, 2]}, "s": "multi\nline"}, {"o@1": PathHash(OID, 3, "dir", 2)},
    )  # fmt: skip
    entries = {"s@x-1": tricky, "t": entry()}
    fragments: dict = {}
    text = lock_text(entries, ["s@x-1", "t"], fragments)
    whole = yaml.safe_dump(
        {"version": 1, "stages": {name: e.to_dict() for name, e in entries.items()}},
        sort_keys=False, width=1 << 16, allow_unicode=True,
    )  # fmt: skip
    assert text.split("\n", 1)[1] == whole
    assert set(fragments) == {"s@x-1", "t"}
    entries["t"] = entry("python other.py")
    assert "python other.py" in lock_text(entries, ["s@x-1", "t"], fragments)
    assert lock_text({}, []).endswith("stages: {}\n")
