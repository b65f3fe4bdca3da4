"""Third parties add stores and artifact backends through entry points, without touching cairn."""

from __future__ import annotations

import importlib
import sys
import textwrap

import pytest

from cairn.errors import ConfigError
from cairn.store import open_store, store_schemes


@pytest.fixture
def plugin_package(tmp_path, monkeypatch):
    """An installed-looking distribution that registers a 'memo' store and artifact backend."""
    (tmp_path / "cairn_memo.py").write_text(
        textwrap.dedent(
            """
            from cairn.artifacts.store import ArtifactStore
            from cairn.store.sql import SqlStore

            class MemoStore(SqlStore):
                def __init__(self, uri, artifact_root=None):
                    super().__init__("sqlite:///" + uri.split("://", 1)[1], artifact_root)
                    self.plugin = "memo"

            class MemoArtifacts(ArtifactStore):
                def __init__(self, root_uri, **options):
                    super().__init__("memory://" + root_uri.split("://", 1)[1], **options)
            """
        )
    )
    dist = tmp_path / "cairn_memo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: cairn-memo\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[cairn.stores]\nmemo = cairn_memo:MemoStore\n\n"
        "[cairn.artifact_backends]\nmemo = cairn_memo:MemoArtifacts\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    sys.modules.pop("cairn_memo", None)


def test_a_store_plugin_is_found_by_scheme(plugin_package, tmp_path):
    assert store_schemes()["memo"] == "cairn_memo:MemoStore"
    store = open_store(f"memo://{tmp_path / 'memo.db'}")
    try:
        assert store.plugin == "memo"
        assert store.experiments.get_experiment("0").name == "Default"
    finally:
        store.close()


def test_an_artifact_backend_plugin_is_found_by_scheme(plugin_package):
    from cairn.artifacts import open_artifact_store

    store = open_artifact_store("memo://bucket/run")
    store.log_bytes(b"hi", "a.txt")
    assert type(store).__name__ == "MemoArtifacts"
    assert store.read_bytes("a.txt") == b"hi"


def test_an_unknown_scheme_names_the_known_ones():
    with pytest.raises(ConfigError, match="sqlite") as info:
        open_store("sqlit:///x.db")
    assert "Did you mean 'sqlite'" in str(info.value)
    with pytest.raises(ConfigError, match="no scheme"):
        open_store("just-a-name")
