"""The artifact store on a local folder and on S3 (moto's server), with path validation."""

from __future__ import annotations

import os

import pytest

from cairn.artifacts import ArtifactStore, clean_artifact_path
from cairn.errors import InvalidPath, NotFound


@pytest.mark.parametrize(
    "bad", ["/etc/passwd", "../up", "a/../../b", "C:\\win", "a/\x00b", "..\\x"]
)
def test_paths_that_climb_are_refused(bad):
    with pytest.raises(InvalidPath):
        clean_artifact_path(bad)


def test_paths_are_normalised():
    assert clean_artifact_path("a//b/./c") == "a/b/c"
    assert clean_artifact_path("a\\b") == "a/b"
    assert clean_artifact_path(None) == ""


def _exercise(store: ArtifactStore, tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("A")
    (src / "sub" / "b.bin").write_bytes(os.urandom(1000))
    assert store.log_file(src / "a.txt") == "a.txt"
    assert store.log_dir(src, "dir") == ["dir/a.txt", "dir/sub/b.bin"]
    assert store.log_bytes(b"{}", "cfg/c.json") == "cfg/c.json"
    top = store.list()
    assert [(f.path, f.is_dir) for f in top] == [
        ("a.txt", False),
        ("cfg", True),
        ("dir", True),
    ]
    assert top[0].file_size == 1
    assert [f.path for f in store.walk("dir")] == ["dir/a.txt", "dir/sub/b.bin"]
    assert store.read_bytes("cfg/c.json") == b"{}"
    out = store.download("dir", tmp_path / "out")
    assert (out / "sub" / "b.bin").read_bytes() == (src / "sub" / "b.bin").read_bytes()
    single = store.download("a.txt", tmp_path / "one")
    assert single.read_text() == "A"
    with pytest.raises(NotFound):
        store.read_bytes("missing.txt")
    with pytest.raises(NotFound):
        store.download("missing", tmp_path / "none")
    with pytest.raises(InvalidPath):
        store.log_bytes(b"x", "../escape.txt")
    with pytest.raises(NotFound, match="no such file"):
        store.log_file(tmp_path / "nope.txt")
    store.delete_all()
    assert store.list() == []


def test_local_folder(tmp_path):
    _exercise(ArtifactStore(str(tmp_path / "root")), tmp_path)


def test_local_symlink_escape_is_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "link").symlink_to(outside)
    store = ArtifactStore(str(root))
    with pytest.raises(InvalidPath, match="outside"):
        store.log_bytes(b"x", "link/evil.txt")
    assert not (outside / "evil.txt").exists()
    src = tmp_path / "src"
    src.mkdir()
    (src / "leak").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "secret.txt").write_text("s")
    with pytest.raises(InvalidPath, match="outside"):
        store.log_dir(src)


@pytest.mark.s3
def test_s3_through_moto(s3_server, tmp_path):
    s3_server.create_bucket("artifacts")
    store = ArtifactStore("s3://artifacts/exp/1", **s3_server.storage_options)
    _exercise(store, tmp_path)


@pytest.mark.s3
def test_experiment_with_an_s3_artifact_location(s3_server, tmp_path, monkeypatch):
    from cairn.tracking.client import CairnClient, close_shared_stores

    s3_server.create_bucket("team")
    monkeypatch.setenv("CAIRN_S3_ENDPOINT_URL", s3_server.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = CairnClient(f"sqlite:///{tmp_path / 'cairn.db'}")
    try:
        exp_id = client.create_experiment("remote", artifact_location="s3://team/remote")
        run_id = client.create_run(exp_id).info.run_id
        assert client.get_run(run_id).info.artifact_uri == f"s3://team/remote/{run_id}/artifacts"
        client.log_text(run_id, "hello", "notes/hello.txt")
        assert [f.path for f in client.list_artifacts(run_id)] == ["notes"]
        local = client.download_artifacts(run_id, "notes", tmp_path / "dl")
        assert (tmp_path / "dl" / "notes" / "hello.txt").read_text() == "hello"
        assert local.endswith("notes")
    finally:
        close_shared_stores()
