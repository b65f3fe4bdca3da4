"""Data remotes in .cairn/config.toml: add, list, default, remove; bad input changes nothing."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest

from cairn.data.remote_layout import RemoteStorage, check_url
from cairn.data.remotes import (
    add_remote,
    config_path,
    default_remote,
    get_remote,
    list_remotes,
    open_remote,
    remove_remote,
    set_default,
)
from cairn.errors import AlreadyExists, ConfigError, InvalidInput, NotFound

EXISTING = """\
# settings of this project (keep this comment)
tracking_uri = "sqlite:///.cairn/cairn.db"  # and this one

[data]
link = "reflink,copy"

[pipelines]
jobs = 3
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".cairn").mkdir()
    config_path(tmp_path).write_text(EXISTING)
    return tmp_path


def test_add_keeps_the_rest_of_the_file_comments_included(root):
    add_remote(root, "origin", "s3://bucket/project", default=True)
    text = config_path(root).read_text()
    assert "# settings of this project (keep this comment)" in text
    assert "# and this one" in text
    parsed = tomllib.loads(text)
    assert parsed["tracking_uri"] == "sqlite:///.cairn/cairn.db"
    assert parsed["pipelines"] == {"jobs": 3}
    assert parsed["data"]["link"] == "reflink,copy"
    assert parsed["data"]["remotes"] == {"origin": {"url": "s3://bucket/project"}}
    assert parsed["data"]["default_remote"] == "origin"


def test_list_default_and_remove(root):
    add_remote(root, "origin", "../storage")
    add_remote(root, "backup", "/mnt/backup", default=True)
    assert [(r.name, r.url, r.default) for r in list_remotes(root)] == [
        ("backup", "/mnt/backup", True),
        ("origin", "../storage", False),
    ]
    set_default(root, "origin")
    assert default_remote(root) == "origin"
    assert get_remote(root).name == "origin"
    remove_remote(root, "origin")
    assert default_remote(root) is None
    assert [r.name for r in list_remotes(root)] == ["backup"]
    assert "link" in config_path(root).read_text()


def test_a_config_file_is_created_when_missing(tmp_path):
    add_remote(tmp_path, "origin", "remote-folder", default=True)
    assert tomllib.loads(config_path(tmp_path).read_text()) == {
        "data": {"remotes": {"origin": {"url": "remote-folder"}}, "default_remote": "origin"}
    }


def test_relative_folders_resolve_against_the_project_root(root):
    add_remote(root, "origin", "../storage", default=True)
    storage = open_remote(root)
    assert storage.local
    assert storage.url == str((root / "../storage").resolve())


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda r: add_remote(r, "bad name", "/x"), InvalidInput, "remote name 'bad name'"),
        (lambda r: add_remote(r, "-r", "/x"), InvalidInput, "not allowed"),
        (lambda r: add_remote(r, "x", "nosuch://bucket/p"), ConfigError, "unknown scheme 'nosuch'"),
        (lambda r: add_remote(r, "x", ""), ConfigError, "must not be empty"),
        (lambda r: remove_remote(r, "nope"), NotFound, "no data remote named 'nope'"),
        (lambda r: set_default(r, "nope"), NotFound, "cairn data remote add"),
        (lambda r: get_remote(r), ConfigError, "no data remote is configured"),
    ],
)
def test_bad_input_is_one_line_and_leaves_the_file_alone(root, call, error, words):
    with pytest.raises(error, match=words) as caught:
        call(root)
    assert "\n" not in caught.value.message
    assert config_path(root).read_text() == EXISTING


def test_an_existing_name_needs_force(root):
    add_remote(root, "origin", "/one")
    before = config_path(root).read_text()
    with pytest.raises(AlreadyExists, match="--force"):
        add_remote(root, "origin", "/two")
    assert config_path(root).read_text() == before
    add_remote(root, "origin", "/two", force=True)
    assert get_remote(root, "origin").url == "/two"


def test_a_misspelt_name_gets_a_suggestion(root):
    add_remote(root, "origin", "/one")
    with pytest.raises(NotFound, match="Did you mean 'origin'"):
        get_remote(root, "orign")


def test_no_default_among_several_names_them(root):
    add_remote(root, "a", "/one")
    add_remote(root, "b", "/two")
    with pytest.raises(ConfigError, match=r"pass -r NAME \(one of a, b\)"):
        get_remote(root)


def test_broken_toml_is_reported_not_overwritten(root):
    config_path(root).write_text("[data\nbroken")
    with pytest.raises(ConfigError, match="not valid TOML"):
        add_remote(root, "origin", "/x")
    assert config_path(root).read_text() == "[data\nbroken"


def test_a_remote_without_url_is_reported(root):
    config_path(root).write_text('[data.remotes.origin]\nurl = ""\n')
    with pytest.raises(ConfigError, match="remote 'origin' .* has no url"):
        list_remotes(root)


def test_missing_backend_packages_get_install_advice(root):
    if importlib.util.find_spec("gcsfs") is not None:
        pytest.skip("gcsfs is installed here")
    assert check_url("gs://bucket/p") == "pip install 'cairn[gcs]'"
    _, note = add_remote(root, "gcs", "gs://bucket/p")
    assert "cairn[gcs]" in note
    with pytest.raises(ConfigError, match=r"needs the gs:// backend: pip install 'cairn\[gcs\]'"):
        RemoteStorage.open("gcs", "gs://bucket/p", root)


def test_concurrent_remote_adds_from_the_cli_keep_every_remote(tmp_path):
    import subprocess
    import sys

    cairn = str(Path(sys.executable).parent / "cairn")
    (tmp_path / ".cairn").mkdir()
    adds = [
        subprocess.Popen(
            [cairn, "data", "remote", "add", f"r{i}", f"/tmp/remote-{i}"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(6)
    ]
    assert [p.wait(timeout=60) for p in adds] == [0] * 6
    remotes = tomllib.loads((tmp_path / ".cairn" / "config.toml").read_text())["data"]["remotes"]
    assert sorted(remotes) == [f"r{i}" for i in range(6)]
