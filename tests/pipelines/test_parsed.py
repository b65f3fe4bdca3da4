"""The parsed-document cache of the pipeline's YAML files: used while a file is unchanged,
never after an edit, and what a writer remembers equals what parsing its file gives."""

from __future__ import annotations

import marshal
import os
from pathlib import Path

import pytest
import yaml

from cairn.pipelines import parsed
from cairn.pipelines.fingerprint import PathHash
from cairn.pipelines.lockfile import LockEntry, parse_lock, read_lock, write_lock

OID = "ab" * 32


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".cairn").mkdir()
    return tmp_path


def _counting_parse(calls: list[str]):
    def parse(text: str):
        calls.append(text)
        return yaml.safe_load(text)

    return parse


def test_an_unchanged_file_is_parsed_once(project: Path) -> None:
    path = project / "params.yaml"
    path.write_text("train:\n  lr: 0.1\n")
    calls: list[str] = []
    first = parsed.read_document(path, _counting_parse(calls))
    again = parsed.read_document(path, _counting_parse(calls))
    assert first == again == {"train": {"lr": 0.1}} and len(calls) == 1
    assert (project / ".cairn" / "parsed" / "params.yaml.marshal").is_file()


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(project: Path) -> None:
    path = project / "params.yaml"
    path.write_text("lr: 0.1\n")
    calls: list[str] = []
    parsed.read_document(path, _counting_parse(calls))
    st = path.stat()
    path.write_text("lr: 0.2\n")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime: ctime still moves
    assert parsed.read_document(path, _counting_parse(calls)) == {"lr": 0.2}
    assert len(calls) == 2


def test_no_cache_outside_a_project_and_for_documents_marshal_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("a: 1\n")
    calls: list[str] = []
    parsed.read_document(path, _counting_parse(calls))
    parsed.read_document(path, _counting_parse(calls))
    assert len(calls) == 2 and not (tmp_path / ".cairn").exists()
    (tmp_path / ".cairn").mkdir()
    path.write_text("when: 2024-01-01\n")  # a date: marshal cannot write it
    parsed.read_document(path, _counting_parse(calls))
    assert parsed.read_document(path, _counting_parse(calls)) == yaml.safe_load("when: 2024-01-01")
    assert len(calls) == 4


def test_a_damaged_cache_file_is_parsed_again(project: Path) -> None:
    path = project / "cairn.yaml"
    path.write_text("stages: {}\n")
    parsed.read_document(path, yaml.safe_load)
    (project / ".cairn" / "parsed" / "cairn.yaml.marshal").write_bytes(b"\x00garbage")
    assert parsed.read_document(path, yaml.safe_load) == {"stages": {}}


@pytest.mark.parametrize(
    "params",
    [
        {"train.lr": 0.1, "train": {"depth": 3, "layers": [1, 2]}},
        {"flag": "yes", "number_text": "1.0", "none": None, "big": 10**20, "neg": -0.0},
        {"unicode": "ünï", "empty": "", "tricky": "a: b # c", "inf": float("inf")},
    ],
)
def test_the_lock_a_run_remembers_is_what_parsing_it_gives(project: Path, params) -> None:
    entries = {
        "train": LockEntry(
            "python train.py", "cd" * 32, {"a.csv": PathHash(OID, 3)}, params,
            {"models": PathHash(OID, 99, "dir", 2)}, {"m.json": PathHash(OID, 20)},
        )
    }  # fmt: skip
    write_lock(project, entries, ["train"])
    text = (project / "cairn.lock").read_text()
    _, remembered = marshal.loads(
        (project / ".cairn" / "parsed" / "cairn.lock.marshal").read_bytes()
    )
    assert remembered == yaml.safe_load(text)
    assert read_lock(project) == parse_lock(text, "cairn.lock") == entries
