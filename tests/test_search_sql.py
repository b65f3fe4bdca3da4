"""The search compiler against a real SQLite database: each filter and order returns the right runs."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from cairn.entities import Metric, Param, ViewType
from cairn.store import Store
from cairn.store.search import (
    decode_page_token,
    encode_page_token,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
)
from cairn.store.sql import schema
from cairn.store.sql.search_bands import execute_run_search
from cairn.store.sql.search_compiler import (
    build_experiment_search,
    build_run_search,
)
from cairn.store.sql.search_dialects import like_to_glob
from cairn.testing.plugin import unique_database_name

NAN = math.nan

# label: (experiment, stage, name, status, user, start, end, params, metrics, tags)
# fmt: off
RUNS = {
    "r1": (1, "active", "Alpha", "FINISHED", "alice", 1000, 2000,
           {"lr": "0.01", "opt": "Adam", "batch": "32"},
           {"acc": 0.9, "loss": 0.5, "same": 1.0},
           {"team": "Vision", "code": "a*b?[c]", "promo": "50%_off"}),
    "r2": (1, "active", "alpha-2", "RUNNING", "bob", 2000, None,
           {"lr": "0.1", "opt": "adam", "batch": "64"},
           {"acc": 0.7, "loss": NAN, "same": 1.0},
           {"team": "vision", "code": "axb?[c]", "promo": "50x_off"}),
    "r3": (1, "active", "beta", "FAILED", "alice", 3000, 3500,
           {"lr": "1e-3", "opt": "SGD"},
           {"acc": 0.95, "same": 1.0},
           {}),
    "r4": (1, "active", "gamma_1", "FINISHED", "carol", 4000, 5000,
           {"lr": "high", "opt": "sgd"},
           {"acc": NAN, "loss": 0.2, "same": 1.0},
           {"team": "NLP"}),
    "r5": (1, "deleted", "gone", "FINISHED", "alice", 5000, 5001,
           {"lr": "0.01"}, {"acc": 0.99}, {}),
    "r6": (2, "active", "other", "FINISHED", "dan", 6000, 6001,
           {"lr": "0.01"}, {"acc": 0.1}, {}),
}
# fmt: on
IDS = {label: f"{int(label[1:]):032x}" for label in RUNS}
LABELS = {run_id: label for label, run_id in IDS.items()}


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ],
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """The fixture runs in a fresh database on SQLite, PostgreSQL and MariaDB/MySQL in turn."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("search") / "search.db"
        url = f"sqlite:///{path}"
    else:
        fixture = "postgres_cluster" if request.param == "postgresql" else "mariadb_server"
        url = request.getfixturevalue(fixture).create_database(unique_database_name())
    engine = sa.create_engine(url)
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            schema.experiments.insert(),
            [
                {
                    "experiment_id": 1,
                    "name": "Vision models",
                    "artifact_location": "/a/1",
                    "lifecycle_stage": "active",
                    "creation_time": 100,
                    "last_update_time": 300,
                },
                {
                    "experiment_id": 2,
                    "name": "nlp",
                    "artifact_location": "/a/2",
                    "lifecycle_stage": "active",
                    "creation_time": 200,
                    "last_update_time": 200,
                },
                {
                    "experiment_id": 3,
                    "name": "old",
                    "artifact_location": "/a/3",
                    "lifecycle_stage": "deleted",
                    "creation_time": 50,
                    "last_update_time": 400,
                },
                {
                    "experiment_id": 4,
                    "name": "Vision 2",
                    "artifact_location": "/a/4",
                    "lifecycle_stage": "active",
                    "creation_time": 300,
                    "last_update_time": 100,
                },
            ],
        )
        conn.execute(
            schema.experiment_tags.insert(),
            [
                {"experiment_id": 1, "key": "owner", "value": "alice"},
                {"experiment_id": 2, "key": "owner", "value": "Bob"},
            ],
        )
        for label, row in RUNS.items():
            exp, stage, name, status, user, start, end, params, metrics, tags = row
            run_id = IDS[label]
            conn.execute(
                schema.runs.insert().values(
                    run_uuid=run_id,
                    name=name,
                    experiment_id=exp,
                    user_id=user,
                    status=status,
                    start_time=start,
                    end_time=end,
                    lifecycle_stage=stage,
                    artifact_uri=f"/a/{run_id}",
                )
            )
            for key, value in params.items():
                conn.execute(
                    schema.params.insert().values(
                        run_uuid=run_id, key=key, value=value, value_num=_number(value)
                    )
                )
            for key, number in metrics.items():
                nan = math.isnan(number)
                conn.execute(
                    schema.latest_metrics.insert().values(
                        run_uuid=run_id,
                        key=key,
                        value=0.0 if nan else number,
                        is_nan=nan,
                        timestamp=0,
                        step=0,
                    )
                )
            for key, value in tags.items():
                conn.execute(schema.tags.insert().values(run_uuid=run_id, key=key, value=value))
    yield engine
    engine.dispose()


