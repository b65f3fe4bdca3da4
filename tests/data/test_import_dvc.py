"""``cairn data import-dvc`` against a repository made by the real ``dvc``: pointers, cache
objects and bytes equal to DVC's; md5 checked; a corrupt DVC object changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import blake3
import pytest
from tests.cli_support import cairn

DVC = str(Path(sys.executable).parent / "dvc")

pytestmark = pytest.mark.skipif(not Path(DVC).exists(), reason="dvc is a dev dependency")


def _sh(*args: str, cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def dvc_repo(cairn_project: Path) -> Path:
    root = cairn_project
    _sh("git", "init", "-q", cwd=root)
    _sh(DVC, "init", "-q", cwd=root)
    data = root / "data"
    (data / "imgs" / "nested").mkdir(parents=True)
    (data / "table.csv").write_text("a,b\r\n1,2\r\n")
    for i in range(12):
        (data / "imgs" / f"{i}.bin").write_bytes(os.urandom(100 + i))
    (data / "imgs" / "nested" / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (data / "imgs" / "nested" / "run.sh").chmod(0o755)
    _sh(DVC, "add", "-q", "data/table.csv", "data/imgs", cwd=root)
    return root


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_dvc_outputs_become_pointers_whose_checkout_gives_back_the_same_bytes(dvc_repo):
    data = dvc_repo / "data"
    table, images = (data / "table.csv").read_bytes(), _files(data / "imgs")
    result = cairn("data", "import-dvc", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["path"]: row for row in json.loads(result.output)}
    assert set(rows) == {"data/table.csv", "data/imgs"}
    assert rows["data/imgs"]["files"] == 13 and rows["data/imgs"]["kind"] == "dir"
    assert rows["data/table.csv"]["hash"] == "blake3:" + blake3.blake3(table).hexdigest()
    assert (data / "table.csv.cairn").is_file() and (data / "imgs.cairn").is_file()

    shutil.rmtree(data / "imgs")
    (data / "table.csv").unlink()
    restored = cairn("data", "checkout")
    assert restored.exit_code == 0, restored.output
    assert (data / "table.csv").read_bytes() == table
    assert _files(data / "imgs") == images
    assert os.access(data / "imgs" / "nested" / "run.sh", os.X_OK)

    again = cairn("data", "import-dvc", "--json")
    assert {row["status"] for row in json.loads(again.output)} == {"unchanged"}


def test_a_corrupt_dvc_object_is_named_and_nothing_is_written(dvc_repo):
    dvc_text = (dvc_repo / "data" / "imgs.dvc").read_text()
    one = next(
        p for p in (dvc_repo / ".dvc" / "cache" / "files" / "md5").rglob("*")
        if p.is_file() and not p.name.endswith(".dir") and p.stat().st_size > 100
    )  # fmt: skip
    one.chmod(0o644)
    raw = bytearray(one.read_bytes())
    raw[0] ^= 0xFF
    one.write_bytes(bytes(raw))

    result = cairn("data", "import-dvc")
    assert result.exit_code == 1
    assert str(one) in result.output and "corrupt" in result.output
    assert not [p for p in dvc_repo.rglob("*.cairn") if p.is_file()]
    assert (dvc_repo / "data" / "imgs.dvc").read_text() == dvc_text


def test_a_folder_without_dvc_is_refused(cairn_project):
    result = cairn("data", "import-dvc")
    assert result.exit_code == 1 and ".dvc/ not found" in result.output
