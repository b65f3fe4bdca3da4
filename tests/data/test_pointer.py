"""Pointer files: a deterministic text, and one-line errors naming the file for nonsense."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from cairn.data.pointer import (
    Pointer,
    _plain_document,
    data_path_of,
    is_pointer_path,
    parse,
    pointer_path_for,
    read,
    write,
)
from cairn.errors import InvalidInput
from cairn.objects import hash_bytes

OID = hash_bytes(b"data")


def test_round_trip_and_readable_text(tmp_path):
    pointer = Pointer("train.csv", "file", OID, 1234)
    path = tmp_path / "train.csv.cairn"
    write(path, pointer)
    text = path.read_text()
    assert text.startswith("# cairn data pointer")
    assert f"hash: blake3:{OID}\n" in text and "size: 1234\n" in text and "files" not in text
    assert read(path) == pointer
    folder = Pointer("images", "dir", OID, 99, 7)
    write(path, folder)
    assert read(path) == folder and "files: 7" in path.read_text()
    assert list(tmp_path.iterdir()) == [path]  # no temporary left


@pytest.mark.parametrize("name", ["yes", "null", "123", "a: b", "- x", "ünï côdé.csv", "#x", "'q"])
def test_names_that_look_like_yaml_round_trip(tmp_path, name):
    pointer = Pointer(name, "file", OID, 1)
    write(tmp_path / "p.cairn", pointer)
    assert read(tmp_path / "p.cairn").path == name


def test_paths():
    assert pointer_path_for(__import__("pathlib").Path("/x/data")).name == "data.cairn"
    assert is_pointer_path("a/data.cairn") and not is_pointer_path(".cairn")
    assert not is_pointer_path("data.csv")
    pointer_file = __import__("pathlib").Path("/p/x.cairn")
    assert data_path_of(pointer_file, Pointer("x", "file", OID, 1)).as_posix() == "/p/x"


GOOD = f"version: 1\npath: d\nkind: file\nhash: blake3:{OID}\nsize: 3\n"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "expected 'key: value'"),
        ("just words", "expected 'key: value'"),
        ("a: [unclosed", "not YAML"),
        (GOOD.replace("version: 1", "version: 2"), "version must be 1"),
        (GOOD + "extra: 1\n", "'extra' is not a pointer field"),
        (GOOD.replace("path: d", "path: ../etc"), "path must be the name"),
        (GOOD.replace("path: d", "path: a/b"), "path must be the name"),
        (GOOD.replace("path: d", "path: x.cairn"), "must not be a pointer"),
        (GOOD.replace("kind: file", "kind: blob"), "kind must be 'file' or 'dir'"),
        (GOOD.replace(f"blake3:{OID}", OID), "hash is not"),
        (GOOD.replace(f"blake3:{OID}", "md5:" + "0" * 32), "must be a blake3 digest"),
        (GOOD.replace(f"blake3:{OID}", f"blake3:{OID[:-1]}"), "hash is not"),
        (GOOD.replace("size: 3", "size: -1"), "size must be"),
        (GOOD.replace("size: 3", "size: lots"), "size must be"),
        (GOOD.replace("kind: file", "kind: dir"), "files must be"),
        (GOOD + "files: 3\n", "files belongs only"),
    ],
)
def test_nonsense_gives_one_line_naming_the_file(text, complaint):
    with pytest.raises(InvalidInput, match=complaint) as caught:
        parse(text, "data/d.cairn")
    message = str(caught.value)
    assert message.startswith("data/d.cairn") and "\n" not in message
    assert "cairn data add" in message or "does not exist" in message


def test_binary_garbage_and_huge_files(tmp_path):
    path = tmp_path / "x.cairn"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InvalidInput, match="x.cairn"):
        read(path)
    path.write_bytes(b"# " + b"x" * (70 << 10))
    with pytest.raises(InvalidInput, match="bytes long"):
        read(path)
    with pytest.raises(InvalidInput, match="does not exist"):
        read(tmp_path / "absent.cairn")


_LINE_KEYS = st.sampled_from(["version", "path", "kind", "hash", "size", "files", "x"])
_LINE_VALUES = st.one_of(
    st.from_regex(r"[A-Za-z0-9_.\-]{1,12}", fullmatch=True),
    st.sampled_from(["yes", "No", "ON", "null", "0", "010", "1.5", ".inf", "1e5", f"blake3:{OID}"]),
    st.integers(0, 10**20).map(str),
)


@given(st.lists(st.tuples(_LINE_KEYS, _LINE_VALUES), max_size=7), st.booleans())
def test_the_fast_reader_agrees_with_yaml(lines, comment):
    """Pointers are read without YAML when their lines are plain; what that reader accepts
    must mean exactly what YAML says it means."""
    text = ("# a comment\n" if comment else "") + "".join(f"{k}: {v}\n" for k, v in lines)
    fast = _plain_document(text)
    if fast is not None:
        assert fast == yaml.safe_load(text)


def test_plain_names_are_written_as_yaml_would_write_them():
    """Names written without loading YAML are exactly what YAML writes (and reads back)."""
    import random
    import string

    import yaml

    from cairn.data.pointer import _scalar

    rng = random.Random(3)
    alphabet = string.ascii_letters + string.digits + "_.-"
    names = ["many", "table.csv", "yes", "No", "TRUE", "null", "Off", "y", "e1", "x.", "_"]
    names += [
        rng.choice(string.ascii_letters + "_") + "".join(rng.choices(alphabet, k=rng.randrange(8)))
        for _ in range(3000)
    ]
    for name in names:
        dumped = yaml.safe_dump(name, default_flow_style=True, allow_unicode=True, width=1 << 16)
        assert _scalar(name) == dumped.removesuffix("\n...\n").removesuffix("\n"), name