def search(
    engine: sa.Engine,
    filter_string: str | None = None,
    order: list[str] | None = None,
    *,
    experiments: tuple[int, ...] = (1,),
    stages: tuple[str, ...] = ("active",),
    limit: int = 100,
    offset: int = 0,
) -> list[str]:
    query = build_run_search(
        list(experiments), parse_filter(filter_string), parse_order_by(order), stages, limit, offset
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    assert all(len(row) == len(schema.runs.c) for row in rows)
    return [LABELS[row.run_uuid] for row in rows]


def matching(engine: sa.Engine, filter_string: str) -> set[str]:
    found = search(engine, filter_string)
    assert len(found) == len(set(found)), "a run came back twice"
    return set(found)


def test_default_order_is_newest_first_and_scoped(engine: sa.Engine) -> None:
    assert search(engine) == ["r4", "r3", "r2", "r1"]
    assert search(engine, stages=("active", "deleted")) == ["r5", "r4", "r3", "r2", "r1"]
    assert search(engine, experiments=(1, 2)) == ["r6", "r4", "r3", "r2", "r1"]
    assert search(engine, stages=("deleted",)) == ["r5"]
    assert search(engine, experiments=()) == []


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("metrics.acc > 0.8", {"r1", "r3"}),
        ("metrics.acc >= 0.9", {"r1", "r3"}),
        ("metrics.acc = 0.9", {"r1"}),
        ("metrics.acc != 0.9", {"r2", "r3", "r4"}),  # NaN != 0.9, as in IEEE
        ("metrics.loss < 1", {"r1", "r4"}),  # NaN compares false
        ("metrics.loss <= 0.2", {"r4"}),
        ("metrics.acc IN (0.9, 0.7)", {"r1", "r2"}),
        ("metrics.acc NOT IN (0.9, 0.7)", {"r3", "r4"}),
        ("metrics.loss IS NULL", {"r3"}),
        ("metrics.loss IS NOT NULL", {"r1", "r2", "r4"}),
        ("metrics.nope > 0", set()),
        ("metrics.acc > 0.5 AND metrics.acc < 0.92", {"r1", "r2"}),
    ],
)
def test_metric_filters(engine: sa.Engine, filter_string: str, expected: set[str]) -> None:
    assert matching(engine, filter_string) == expected


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("params.lr = '0.01'", {"r1"}),
        ("params.lr = '1e-3'", {"r3"}),
        ("params.lr = 0.001", {"r3"}),  # numeric: '1e-3' reads as 0.001
        ("params.lr = 0.01", {"r1"}),
        ("params.lr < 0.05", {"r1", "r3"}),
        ("params.lr >= 0.1", {"r2"}),
        ("params.lr != 0.01", {"r2", "r3"}),  # 'high' is not a number
        ("params.lr != '0.01'", {"r2", "r3", "r4"}),
        ("params.lr = 'high'", {"r4"}),
        ("params.opt IN ('Adam', 'SGD')", {"r1", "r3"}),
        ("params.opt NOT IN ('Adam')", {"r2", "r3", "r4"}),
        ("params.lr IN (0.01, 0.1)", {"r1", "r2"}),
        ("params.batch IS NULL", {"r3", "r4"}),
        ("params.batch IS NOT NULL AND params.batch = '32'", {"r1"}),
    ],
)
def test_param_filters(engine: sa.Engine, filter_string: str, expected: set[str]) -> None:
    assert matching(engine, filter_string) == expected


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("params.opt LIKE 'a%'", {"r2"}),
        ("params.opt LIKE 'A%'", {"r1"}),
        ("params.opt ILIKE 'a%'", {"r1", "r2"}),
        ("params.opt LIKE '%D'", {"r3"}),
        ("params.opt ILIKE '%D'", {"r3", "r4"}),
        ("params.opt LIKE 'A_am'", {"r1"}),
        ("params.opt NOT LIKE 'A%'", {"r2", "r3", "r4"}),
        ("params.opt NOT ILIKE 'a%'", {"r3", "r4"}),
        ("tags.team LIKE 'V%'", {"r1"}),
        ("tags.team ILIKE 'V%'", {"r1", "r2"}),
        ("tags.team NOT LIKE 'V%'", {"r2", "r4"}),  # runs without the tag do not match
        ("NOT tags.team LIKE 'V%'", {"r2", "r3", "r4"}),  # ... but NOT is the complement
        ("tags.code LIKE 'a*%'", {"r1"}),  # GLOB characters are literals in LIKE
        ("tags.code LIKE '%?[c]'", {"r1", "r2"}),
        ("tags.code LIKE 'a_b?[c]'", {"r1", "r2"}),
        ("tags.promo LIKE '50\\%%'", {"r1"}),  # backslash escapes % and _
        ("tags.promo LIKE '50_\\_off'", {"r1", "r2"}),
        ("tags.promo LIKE '50_off'", set()),
        ("attributes.run_name LIKE 'alpha%'", {"r2"}),
        ("attributes.run_name ILIKE 'ALPHA%'", {"r1", "r2"}),
        ("NOT attributes.run_name LIKE 'alpha%'", {"r1", "r3", "r4"}),
        ("attributes.run_name LIKE '%a\\_1'", {"r4"}),
    ],
)
def test_like_is_case_sensitive_and_ilike_is_not(
    engine: sa.Engine, filter_string: str, expected: set[str]
) -> None:
    assert matching(engine, filter_string) == expected


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("tags.team = 'Vision'", {"r1"}),
        ("tags.team != 'Vision'", {"r2", "r4"}),
        ("tags.team IN ('NLP', 'vision')", {"r2", "r4"}),
        ("tags.team IS NULL", {"r3"}),
        ("tags.`team` IS NOT NULL", {"r1", "r2", "r4"}),
        ("attributes.status = 'FINISHED'", {"r1", "r4"}),
        ("attributes.status IN ('RUNNING', 'FAILED')", {"r2", "r3"}),
        ("attributes.user_id != 'alice'", {"r2", "r4"}),
        ("attributes.end_time IS NULL", {"r2"}),
        ("attributes.end_time IS NOT NULL", {"r1", "r3", "r4"}),
        ("attributes.end_time > 1500", {"r1", "r3", "r4"}),
        ("NOT attributes.end_time > 2500", {"r1", "r2"}),  # a null end_time is not > 2500
        ("attributes.start_time >= 3000", {"r3", "r4"}),
        ("attributes.created < 2500", {"r1", "r2"}),
        (f"attributes.run_id IN ('{IDS['r1']}', '{IDS['r3']}')", {"r1", "r3"}),
        (f"run.run_id = '{IDS['r2']}'", {"r2"}),
        ("attributes.lifecycle_stage = 'active'", {"r1", "r2", "r3", "r4"}),
        ("attributes.artifact_uri LIKE '/a/%'", {"r1", "r2", "r3", "r4"}),
    ],
)
def test_tag_and_attribute_filters(
    engine: sa.Engine, filter_string: str, expected: set[str]
) -> None:
    assert matching(engine, filter_string) == expected


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("metrics.acc > 0.92 OR params.opt = 'adam'", {"r2", "r3"}),
        ("NOT metrics.acc > 0.8", {"r2", "r4"}),
        ("NOT (metrics.acc > 0.8)", {"r2", "r4"}),
        ("NOT NOT metrics.acc > 0.8", {"r1", "r3"}),
        ("(params.opt ILIKE 'sgd' OR tags.team = 'NLP') AND metrics.loss IS NULL", {"r3"}),
        # AND binds tighter than OR
        ("params.opt = 'SGD' OR params.opt = 'sgd' AND metrics.loss > 0.1", {"r3", "r4"}),
        ("(params.opt = 'SGD' OR params.opt = 'sgd') AND metrics.loss > 0.3", set()),
        ("NOT (tags.team IS NULL OR attributes.status = 'RUNNING')", {"r1", "r4"}),
        ("metrics.acc > 0.8 AND (tags.team IS NULL OR tags.team = 'Vision')", {"r1", "r3"}),
        ("NOT metrics.loss IS NULL AND NOT metrics.loss < 0.3", {"r1", "r2"}),
        ("attributes.status = 'FINISHED' OR attributes.end_time IS NULL", {"r1", "r2", "r4"}),
    ],
)
def test_boolean_combinations(engine: sa.Engine, filter_string: str, expected: set[str]) -> None:
    assert matching(engine, filter_string) == expected


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (["metrics.acc DESC"], ["r3", "r1", "r2", "r4"]),  # NaN after the numbers
        (["metrics.acc"], ["r2", "r1", "r3", "r4"]),
        (["metrics.loss ASC"], ["r4", "r1", "r2", "r3"]),  # then NaN, then runs without it
        (["metrics.loss DESC"], ["r1", "r4", "r2", "r3"]),
        (["params.lr"], ["r3", "r1", "r2", "r4"]),  # numbers numerically, then text
        (["params.lr DESC"], ["r2", "r1", "r3", "r4"]),
        (["params.batch DESC"], ["r2", "r1", "r4", "r3"]),  # missing: newest first
        (["tags.team"], ["r4", "r1", "r2", "r3"]),
        (["tags.team DESC"], ["r2", "r1", "r4", "r3"]),
        (["attributes.end_time"], ["r1", "r3", "r4", "r2"]),  # null last
        (["end_time DESC"], ["r4", "r3", "r1", "r2"]),
        (["run_name"], ["r1", "r2", "r3", "r4"]),
        (["attributes.start_time ASC"], ["r1", "r2", "r3", "r4"]),
        (["metrics.same DESC"], ["r4", "r3", "r2", "r1"]),  # ties: newest first
        (["attributes.user_id", "metrics.acc DESC"], ["r3", "r1", "r2", "r4"]),
    ],
)
def test_ordering(engine: sa.Engine, order: list[str], expected: list[str]) -> None:
    assert search(engine, None, order) == expected


