"""Which run of a re-run stands where the original stood (pure logic over Run values)."""

from __future__ import annotations

import pytest

from cairn.entities import PARENT_TAG, Run, RunData, RunInfo
from cairn.errors import InvalidInput
from cairn.projects.reproduce_match import match_reproduction


def _run(run_id: str, name: str, start: int, parent: str | None = None) -> Run:
    info = RunInfo(run_id, "0", name, "u", "FINISHED", start, start + 1, "file:///a")
    tags = {PARENT_TAG: parent} if parent else {}
    return Run(info, RunData(tags=tags))


def _sweep(prefix: str) -> list[Run]:
    """Two top-level runs a and b, each with children named fold."""
    return [
        _run(f"{prefix}a", "a", 1),
        _run(f"{prefix}a0", "fold", 2, f"{prefix}a"),
        _run(f"{prefix}a1", "fold", 3, f"{prefix}a"),
        _run(f"{prefix}b", "b", 4),
        _run(f"{prefix}b0", "fold", 5, f"{prefix}b"),
        _run(f"{prefix}b1", "fold", 6, f"{prefix}b"),
    ]


def _no_lookup(run_id: str) -> Run:
    raise AssertionError(f"looked up {run_id}")


@pytest.mark.parametrize("original_id", ["oa", "ob", "oa1", "ob0", "ob1"])
def test_each_run_matches_its_counterpart(original_id: str) -> None:
    old, new = _sweep("o"), _sweep("n")
    original = next(r for r in old if r.info.run_id == original_id)
    matched = match_reproduction(original, old, list(reversed(new)), _no_lookup)
    assert matched.info.run_id == "n" + original_id[1:]


def test_runs_before_invocation_ids_walk_the_store_for_their_parents() -> None:
    old = {r.info.run_id: r for r in _sweep("o")}
    matched = match_reproduction(old["ob1"], [], _sweep("n"), old.__getitem__)
    assert matched.info.run_id == "nb0"  # same chain; no siblings known, so the first


def test_randomly_named_runs_match_by_rank() -> None:
    old = [_run("o1", "brave-owl", 1), _run("o2", "calm-fox", 2)]
    new = [_run("n2", "tidy-elk", 20), _run("n1", "wise-yak", 10)]
    assert match_reproduction(old[1], old, new, _no_lookup).info.run_id == "n2"


def test_a_single_run_is_the_match_whatever_its_name() -> None:
    old = [_run("o1", "brave-owl", 1)]
    assert match_reproduction(old[0], old, [_run("n1", "x", 5)], _no_lookup).info.run_id == "n1"


def test_no_run_or_no_counterpart_is_bad_input() -> None:
    old = _sweep("o")
    with pytest.raises(InvalidInput, match="made no run"):
        match_reproduction(old[0], old, [], _no_lookup)
    with pytest.raises(InvalidInput, match="none stands where"):
        match_reproduction(old[0], old, [_run("n1", "x", 1), _run("n2", "y", 2)], _no_lookup)
