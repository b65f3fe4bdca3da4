"""End-to-end tests of `cairn experiments ...` and of the root command's error handling."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cairn.tracking.client import CairnClient
from cli_support import CAIRN, cairn


def snapshot(client: CairnClient) -> tuple[object, ...]:
    """Everything a failed command must leave alone: experiments and the audit chain head."""
    exps = client.search_experiments("all", 1000).items
    return tuple(exps), client.store.audit.head()


def test_list_renders_a_table_with_names(client: CairnClient) -> None:
    client.create_experiment("bert-base", tags={"team": "nlp"})
    result = cairn("experiments", "list")
    assert result.exit_code == 0, result.output
    assert "bert-base" in result.stdout and "Default" in result.stdout
    assert "artifact location" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes


def test_list_json_has_the_fields(client: CairnClient) -> None:
    exp_id = client.create_experiment("bert-base", tags={"team": "nlp"})
    rows = json.loads(cairn("experiments", "list", "--json").stdout)
    row = next(r for r in rows if r["experiment_id"] == exp_id)
    assert row["name"] == "bert-base" and row["lifecycle_stage"] == "active"
    assert row["tags"] == {"team": "nlp"}
    assert isinstance(row["creation_time"], int)
    assert row["creation_time_iso"].startswith("20") and row["creation_time_iso"].endswith("+00:00")


def test_views_and_filter(client: CairnClient) -> None:
    client.create_experiment("keep")
    gone = client.create_experiment("gone")
    client.delete_experiment(gone)

    def names(*a):
        return {r["name"] for r in json.loads(cairn("experiments", "list", "--json", *a).stdout)}

    assert names() == {"Default", "keep"}
    assert names("--view", "deleted") == {"gone"}
    assert names("--view", "all") == {"Default", "keep", "gone"}
    assert names("--filter", "name LIKE 'k%'") == {"keep"}
    assert len(json.loads(cairn("experiments", "list", "--json", "--max-results", "1").stdout)) == 1


def test_invalid_filter_points_at_the_token(client: CairnClient) -> None:
    before = snapshot(client)
    result = cairn("experiments", "list", "--filter", "name = 'a' AND nme = 'b'")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: ") and "nme" in lines[0]
    text_line, caret_line = lines[-2], lines[-1]
    assert caret_line.strip() == "^"
    assert text_line[caret_line.index("^") :].startswith("nme")
    assert snapshot(client) == before


def test_create_with_tags_and_location(client: CairnClient, tmp_path: Path) -> None:
    location = str(tmp_path / "elsewhere")
    result = cairn("experiments", "create", "vision", "--tag", "team=cv", "--tag", "x=a=b",
                   "--artifact-location", location)  # fmt: skip
    assert result.exit_code == 0, result.output
    exp = client.get_experiment_by_name("vision")
    assert f"id {exp.experiment_id}" in result.stdout
    assert exp.tags == {"team": "cv", "x": "a=b"}
    assert exp.artifact_location == location


def test_bad_tag_is_a_usage_error(client: CairnClient) -> None:
    before = snapshot(client)
    result = cairn("experiments", "create", "vision", "--tag", "oops")
    assert result.exit_code == 2
    assert "'oops' is not KEY=VALUE" in result.stderr
    assert snapshot(client) == before


def test_create_taken_name_fails(client: CairnClient) -> None:
    client.create_experiment("vision")
    before = snapshot(client)
    result = cairn("experiments", "create", "vision")
    assert result.exit_code == 1
    assert "Error: an experiment named 'vision' exists already" in result.stderr
    assert snapshot(client) == before


def test_rename_by_name_and_id(client: CairnClient) -> None:
    exp_id = client.create_experiment("old")
    assert cairn("experiments", "rename", "old", "new").exit_code == 0
    assert client.get_experiment(exp_id).name == "new"
    assert cairn("experiments", "rename", exp_id, "newer").exit_code == 0
    assert client.get_experiment(exp_id).name == "newer"


def test_rename_to_a_taken_name_changes_nothing(client: CairnClient) -> None:
    client.create_experiment("a")
    client.create_experiment("b")
    before = snapshot(client)
    result = cairn("experiments", "rename", "a", "b")
    assert result.exit_code == 1
    assert "'b' exists already" in result.stderr
    assert snapshot(client) == before


def test_unknown_experiment_suggests_close_names(client: CairnClient) -> None:
    client.create_experiment("bert-base")
    before = snapshot(client)
    result = cairn("experiments", "delete", "bert-bsae")
    assert result.exit_code == 1
    assert "no experiment is named 'bert-bsae'" in result.stderr
    assert "Did you mean 'bert-base'?" in result.stderr
    assert cairn("experiments", "restore", "999").exit_code == 1
    assert snapshot(client) == before


def test_delete_and_restore(client: CairnClient) -> None:
    exp_id = client.create_experiment("temp")
    assert cairn("experiments", "delete", "temp").exit_code == 0
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    before = snapshot(client)
    again = cairn("experiments", "delete", "temp")
    assert again.exit_code == 1 and "already deleted" in again.stderr
    assert snapshot(client) == before
    assert cairn("experiments", "restore", exp_id).exit_code == 0
    assert client.get_experiment(exp_id).lifecycle_stage == "active"


def test_debug_shows_the_traceback(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = cairn("experiments", "delete", "nope")
    assert "Traceback" not in plain.stderr
    debug = cairn("--debug", "experiments", "delete", "nope")
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr and "NotFound" in debug.stderr
    monkeypatch.setenv("CAIRN_DEBUG", "1")
    assert "Traceback" in cairn("experiments", "delete", "nope").stderr


def test_help_version_and_unknown_command(project: Path) -> None:
    assert "experiments" in cairn("--help").stdout
    assert "0." in cairn("--version").stdout
    result = cairn("experimnts", "list")
    assert result.exit_code == 2
    assert "Did you mean 'experiments'?" in result.stderr
    assert cairn("experiments", "list", "--view", "sideways").exit_code == 2
    sub = cairn("experiments", "lst")
    assert sub.exit_code == 2 and "Did you mean 'list'?" in sub.stderr


def test_tracking_uri_option_wins(project: Path, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path}/other/cairn.db"
    assert cairn("--tracking-uri", other, "experiments", "create", "only-there").exit_code == 0
    assert "only-there" not in cairn("experiments", "list").stdout
    assert "only-there" in cairn("--tracking-uri", other, "experiments", "list").stdout


def test_real_process(client: CairnClient) -> None:
    client.create_experiment("from-a-process")
    ok = subprocess.run([CAIRN, "experiments", "list", "--json"], capture_output=True, text=True,
                        check=False, timeout=60)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "from-a-process" in {r["name"] for r in json.loads(ok.stdout)}
    bad = subprocess.run([CAIRN, "experiments", "rename", "nope", "x"], capture_output=True,
                         text=True, check=False, timeout=60)  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr.startswith("Error: no experiment is named 'nope'")
    assert bad.stdout == ""