def test_ordering_by_a_filtered_key(engine: sa.Engine) -> None:
    assert search(engine, "metrics.acc > 0.5", ["metrics.acc DESC"]) == ["r3", "r1", "r2"]
    assert search(engine, "metrics.acc != 0.9", ["metrics.acc DESC"]) == ["r3", "r2", "r4"]
    assert search(engine, "metrics.loss IS NOT NULL", ["metrics.loss"]) == ["r4", "r1", "r2"]
    assert search(engine, "params.opt ILIKE '%a%'", ["params.opt DESC"]) == ["r2", "r1"]


def test_paging_with_limit_and_offset(engine: sa.Engine) -> None:
    pages = [search(engine, None, ["metrics.acc DESC"], limit=3, offset=o) for o in (0, 3, 6)]
    assert pages == [["r3", "r1", "r2"], ["r4"], []]
    token = encode_page_token(3)
    assert search(engine, limit=2, offset=decode_page_token(token)) == ["r1"]


ACTIVE = ("active",)
ONE_KEY_ORDERS = [
    f"{key}{direction}"
    for key in (
        "metrics.acc",  # NaN, a deleted run with the best value, a run in another experiment
        "metrics.loss",  # NaN, a run without it
        "metrics.same",  # all tied
        "params.lr",  # numbers and text
        "params.batch",  # numbers, runs without it
        "params.opt",  # text only
        "tags.team",
        "tags.nope",  # no run has it
    )
    for direction in ("", " DESC")
]


