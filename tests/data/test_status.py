"""`cairn data status`: every kind of difference, the fast path, JSON and exit codes."""

from __future__ import annotations

import json
import os
import shutil

from data_helpers import age, data_cli, make_folder

from cairn.data.add import add
from cairn.data.pointer import read
from cairn.data.status import status


def _tracked(repo, ws):
    (repo / "model.bin").write_bytes(b"weights")
    make_folder(repo / "data")
    age(repo / "data")
    age(repo / "model.bin")
    add(ws, ["model.bin", "data"])


def test_clean_after_add(repo, ws):
    _tracked(repo, ws)
    report = status(ws)
    assert report.clean and [d.path for d in report.datasets] == ["data", "model.bin"]


def test_modified_added_deleted_inside_a_folder(repo, ws):
    _tracked(repo, ws)
    (repo / "data" / "a" / "f002.bin").write_bytes(b"edited")
    (repo / "data" / "b" / "new.bin").write_bytes(b"new")
    (repo / "data" / "b" / "f001.bin").unlink()
    entry = status(ws, ["data"]).datasets[0]
    assert entry.state == "modified" and not entry.clean
    assert (entry.added, entry.modified, entry.deleted) == (
        ["b/new.bin"],
        ["a/f002.bin"],
        ["b/f001.bin"],
    )


def test_a_same_size_rewrite_is_seen(repo, ws):
    _tracked(repo, ws)
    assert status(ws).clean  # records the folder as matching
    path = repo / "data" / "a" / "f004.bin"
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    assert status(ws, ["data"]).datasets[0].modified == ["a/f004.bin"]


def test_executable_bit_change_is_a_modification(repo, ws):
    _tracked(repo, ws)
    os.chmod(repo / "data" / "a" / "f002.bin", 0o755)
    assert status(ws, ["data"]).datasets[0].modified == ["a/f002.bin"]


def test_missing_data_and_objects_not_in_cache(repo, ws):
    _tracked(repo, ws)
    shutil.rmtree(repo / "data")
    (repo / "model.bin").unlink()
    ws.cache.remove(read(repo / "model.bin.cairn").oid)
    report = status(ws)
    by_path = {d.path: d for d in report.datasets}
    assert by_path["data"].state == "missing" and by_path["data"].not_in_cache == 0
    assert by_path["model.bin"].state == "missing" and by_path["model.bin"].not_in_cache == 1


def test_a_missing_manifest_is_reported(repo, ws):
    _tracked(repo, ws)
    ws.cache.remove(read(repo / "data.cairn").oid)
    ws.state.forget_folders()
    entry = status(ws, ["data"]).datasets[0]
    assert entry.state == "unknown" and entry.manifest_missing and not entry.clean


def test_a_file_replaced_by_a_folder(repo, ws):
    _tracked(repo, ws)
    (repo / "model.bin").unlink()
    (repo / "model.bin").mkdir()
    assert status(ws, ["model.bin"]).datasets[0].state == "modified"


def test_cli_status_text_json_and_exit_code(repo, ws):
    _tracked(repo, ws)
    clean = data_cli("status")
    assert clean.exit_code == 0 and "in sync (2 tracked paths)" in clean.stdout
    assert data_cli("status", "--exit-code").exit_code == 0
    (repo / "data" / "a" / "f002.bin").write_bytes(b"edited")
    dirty = data_cli("status")
    assert dirty.exit_code == 0
    assert "data: modified" in dirty.stdout and "modified: data/a/f002.bin" in dirty.stdout
    assert data_cli("status", "--exit-code").exit_code == 1
    found = json.loads(data_cli("status", "--json", "data").stdout)
    assert found["clean"] is False and found["datasets"][0]["modified"] == ["a/f002.bin"]


def test_cli_status_of_an_untracked_path_and_a_broken_pointer(repo, ws):
    _tracked(repo, ws)
    result = data_cli("status", "nothing-here")
    assert result.exit_code == 1 and "no data is tracked at nothing-here" in result.stderr
    (repo / "data.cairn").write_text("version: 1\npath: data\nkind: folder\n")
    broken = data_cli("status")
    assert broken.exit_code == 1
    assert broken.stderr.startswith("Error: data.cairn: kind must be 'file' or 'dir'")
    assert len(broken.stderr.strip().splitlines()) == 1


def test_no_data_tracked_yet(repo):
    result = data_cli("status")
    assert result.exit_code == 0 and "No data is tracked yet" in result.stdout


def test_status_after_add_needs_no_per_file_work(repo, ws):
    """add records the folder's fingerprint, so the next status only lists the folder."""
    from cairn.data.walk import scan_folder

    _tracked(repo, ws)
    recorded = ws.state.folder_match("data")
    assert recorded == (scan_folder(repo / "data").fingerprint(), read(repo / "data.cairn").oid)
    held = [found.signature for found in scan_folder(repo / "data").files.values()]  # more refs
    assert scan_folder(repo / "data").fingerprint() == recorded[0] and held
