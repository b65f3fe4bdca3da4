"""End-to-end tests of `cairn artifacts ...`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cairn.tracking.client import CairnClient
from cli_support import cairn


@pytest.fixture
def run_id(client: CairnClient) -> str:
    """A run with a file at the root and three in nested folders."""
    rid: str = client.create_run("0", run_name="with-files").info.run_id
    client.log_text(rid, "hello", "readme.txt")
    client.log_bytes(rid, b"\x00" * 2048, "model/weights.bin")
    client.log_text(rid, "{}", "model/config/params.json")
    client.log_text(rid, "a,b", "data/sample.csv")
    return rid


def test_list_root(run_id: str) -> None:
    result = cairn("artifacts", "list", run_id)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["path", "type", "size"]
    rows = [line.split() for line in lines[2:]]
    assert rows == [["data/", "dir", "-"], ["model/", "dir", "-"], ["readme.txt", "file", "5", "B"]]


def test_list_folder_json(run_id: str) -> None:
    result = cairn("artifacts", "list", run_id[:8], "model", "--json")
    assert json.loads(result.stdout) == [
        {"path": "model/config", "is_dir": True, "file_size": None},
        {"path": "model/weights.bin", "is_dir": False, "file_size": 2048},
    ]


def test_list_a_file(run_id: str) -> None:
    rows = json.loads(cairn("artifacts", "list", run_id, "readme.txt", "--json").stdout)
    assert rows == [{"path": "readme.txt", "is_dir": False, "file_size": 5}]


def test_list_errors(run_id: str) -> None:
    missing = cairn("artifacts", "list", run_id, "nope")
    assert missing.exit_code == 1 and f"run {run_id} has no artifact 'nope'" in missing.stderr
    climbing = cairn("artifacts", "list", run_id, "../../etc")
    assert climbing.exit_code == 1 and "'..'" in climbing.stderr
    unknown = cairn("artifacts", "list", "a" * 32)
    assert unknown.exit_code == 1 and "no run has id" in unknown.stderr


def test_download_everything(run_id: str, tmp_path: Path) -> None:
    dst = tmp_path / "out"
    result = cairn("artifacts", "download", run_id, "-o", str(dst))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(dst)
    found = sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file())
    assert found == [
        "data/sample.csv",
        "model/config/params.json",
        "model/weights.bin",
        "readme.txt",
    ]
    assert (dst / "model/weights.bin").stat().st_size == 2048


def test_download_a_folder_and_a_file(run_id: str, tmp_path: Path) -> None:
    folder = cairn("artifacts", "download", run_id, "model", "-o", str(tmp_path / "a"))
    assert folder.stdout.strip() == str(tmp_path / "a" / "model")
    assert (tmp_path / "a/model/config/params.json").read_text() == "{}"
    single = cairn(
        "artifacts", "download", run_id, "model/config/params.json", "-o", str(tmp_path / "b")
    )
    assert single.stdout.strip() == str(tmp_path / "b" / "params.json")
    assert (tmp_path / "b/params.json").is_file()


def test_download_to_a_temporary_folder(run_id: str) -> None:
    local = Path(cairn("artifacts", "download", run_id, "readme.txt").stdout.strip())
    try:
        assert local.read_text() == "hello"
    finally:
        shutil.rmtree(local.parent)


def test_download_missing_path_writes_nothing(run_id: str, tmp_path: Path) -> None:
    result = cairn("artifacts", "download", run_id, "model/nope.bin", "-o", str(tmp_path / "c"))
    assert result.exit_code == 1
    assert "has no artifact 'model/nope.bin'" in result.stderr
    assert not (tmp_path / "c").exists()


def test_unwritable_destination_is_a_clean_error(run_id: str, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = cairn("artifacts", "download", run_id, "readme.txt", "-o", str(blocker / "sub"))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
