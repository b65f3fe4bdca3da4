"""What runs read and produced, in the SQL store: ``run_dataset_inputs``, ``run_model_links``.

The audit payload of a logged input names each dataset and carries the BLAKE3 digests of its
source, schema and profile (which may run to MiBs) rather than the texts themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import blake3
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cairn.entities import DatasetInput, ModelOutput, RunIO
from cairn.errors import NotFound
from cairn.store.base import RunIORepository
from cairn.store.sql import schema as t
from cairn.store.sql.audit import append_event, canonical_json
from cairn.store.sql.engine import read_connection, run_write
from cairn.store.sql.run_reads import entity, require_run

INPUT = "input"
OUTPUT = "output"
_inputs = t.run_dataset_inputs
_links = t.run_model_links


class SqlRunIORepository(RunIORepository):
    """Run inputs (datasets, logged models) and outputs (logged models)."""

    def __init__(self, engine: sa.Engine, actor: str) -> None:
        self._engine = engine
        self._actor = actor

    def _log_inputs(self, run_id: str, datasets: list[DatasetInput], models: list[str]) -> None:
        def log(conn: Connection) -> None:
            require_run(conn, run_id, for_write=True)
            _require_models(conn, models)
            logged = conn.execute(
                sa.select(_inputs.c.dataset_name, _inputs.c.dataset_digest, _inputs.c.seq).where(
                    _inputs.c.run_uuid == run_id
                )
            ).all()
            known = {(name, digest) for name, digest, _ in logged}
            seq = max((row.seq for row in logged), default=-1) + 1
            rows: list[dict[str, object]] = []
            for d in datasets:
                if (d.name, d.digest) in known:
                    continue
                known.add((d.name, d.digest))
                rows.append(
                    {
                        "run_uuid": run_id,
                        "seq": seq + len(rows),
                        "dataset_name": d.name,
                        "dataset_digest": d.digest,
                        "source_type": d.source_type,
                        "source": d.source,
                        "dataset_schema": d.schema,
                        "profile": d.profile,
                        "tags": canonical_json(d.tags),
                    }
                )
            if rows:
                conn.execute(_inputs.insert(), rows)
            _link(conn, run_id, INPUT, [ModelOutput(m, 0) for m in models])
            append_event(
                conn,
                self._actor,
                "run.log_inputs",
                entity(run_id),
                {"datasets": [_described(d) for d in datasets], "models": models},
            )

        run_write(self._engine, log)

    def _log_outputs(self, run_id: str, models: list[ModelOutput]) -> None:
        def log(conn: Connection) -> None:
            require_run(conn, run_id, for_write=True)
            _require_models(conn, [m.model_id for m in models])
            _link(conn, run_id, OUTPUT, models)
            append_event(
                conn,
                self._actor,
                "run.log_outputs",
                entity(run_id),
                {"models": [[m.model_id, m.step] for m in models]},
            )

        run_write(self._engine, log)

    def _get_run_io(self, run_id: str) -> RunIO:
        with read_connection(self._engine) as conn:
            require_run(conn, run_id)
            return _load(conn, [run_id])[run_id]

    def _get_runs_io(self, run_ids: list[str]) -> dict[str, RunIO]:
        with read_connection(self._engine) as conn:
            return _load(conn, run_ids)


def _described(d: DatasetInput) -> dict[str, object]:
    def digest(text: str | None) -> str | None:
        return None if text is None else blake3.blake3(text.encode()).hexdigest()

    return {
        "name": d.name,
        "digest": d.digest,
        "source_type": d.source_type,
        "source_blake3": digest(d.source),
        "schema_blake3": digest(d.schema),
        "profile_blake3": digest(d.profile),
        "tags": d.tags,
    }


def _require_models(conn: Connection, model_ids: list[str]) -> None:
    if not model_ids:
        return
    found = set(
        conn.execute(
            sa.select(t.logged_models.c.model_id).where(t.logged_models.c.model_id.in_(model_ids))
        ).scalars()
    )
    missing = [m for m in model_ids if m not in found]
    if missing:
        raise NotFound(f"no logged model has id {missing[0]!r}")


def _next_seq(conn: Connection, table: sa.Table, run_id: str) -> int:
    top = conn.execute(
        sa.select(sa.func.max(table.c.seq)).where(table.c.run_uuid == run_id)
    ).scalar()
    return 0 if top is None else int(top) + 1


def _link(conn: Connection, run_id: str, direction: str, models: list[ModelOutput]) -> None:
    if not models:
        return
    known = set(
        conn.execute(
            sa.select(_links.c.model_id).where(
                _links.c.run_uuid == run_id, _links.c.direction == direction
            )
        ).scalars()
    )
    seq = _next_seq(conn, _links, run_id)
    rows: list[dict[str, object]] = []
    for m in models:
        if m.model_id in known:
            continue
        known.add(m.model_id)
        rows.append(
            {
                "run_uuid": run_id,
                "model_id": m.model_id,
                "direction": direction,
                "step": m.step,
                "seq": seq + len(rows),
            }
        )
    if rows:
        conn.execute(_links.insert(), rows)


def dataset_input_of(row: sa.Row[Any]) -> DatasetInput:
    """The run input a ``run_dataset_inputs`` row records."""
    return DatasetInput(
        name=row.dataset_name,
        digest=row.dataset_digest,
        source_type=row.source_type,
        source=row.source,
        schema=row.dataset_schema,
        profile=row.profile,
        tags=json.loads(row.tags),
    )


def _load(conn: Connection, run_ids: list[str]) -> dict[str, RunIO]:
    found = {run_id: RunIO() for run_id in run_ids}
    for chunk in _chunks(run_ids, 500):
        for row in conn.execute(
            sa.select(_inputs).where(_inputs.c.run_uuid.in_(chunk)).order_by(_inputs.c.seq)
        ):
            found[row.run_uuid].datasets.append(dataset_input_of(row))
        for row in conn.execute(
            sa.select(_links).where(_links.c.run_uuid.in_(chunk)).order_by(_links.c.seq)
        ):
            io = found[row.run_uuid]
            if row.direction == INPUT:
                io.model_inputs.append(row.model_id)
            else:
                io.model_outputs.append(ModelOutput(row.model_id, row.step))
    return found


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