@pytest.mark.parametrize(
    ("order", "filter_string", "stages"),
    [
        *[(order, None, ACTIVE) for order in ONE_KEY_ORDERS],
        ("metrics.acc DESC", None, ("active", "deleted")),
        ("metrics.acc", None, ("active", "deleted")),
        ("params.lr", None, ("active", "deleted")),
        ("metrics.acc DESC", "metrics.acc > 0.5", ACTIVE),  # inner join on acc, NaN left out
        ("metrics.acc", "metrics.acc > 0.5", ACTIVE),
        ("metrics.loss DESC", "metrics.loss IS NOT NULL", ACTIVE),  # inner join, NaN kept
        ("metrics.loss", "metrics.loss IS NOT NULL", ACTIVE),
        ("metrics.acc DESC", "params.opt ILIKE '%a%' OR tags.team = 'NLP'", ACTIVE),
        ("params.opt", "params.opt ILIKE '%a%' OR tags.team = 'NLP'", ACTIVE),
        ("tags.team DESC", "params.opt ILIKE '%a%' OR tags.team = 'NLP'", ACTIVE),
        ("metrics.loss DESC", "metrics.loss IS NULL", ACTIVE),
    ],
)
def test_band_by_band_reads_match_the_one_statement(
    engine: sa.Engine, order: str, filter_string: str | None, stages: tuple[str, ...]
) -> None:
    expr, keys = parse_filter(filter_string), parse_order_by([order])
    with engine.connect() as conn:
        everything = build_run_search([1, 2], expr, keys, stages, 100, 0)
        expected = [row.run_uuid for row in conn.execute(everything)]
        # budget 1 stops each walk at the band's first index entry; 100 reads every band whole
        for budget in (1, 3, 100):
            for limit in (1, 2):
                for offset in range(len(expected) + 1):
                    rows = execute_run_search(
                        conn, [1, 2], expr, keys, stages, limit, offset, budget=budget
                    )
                    page = expected[offset : offset + limit]
                    assert [row.run_uuid for row in rows] == page, (budget, limit, offset)
                    assert all(len(row) == len(schema.runs.c) for row in rows)


