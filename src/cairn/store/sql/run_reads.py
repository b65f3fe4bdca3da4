"""Reading runs back: rows to entities, metric values as stored, and whole runs."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import Run, RunData, RunInfo
from cairn.errors import InvalidState, NotFound
from cairn.store.sql import schema as t
from cairn.store.sql.run_statements import ACTIVE, SELECT_RUN, RunRow


def entity(run_id: str) -> str:
    """The audit entity name of a run."""
    return f"run:{run_id}"


def info(row: Any) -> RunInfo:
    """A RunInfo from a row of the runs table."""
    return RunInfo(
        run_id=row.run_uuid,
        experiment_id=str(row.experiment_id),
        run_name=row.name,
        user_id=row.user_id,
        status=row.status,
        start_time=row.start_time,
        end_time=row.end_time,
        artifact_uri=row.artifact_uri,
        lifecycle_stage=row.lifecycle_stage,
    )


_LATEST_OF = sa.select(
    t.latest_metrics.c.run_uuid,
    t.latest_metrics.c.key,
    t.latest_metrics.c.value,
    t.latest_metrics.c.is_nan,
).where(t.latest_metrics.c.run_uuid.in_(sa.bindparam("ids", expanding=True)))
_PARAMS_OF = sa.select(t.params.c.run_uuid, t.params.c.key, t.params.c.value).where(
    t.params.c.run_uuid.in_(sa.bindparam("ids", expanding=True))
)
_TAGS_OF = sa.select(t.tags.c.run_uuid, t.tags.c.key, t.tags.c.value).where(
    t.tags.c.run_uuid.in_(sa.bindparam("ids", expanding=True))
)


def load_runs(conn: Connection, rows: Sequence[Any]) -> list[Run]:
    """Whole runs (latest metrics, params, tags) for run rows, in the rows' order."""
    if not rows:
        return []
    ids = [r.run_uuid for r in rows]
    metrics: dict[str, dict[str, float]] = {i: {} for i in ids}
    params: dict[str, dict[str, str]] = {i: {} for i in ids}
    tags: dict[str, dict[str, str]] = {i: {} for i in ids}
    for chunk in _chunks(ids, 500):
        for run_uuid, key, value, is_nan in conn.execute(_LATEST_OF, {"ids": chunk}).all():
            metrics[run_uuid][key] = read_value(value, is_nan)
        for run_uuid, key, value in conn.execute(_PARAMS_OF, {"ids": chunk}).all():
            params[run_uuid][key] = value
        for run_uuid, key, value in conn.execute(_TAGS_OF, {"ids": chunk}).all():
            tags[run_uuid][key] = value
    return [
        Run(
            info(r),
            RunData(
                dict(sorted(metrics[r.run_uuid].items())),
                dict(sorted(params[r.run_uuid].items())),
                dict(sorted(tags[r.run_uuid].items())),
            ),
        )
        for r in rows
    ]


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# MySQL stores no infinities: they are kept as the largest finite double and read back as inf.
_FLOAT_MAX = sys.float_info.max


def finite(value: float) -> float:
    """Infinities as the largest finite doubles (what MySQL can store)."""
    if value == math.inf:
        return _FLOAT_MAX
    if value == -math.inf:
        return -_FLOAT_MAX
    return value


def read_value(value: float, is_nan: bool) -> float:
    """A stored metric value back as the float that was logged."""
    if is_nan:
        return math.nan
    if value == _FLOAT_MAX:
        return math.inf
    if value == -_FLOAT_MAX:
        return -math.inf
    return value


def require_run(conn: Connection, run_id: str, for_write: bool = False) -> RunRow:
    """The run's row; NotFound if missing, InvalidState if deleted and ``for_write``."""
    found = SELECT_RUN.execute(conn, {"run_id": run_id})
    if not found:
        raise NotFound(f"no run has id {run_id!r}")
    row = RunRow(*found[0])
    if for_write and row.lifecycle_stage != ACTIVE:
        raise InvalidState(f"run {run_id} is deleted; restore it before logging to it")
    return row
