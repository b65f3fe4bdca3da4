"""Time run search on SQLite with 100,000 runs and print the timings and query plans as JSON.

Usage: python benchmarks/search_plan.py [--runs N] [--db PATH] [--repeat 5]

Each run has params p0..p9 (values 'v0', 'v1', 'v2') and latest metrics m0..m9 (uniform in
[0, 1)); every other run has the tag t. The headline query is the one MLflow's anchor
benchmark uses: filter ``metrics.m0 > 0.5 and params.p1 = 'v1'``, order by
``metrics.m0 DESC``, limit 100.

Each case is timed as the store runs it (``execute_run_search``: one-key orders read band by
band, several statements) and as the one statement of ``build_run_search`` (how every search
ran before), side by side; both must return the same rows. ``plans`` has the SQLite plan of
each statement the store ran, in order.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cairn.store.search import parse_filter, parse_order_by
from cairn.store.sql import schema
from cairn.store.sql.engine import create_engine
from cairn.store.sql.search_bands import execute_run_search
from cairn.store.sql.search_compiler import build_run_search

# name: (filter, order_by, offset); every search asks for 100 runs
Case = tuple[str | None, list[str], int]
HEADLINE: Case = ("metrics.m0 > 0.5 and params.p1 = 'v1'", ["metrics.m0 DESC"], 0)
OTHERS: dict[str, Case] = {
    "no_filter_default_order": (None, [], 0),
    "no_filter_order_by_metric": (None, ["metrics.m3 DESC"], 0),
    "or_not": ("(metrics.m1 > 0.9 or params.p2 = 'v0') and not tags.t IS NULL", ["params.p0"], 0),
    "param_like": ("params.p4 LIKE 'v%' and metrics.m5 < 0.01", [], 0),
    # ordering by one key: walks the (key, value) index
    "order_metric_desc": (None, ["metrics.m0 DESC"], 0),
    "order_metric_desc_param_filter": ("params.p1 = 'v1'", ["metrics.m0 DESC"], 0),
    "order_metric_asc": (None, ["metrics.m0 ASC"], 0),
    "order_metric_asc_param_filter": ("params.p1 = 'v1'", ["metrics.m0 ASC"], 0),
    "order_metric_desc_page_51": (None, ["metrics.m0 DESC"], 5_000),
    "order_param_text": (None, ["params.p0 DESC"], 0),
    "order_tag": (None, ["tags.t"], 0),
    # ... and where the walk does not fill the page, so that the one statement runs after it
    "order_metric_selective_filter": ("attributes.run_name = 'run-77'", ["metrics.m0 DESC"], 0),
    "order_tag_past_the_tagged_runs": (None, ["tags.t"], 60_000),
}


def build(engine: sa.Engine, n_runs: int, seed: int = 0) -> float:
    """Fill an empty database with ``n_runs`` runs; returns the seconds it took."""
    rng = random.Random(seed)
    started = time.perf_counter()
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            schema.experiments.insert(),
            [
                {
                    "experiment_id": 1,
                    "name": "bench",
                    "artifact_location": "/tmp/a",
                    "creation_time": 0,
                    "last_update_time": 0,
                }
            ],
        )
        for start in range(0, n_runs, 10_000):
            run_rows, param_rows, metric_rows, tag_rows = [], [], [], []
            for i in range(start, min(start + 10_000, n_runs)):
                run_id = uuid.UUID(int=rng.getrandbits(128)).hex
                run_rows.append(
                    {
                        "run_uuid": run_id,
                        "name": f"run-{i}",
                        "experiment_id": 1,
                        "user_id": "u",
                        "status": "FINISHED",
                        "start_time": 1_700_000_000_000 + i,
                        "end_time": None,
                        "lifecycle_stage": "active",
                        "artifact_uri": f"/tmp/a/{run_id}",
                    }
                )
                for k in range(10):
                    param_rows.append(
                        {
                            "run_uuid": run_id,
                            "key": f"p{k}",
                            "value": f"v{rng.randrange(3)}",
                            "value_num": None,
                        }
                    )
                    metric_rows.append(
                        {
                            "run_uuid": run_id,
                            "key": f"m{k}",
                            "value": rng.random(),
                            "is_nan": False,
                            "timestamp": 0,
                            "step": 0,
                        }
                    )
                if i % 2:
                    tag_rows.append({"run_uuid": run_id, "key": "t", "value": "x"})
            conn.execute(schema.runs.insert(), run_rows)
            conn.execute(schema.params.insert(), param_rows)
            conn.execute(schema.latest_metrics.insert(), metric_rows)
            conn.execute(schema.tags.insert(), tag_rows)
    return time.perf_counter() - started


def _timed(run: Callable[[], Sequence[Any]], repeat: int) -> tuple[Sequence[Any], list[float]]:
    rows: Sequence[Any] = []
    times: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = run()
        times.append((time.perf_counter() - started) * 1000)
    return rows, times


def measure(
    engine: sa.Engine, filter_string: str | None, order: list[str], offset: int, repeat: int
) -> dict[str, Any]:
    """Median wall times of the search (as the store runs it, and as one statement), its row
    count and the query plan of each statement the store ran."""
    expr, keys = parse_filter(filter_string), parse_order_by(order)
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    with engine.connect() as conn:
        rows, times = _timed(
            lambda: execute_run_search(conn, [1], expr, keys, ("active",), 100, offset), repeat
        )
        expected, one_times = _timed(  # built each time, as the store did
            lambda: conn.execute(build_run_search([1], expr, keys, ("active",), 100, offset)).all(),
            repeat,
        )
        if list(rows) != list(expected):
            raise AssertionError(f"the store and the one statement disagree on {order}")
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            execute_run_search(conn, [1], expr, keys, ("active",), 100, offset)
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        plans = [
            [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
            for sql, params in statements
        ]
    return {
        "filter": filter_string,
        "order_by": order,
        "offset": offset,
        "rows": len(rows),
        "median_ms": round(statistics.median(times), 2),
        "all_ms": [round(t, 2) for t in times],
        "one_statement_median_ms": round(statistics.median(one_times), 2),
        "plans": plans,
    }


def main() -> None:
    """Build (or reuse) the database, time the searches and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None, help="reuse or create this SQLite file")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE before timing")
    parser.add_argument(
        "--pragma", action="append", default=[], help="e.g. cache_size=-65536, per connection"
    )
    args = parser.parse_args()
    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory()
        args.db = Path(tmp.name) / "search.db"
    existed = args.db.exists()
    engine = create_engine(f"sqlite:///{args.db}")  # the store's engine: WAL, foreign keys

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        for pragma in args.pragma:
            dbapi_connection.execute(f"PRAGMA {pragma}")

    build_s = None if existed else round(build(engine, args.runs), 1)
    if args.analyze:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    report = {
        "runs": args.runs,
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sa.__version__,
        "build_seconds": build_s,
        "analyzed": args.analyze,
        "pragmas": args.pragma,
        "headline": measure(engine, *HEADLINE, args.repeat),
        "others": {
            name: measure(engine, f, o, offset, args.repeat)
            for name, (f, o, offset) in OTHERS.items()
        },
    }
    engine.dispose()
    print(json.dumps(report, indent=2))
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