def test_band_walk_uses_the_key_value_index(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the query plan checked is SQLite's")
    joins: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if " JOIN " in statement:
            joins.append((statement, parameters))

    expr = parse_filter("attributes.status != 'KILLED'")
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.connect() as conn:
            for order, index in [
                ("metrics.acc DESC", "ix_latest_metrics_key_value (key=? AND value>?)"),
                ("metrics.acc", "ix_latest_metrics_key_value (key=? AND value<?)"),
                ("params.opt", "ix_params_key_value (key=? AND value<?)"),
                ("tags.team DESC", "ix_tags_key_value (key=? AND value>?)"),
            ]:
                joins.clear()
                keys = parse_order_by([order])
                rows = execute_run_search(conn, [1], expr, keys, ("active",), 1, 0, budget=3)
                assert len(rows) == 1
                statement, parameters = joins[-1]  # the walk that filled the page
                explained = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                plan = [row[-1] for row in explained]
                assert plan[0].endswith(index), plan
                assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


# -- through the store: page tokens across the bands, on every backend ------------------------


def _band_run(i: int) -> tuple[float | None, float | None, str]:
    """acc (tied numbers, NaN, or None for no value), rare (on three runs) and param p of run i."""
    acc = None if i % 6 == 5 else NAN if i % 6 == 4 else (i * 7) % 5 / 10
    return acc, {3: 0.5, 8: 0.5, 9: NAN}.get(i), "x" if i % 3 else "y"


def _expected(found: list[tuple[str, int, float | None]], ascending: bool) -> list[str]:
    """Runs ordered as MLflow does: numbers, then NaN, then none; ties newest first, then id."""

    def rank(run: tuple[str, int, float | None]) -> tuple[Any, ...]:
        run_id, start, value = run
        if value is None:
            return (2, 0.0, -start, run_id)
        if math.isnan(value):
            return (1, 0.0, -start, run_id)
        return (0, value if ascending else -value, -start, run_id)

    return [run[0] for run in sorted(found, key=rank)]


def _all_pages(
    store: Store, experiment_id: str, filter_string: str | None, order: str
) -> list[str]:
    found: list[str] = []
    token = None
    while True:
        page = store.runs.search_runs(
            [experiment_id], filter_string, ViewType.ACTIVE_ONLY, 2, [order], token
        )
        assert len(page.items) == 2 or page.next_page_token is None
        found += [run.info.run_id for run in page.items]
        token = page.next_page_token
        if token is None:
            return found


@pytest.mark.parametrize("key", ["acc", "rare"])
def test_pages_cross_from_runs_with_the_key_to_runs_without(cairn_store: Store, key: str) -> None:
    exp_id = cairn_store.experiments.create_experiment("bands")
    runs: list[tuple[str, int, float | None, str]] = []
    for i in range(24):  # pairs of runs share a start_time
        acc, rare, p = _band_run(i)
        start = 1_000 + (i // 2) * 10
        run_id = cairn_store.runs.create_run(exp_id, start_time=start).info.run_id
        values = {"acc": acc, "rare": rare}
        metrics = [Metric(k, v, 1, 0) for k, v in values.items() if v is not None]
        cairn_store.runs.log_batch(run_id, metrics=metrics, params=[Param("p", p)])
        runs.append((run_id, start, values[key], p))
    # the best value each way: on a deleted run (DESC) and on a run in another experiment (ASC)
    deleted = cairn_store.runs.create_run(exp_id, start_time=5_000).info.run_id
    cairn_store.runs.log_batch(deleted, [Metric(key, 99.0, 1, 0)], [Param("p", "x")])
    cairn_store.runs.delete_run(deleted)
    elsewhere = cairn_store.experiments.create_experiment("elsewhere")
    other = cairn_store.runs.create_run(elsewhere, start_time=5_000).info.run_id
    cairn_store.runs.log_batch(other, [Metric(key, -1.0, 1, 0)], [Param("p", "x")])

    for order, ascending in [(f"metrics.{key} DESC", False), (f"metrics.{key}", True)]:
        everything = [(run_id, start, value) for run_id, start, value, _ in runs]
        assert _all_pages(cairn_store, exp_id, None, order) == _expected(everything, ascending)
        only_x = [(run_id, start, value) for run_id, start, value, p in runs if p == "x"]
        found = _all_pages(cairn_store, exp_id, "params.p = 'x'", order)
        assert found == _expected(only_x, ascending)


def test_statement_cache_keeps_each_pattern(engine: sa.Engine) -> None:
    # The same query shape with other values must not reuse the first values.
    for _ in range(2):
        assert matching(engine, "params.opt LIKE 'A%'") == {"r1"}
        assert matching(engine, "params.opt LIKE 'a%'") == {"r2"}
        assert matching(engine, "params.opt LIKE 'S%' OR tags.team IS NULL") == {"r3"}
        assert matching(engine, "params.opt LIKE 's%' OR tags.team IS NULL") == {"r3", "r4"}


def test_like_to_glob() -> None:
    assert like_to_glob("a%b_c") == "a*b?c"
    assert like_to_glob("*?[") == "[*][?][[]"
    assert like_to_glob("100\\%\\_\\\\") == "100%_\\"
    assert like_to_glob("x]") == "x]"


def test_other_dialects_use_their_own_like() -> None:
    query = build_run_search(
        [1],
        parse_filter("tags.t LIKE 'a%' AND params.p ILIKE 'b%' OR metrics.m IS NULL"),
        [],
        ("active",),
        10,
        0,
    )
    pg = str(query.compile(dialect=postgresql.dialect()))
    assert " LIKE " in pg and " ILIKE " in pg and "GLOB" not in pg and "NOT EXISTS (" in pg
    my = str(query.compile(dialect=mysql.dialect()))
    assert "binary(" in my and "GLOB" not in my


def experiments_found(
    engine: sa.Engine,
    filter_string: str | None,
    order: list[str] | None = None,
    stages: tuple[str, ...] = ("active",),
) -> list[int]:
    query = build_experiment_search(
        parse_experiment_filter(filter_string), parse_experiment_order_by(order), stages, 100, 0
    )
    with engine.connect() as conn:
        return [row.experiment_id for row in conn.execute(query)]


@pytest.mark.parametrize(
    ("filter_string", "order", "expected"),
    [
        (None, None, [1, 2, 4]),  # last_update_time DESC
        (None, ["name"], [4, 1, 2]),
        (None, ["experiment_id DESC"], [4, 2, 1]),
        (None, ["attributes.creation_time"], [1, 2, 4]),
        ("name = 'nlp'", None, [2]),
        ("attributes.name LIKE 'Vision%'", ["name"], [4, 1]),
        ("name LIKE 'vision%'", None, []),
        ("name ILIKE 'vision%'", ["experiment_id"], [1, 4]),
        ("creation_time >= 200", ["experiment_id"], [2, 4]),
        ("last_update_time < 250 AND name != 'nlp'", None, [4]),
        ("tags.owner = 'alice'", None, [1]),
        ("tags.owner ILIKE 'b%'", None, [2]),
        ("tags.owner IS NULL", None, [4]),
        ("tags.owner = 'Bob' OR name = 'Vision 2'", ["experiment_id"], [2, 4]),
    ],
)
def test_experiment_search(
    engine: sa.Engine, filter_string: str | None, order: list[str] | None, expected: list[int]
) -> None:
    assert experiments_found(engine, filter_string, order) == expected


def test_experiment_search_stages(engine: sa.Engine) -> None:
    assert experiments_found(engine, None, ["experiment_id"], ("active", "deleted")) == [1, 2, 3, 4]
    assert experiments_found(engine, None, None, ("deleted",)) == [3]
