"""Parsing --set specs and building the combinations of a sweep (pure logic)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.errors import InvalidInput
from cairn.pipelines.sweep_grid import grid, parse_set, parse_sets, sample
from cairn.pipelines.sweep_search import FixedSearch, OptunaSearch


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("train.lr=0.1,0.01", (0.1, 0.01)),
        ("lr=1e-4, 1e-3", (0.0001, 0.001)),
        ("opt=choice(adam,sgd)", ("adam", "sgd")),
        ("flag=true,false", (True, False)),
        ("depth=range(2,5)", (2, 3, 4)),
        ("depth=range(10,0,-4)", (10, 6, 2)),
        ("a.b-c.d_e=3", (3,)),
        ("n=1,1,2", (1, 2)),
    ],
)
def test_discrete_specs(text: str, values: tuple) -> None:
    space = parse_set(text)
    assert space.values == values and space.discrete


def test_continuous_specs() -> None:
    space = parse_set("lr=loguniform(1e-4,1e-1)")
    assert (space.kind, space.low, space.high) == ("loguniform", 1e-4, 1e-1)
    assert not space.discrete
    assert parse_set("p=uniform(0, 1)").kind == "uniform"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train.lr", "expected KEY=VALUES"),
        ("=1,2", "expected KEY=VALUES"),
        ("1abc=2", "is not a param key"),
        ("lr=", "no values"),
        ("lr=0.1,,0.2", "an empty value"),
        ("d=range(1)", "takes 2 or 3 numbers"),
        ("d=range(1,2,3,4)", "takes 2 or 3 numbers"),
        ("d=range(1.5,3)", "takes integers"),
        ("d=range(a,3)", "'a' is not a number"),
        ("d=range(1,5,0)", "must not be zero"),
        ("d=range(5,1)", "is empty"),
        ("lr=uniform(1,1)", "needs a < b"),
        ("lr=loguniform(0,1)", "needs 0 < a"),
        ("lr=normal(0,1)", "unknown function 'normal'"),
        ("lr=[1,2]", "is not a single value"),
    ],
)
def test_bad_specs_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        parse_set(text)
    assert "\n" not in str(info.value)


def test_a_key_given_twice_and_no_set_are_errors() -> None:
    with pytest.raises(InvalidInput, match="given twice"):
        parse_sets(["a=1", "a=2"])
    with pytest.raises(InvalidInput, match="at least one --set"):
        parse_sets([])


def test_grid_is_the_cartesian_product() -> None:
    combos = grid(parse_sets(["a=1,2", "b=range(0,3)"]))
    assert combos == [{"a": a, "b": b} for a in (1, 2) for b in (0, 1, 2)]


def test_grid_refuses_continuous_spaces() -> None:
    with pytest.raises(InvalidInput, match="--random N or --optuna"):
        grid(parse_sets(["a=1,2", "lr=uniform(0,1)"]))


def test_random_draws_distinct_grid_points_and_continuous_values() -> None:
    spaces = parse_sets(["a=1,2,3", "b=x,y"])
    drawn = sample(spaces, 4, seed=1)
    assert len(drawn) == 4 and len({tuple(c.items()) for c in drawn}) == 4
    assert sample(spaces, 4, seed=1) == drawn  # seeded: repeatable
    assert len(sample(spaces, 50, seed=1)) == 6  # never more than the grid holds
    values = sample(parse_sets(["lr=loguniform(1e-4,1e-1)"]), 20, seed=2)
    assert all(1e-4 <= c["lr"] <= 1e-1 for c in values)
    with pytest.raises(InvalidInput, match="at least 1"):
        sample(spaces, 0)


@given(start=st.integers(-50, 50), stop=st.integers(-50, 50), step=st.integers(-7, 7))
def test_range_matches_python(start: int, stop: int, step: int) -> None:
    text = f"d=range({start},{stop},{step})"
    expected = list(range(start, stop, step)) if step else []
    if not expected:
        with pytest.raises(InvalidInput):
            parse_set(text)
        return
    assert list(parse_set(text).values) == expected


@given(st.lists(st.integers(-1000, 1000) | st.floats(allow_nan=False, allow_infinity=False),
                min_size=1, max_size=6))  # fmt: skip
def test_number_lists_round_trip(numbers: list[float]) -> None:
    space = parse_set("x=" + ",".join(repr(n) for n in numbers))
    assert list(space.values) == list(dict.fromkeys(numbers))


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4))
def test_grid_size_is_the_product_of_sizes(sizes: list[int]) -> None:
    spaces = parse_sets([f"k{i}=range(0,{n})" for i, n in enumerate(sizes)])
    combos = grid(spaces)
    assert len(combos) == math.prod(sizes)
    assert len({tuple(c.values()) for c in combos}) == len(combos)


def test_fixed_search_hands_out_batches() -> None:
    search = FixedSearch([{"a": 1}, {"a": 2}, {"a": 3}])
    assert search.ask(2) == [{"a": 1}, {"a": 2}]
    search.tell([0.5, None])
    assert search.ask(2) == [{"a": 3}]
    assert search.ask(2) == []


def test_optuna_search_proposes_within_the_spaces() -> None:
    pytest.importorskip("optuna")
    spaces = parse_sets(["lr=loguniform(1e-3,1e-1)", "depth=range(2,10,2)", "opt=adam,sgd"])
    search = OptunaSearch(spaces, trials=5, direction="max", seed=0)
    seen = []
    while batch := search.ask(2):
        seen += batch
        search.tell([c["lr"] for c in batch[:1]] + [None] * (len(batch) - 1))
    assert len(seen) == 5
    for combo in seen:
        assert 1e-3 <= combo["lr"] <= 1e-1
        assert combo["depth"] in (2, 4, 6, 8)
        assert combo["opt"] in ("adam", "sgd")
    with pytest.raises(InvalidInput, match="--trials"):
        OptunaSearch(spaces, trials=0, direction="max", seed=0)


def test_optuna_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "optuna", None)  # as if it were not installed
    with pytest.raises(InvalidInput, match="pip install optuna"):
        OptunaSearch(parse_sets(["a=1,2"]), trials=2, direction="max", seed=0)
