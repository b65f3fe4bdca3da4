"""The run overview's facts, sorted out of a run's tags (pure)."""

from __future__ import annotations

import pytest

from cairn.entities import Run, RunData, RunInfo
from cairn.ui import run_facts
from cairn.ui.run_facts import commit_url, description, overview, user_tags

RUN_ID = "0123456789abcdef0123456789abcdef"


def make_run(tags):
    info = RunInfo(RUN_ID, "1", "r", "sys-user", "FINISHED", 0, 10, "/tmp/a")
    return Run(info, RunData(tags=tags))


def facts_of(view):
    return {s.title: {f.label: f for f in s.facts} for s in view.sections}


def test_context_tags_become_sections_and_nothing_is_lost():
    tags = {
        "cairn.source.type": "SCRIPT",
        "cairn.source.name": "train.py",
        "cairn.source.git.commit": "abc123",
        "cairn.source.git.remote": "https://github.com/acme/churn.git",
        "cairn.source.git.dirty": "true",
        "cairn.source.git.diff_hash": "blake3:ff",
        "cairn.python.version": "3.12.1",
        "cairn.python.implementation": "CPython",
        "cairn.environment.hash": "blake3:0123456789abcdef0123",
        "cairn.hardware.cores": "8",
        "cairn.hardware.gpu.memory_gb": "40.0",
        "cairn.hardware.env.CUDA_VISIBLE_DEVICES": "0",
        "cairn.seed.python": "7",
        "cairn.host": "box",
        "cairn.user": "ann",
        "cairn.note.content": "hello",
        "cairn.parentRunId": "f" * 32,
        "cairn.something.new": "kept",
        "mlflow.log-model.history": "[]",
        "team": "core",
    }
    view = overview(make_run(tags))
    facts = facts_of(view)
    assert (view.user, view.host) == ("ann", "box")
    assert facts["Source"]["Commit"].href == "https://github.com/acme/churn/commit/abc123"
    diff = facts["Source"]["Uncommitted changes"]
    assert diff.href == f"/runs/{RUN_ID}/artifacts?path=source/uncommitted.diff"
    assert facts["Environment"]["Python"].value == "CPython 3.12.1"
    packages = facts["Environment"]["Packages"]
    assert packages.href == f"/runs/{RUN_ID}/artifacts?path=environment/requirements.txt"
    assert facts["Hardware"]["Cores"].value == "8 logical"
    assert facts["Hardware"]["GPU memory"].value == "40.0 GB"
    assert facts["Hardware"]["CUDA_VISIBLE_DEVICES"].value == "0"
    assert facts["Seeds"]["python"].value == "7"
    assert view.other_tags == {
        "cairn.something.new": "kept",
        "mlflow.log-model.history": "[]",
    }
    assert user_tags(make_run(tags)) == {"team": "core"}


def test_a_clean_tree_and_a_run_without_context():
    clean = facts_of(overview(make_run({"cairn.source.git.dirty": "false"})))
    assert clean["Source"]["Uncommitted changes"].value == "none"
    assert clean["Source"]["Uncommitted changes"].href is None
    bare = overview(make_run({}))
    assert bare.sections == [] and bare.user == "sys-user" and bare.host is None


def test_the_description_prefers_cairns_tag_over_mlflows():
    assert description(make_run({})) == ("", [])
    legacy = make_run({"mlflow.note.content": "old"})
    assert description(legacy) == ("old", ["mlflow.note.content"])
    both = make_run({"mlflow.note.content": "old", "cairn.note.content": "new"})
    assert description(both) == ("new", ["cairn.note.content", "mlflow.note.content"])
    assert "mlflow.note.content" not in overview(both).other_tags


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("https://github.com/a/b.git", "https://github.com/a/b/commit/C"),
        ("git@github.com:a/b.git", "https://github.com/a/b/commit/C"),
        ("ssh://git@gitlab.example.com/team/b.git", "https://gitlab.example.com/team/b/commit/C"),
        ("https://bitbucket.org/a/b", "https://bitbucket.org/a/b/commits/C"),
        ("https://git.internal/a/b.git", None),
        ("/srv/repos/b.git", None),
        ("javascript:alert(1)", None),
        (None, None),
    ],
)
def test_commit_links_only_for_known_web_hosts(remote, expected):
    assert commit_url(remote, "C") == expected
    assert commit_url(remote, None) is None


def test_system_tags_are_cairns_and_mlflows():
    assert run_facts.is_system_tag("cairn.user") and run_facts.is_system_tag("mlflow.user")
    assert not run_facts.is_system_tag("team")
