"""The runs table's state in the URL (cairn.ui.runs_view) and the store's run count."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from cairn.entities import Metric, Param, Run, RunData, RunInfo, RunTag, ViewType
from cairn.errors import InvalidFilter, InvalidInput
from cairn.store.base import RunRepository
from cairn.store.search import parse_order_by
from cairn.ui import runs_view as rv


def _read(query: str, cross: bool = False) -> rv.RunsView:
    return rv.read_view(parse_qsl(query.lstrip("?"), keep_blank_values=True), cross)


def test_a_full_query_round_trips():
    query = (
        "?experiments=1%2C2&filter=metrics.f1+%3E+0.5&order=-metrics.loss&cols=metrics.loss"
        "&cols=params.lr&page=3&per=100&view=all"
    )
    view = _read(query, cross=True)
    assert view.experiment_ids == ("1", "2")
    assert view.filter == "metrics.f1 > 0.5"
    assert view.order == rv.Order("metrics.loss", descending=True)
    assert view.columns == (rv.Column("metrics", "loss"), rv.Column("params", "lr"))
    assert (view.page, view.per_page, view.view, view.offset) == (3, 100, "all", 200)
    assert view.query() == query
    assert view.problems == []


def test_defaults_stay_out_of_the_url():
    view = _read("")
    assert view.query() == "?"
    assert view.columns is None and view.order == rv.DEFAULT_ORDER
    assert view.query(page=2) == "?page=2"


def test_no_columns_at_all_is_remembered():
    view = _read("cols=")
    assert view.columns == ()
    assert view.query() == "?cols="


def test_sorting_starts_descending_and_then_flips():
    view = _read("")
    assert view.sort_query("metrics.loss") == "?order=-metrics.loss"
    flipped = _read(view.sort_query("metrics.loss"))
    assert flipped.sort_query("metrics.loss") == "?order=metrics.loss"
    assert _read("page=4").sort_query("params.lr") == "?order=-params.lr"  # back to page 1


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("cols=loss", "column 'loss' is not <kind>.<key>"),
        ("cols=attributes.status", "kind metrics, params or tags"),
        ("order=attributes.duration", "cannot sort by 'duration'"),
        ("order=-nonsense", "is not <kind>.<key>"),
        ("page=0", "page must be a whole number from 1"),
        ("page=abc", "page must be a whole number"),
        ("per=5000", "per must be a whole number from 1 to 200"),
        ("view=archived", "view 'archived' is not one of active, deleted, all"),
    ],
)
def test_a_bad_part_is_dropped_and_explained(query, problem):
    view = _read(query)
    assert any(problem in p for p in view.problems), view.problems
    assert view.query() in ("?", "?cols=")  # the rest of the view still opens


def test_store_order_by_quotes_keys_so_that_any_key_sorts():
    for key in ("loss", "val loss", "a.b", "x`y", "f1 DESC"):
        order = rv.Order(f"metrics.{key}", descending=True)
        (parsed,) = parse_order_by(order.store_order_by())
        assert (parsed.entity_type, parsed.key, parsed.ascending) == ("metric", key, False)
    (attribute,) = parse_order_by(rv.Order("attributes.run_name", False).store_order_by())
    assert attribute.key == "run_name" and attribute.ascending


def _run(metrics: dict, params: dict, tags: dict) -> Run:
    info = RunInfo("a" * 32, "1", "r", "u", "FINISHED", 0, 1, "file:///x")
    return Run(info, RunData(metrics, params, tags))


def test_default_columns_are_metrics_then_params_without_system_metrics():
    runs = [
        _run({"loss": 1.0, "system/cpu": 3.0}, {"lr": "0.1"}, {"team": "x", "mlflow.user": "u"}),
        _run({"acc": 0.5}, {"depth": "3"}, {"cairn.parentRunId": "p"}),
    ]
    assert [c.id for c in rv.default_columns(runs)] == [
        "metrics.acc",
        "metrics.loss",
        "params.depth",
        "params.lr",
    ]
    keys = rv.available_keys(runs, (rv.Column("tags", "owner"),))
    assert keys == {
        "metrics": ["acc", "loss", "system/cpu"],
        "params": ["depth", "lr"],
        "tags": ["owner", "team"],
    }
    assert rv.Column("params", "lr").value(runs[0]) == "0.1"
    assert rv.Column("params", "lr").value(runs[1]) is None


def test_page_count():
    assert [rv.page_count(n, 50) for n in (0, 1, 50, 51, 20_000)] == [1, 1, 1, 2, 400]


def test_count_runs_matches_search_with_and_without_a_filter(tmp_path):
    from cairn.store.sql import SqlStore

    with SqlStore(f"sqlite:///{tmp_path / 'c.db'}") as store:
        experiment = store.experiments.create_experiment("e")
        other = store.experiments.create_experiment("other")
        for i in range(7):
            run_id = store.runs.create_run(experiment, run_name=f"r{i}").info.run_id
            store.runs.log_batch(
                run_id,
                metrics=[Metric("m", i / 10, 0, 0)],
                params=[Param("p", "even" if i % 2 == 0 else "odd")],
                tags=[RunTag("t", "x")],
            )
            if i == 6:
                store.runs.delete_run(run_id)
        store.runs.create_run(other)
        for filter_string in (None, "metrics.m > 0.2", "params.p = 'even' OR metrics.m < 0.1"):
            for view in ("active_only", "deleted_only", "all"):
                found = store.runs.search_runs([experiment], filter_string, view, max_results=100)
                counted = store.runs.count_runs([experiment], filter_string, view)
                # The generic count (paging through the search) agrees with the SQL one.
                fallback = RunRepository._count_runs(
                    store.runs, [int(experiment)], filter_string, ViewType.parse(view)
                )
                assert counted == fallback == len(found.items), (filter_string, view)
        assert store.runs.count_runs([experiment, other]) == 7
        with pytest.raises(InvalidFilter):
            store.runs.count_runs([experiment], "metrics.m >")
        with pytest.raises(InvalidInput):
            store.runs.count_runs(["not-an-id"])
