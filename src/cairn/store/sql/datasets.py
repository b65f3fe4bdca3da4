"""Datasets as runs recorded them (``run_dataset_inputs`` joined to ``runs``), by name."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.entities import DatasetSummary, DatasetUse, DatasetVersion, LifecycleStage
from cairn.errors import NotFound
from cairn.store.base import DatasetRepository
from cairn.store.sql import schema as t
from cairn.store.sql.engine import read_connection
from cairn.store.sql.run_io import dataset_input_of

CONTEXT_TAG = "mlflow.data.context"
MAX_DIGEST_USES = 1000
_inputs = t.run_dataset_inputs
_runs = t.runs


def _visible(experiment_ids: list[int] | None) -> list[sa.ColumnElement[bool]]:
    where = [_runs.c.lifecycle_stage == LifecycleStage.ACTIVE.value]
    if experiment_ids is not None:
        where.append(_runs.c.experiment_id.in_(experiment_ids))
    return where


def _uses_query(experiment_ids: list[int] | None) -> sa.Select[Any]:
    """Dataset inputs of visible runs with the run's name, experiment and start time."""
    return (
        sa.select(
            _inputs,
            _runs.c.name.label("run_name"),
            _runs.c.experiment_id,
            _runs.c.start_time,
        )
        .join(_runs, _runs.c.run_uuid == _inputs.c.run_uuid)
        .where(*_visible(experiment_ids))
        .order_by(_runs.c.start_time.desc(), _inputs.c.run_uuid)
    )


class SqlDatasetRepository(DatasetRepository):
    """Dataset names, versions and the runs that read them, from the SQL store."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def _list_datasets(
        self, experiment_ids: list[int] | None, name_like: str | None, max_results: int
    ) -> list[DatasetSummary]:
        last_used = sa.func.max(_runs.c.start_time).label("last_used")
        query = (
            sa.select(
                _inputs.c.dataset_name,
                sa.func.count(sa.distinct(_inputs.c.dataset_digest)).label("versions"),
                sa.func.count(sa.distinct(_inputs.c.run_uuid)).label("runs"),
                last_used,
            )
            .join(_runs, _runs.c.run_uuid == _inputs.c.run_uuid)
            .where(*_visible(experiment_ids))
            .group_by(_inputs.c.dataset_name)
            .order_by(last_used.desc(), _inputs.c.dataset_name)
            .limit(max_results)
        )
        if name_like is not None:
            query = query.where(_inputs.c.dataset_name.like(name_like))
        with read_connection(self._engine) as conn:
            return [
                DatasetSummary(row.dataset_name, row.versions, row.runs, row.last_used)
                for row in conn.execute(query)
            ]

    def _get_dataset(self, name: str, experiment_ids: list[int] | None) -> list[DatasetVersion]:
        found = self._versions(_uses_query(experiment_ids).where(_inputs.c.dataset_name == name))
        if not found:
            raise NotFound(
                f"no run read a dataset named {name!r}; "
                "`cairn data lineage` lists the datasets runs have logged"
            )
        return found

    def _get_dataset_versions(
        self, digest: str, experiment_ids: list[int] | None
    ) -> list[DatasetVersion]:
        # ``digest`` is lowercase hex (checked), so it holds no LIKE wildcard.
        query = _uses_query(experiment_ids).where(_inputs.c.dataset_digest.like(f"{digest}%"))
        found = self._versions(query.limit(MAX_DIGEST_USES))
        if not found:
            raise NotFound(
                f"no run logged a dataset whose digest starts with {digest!r}; "
                "`cairn data lineage NAME` lists the digests of a dataset"
            )
        return found

    def _versions(self, query: sa.Select[Any]) -> list[DatasetVersion]:
        """Rows of :func:`_uses_query` grouped into versions, newest first."""
        versions: dict[tuple[str, str], DatasetVersion] = {}
        with read_connection(self._engine) as conn:
            for row in conn.execute(query):
                dataset = dataset_input_of(row)
                version = versions.get((dataset.name, dataset.digest))
                if version is None:
                    version = versions[(dataset.name, dataset.digest)] = DatasetVersion(dataset)
                version.uses.append(
                    DatasetUse(
                        run_id=row.run_uuid,
                        run_name=row.run_name,
                        experiment_id=str(row.experiment_id),
                        start_time=row.start_time,
                        context=dataset.tags.get(CONTEXT_TAG),
                    )
                )
        # Newest first: by the latest run that read each version.
        return sorted(versions.values(), key=lambda v: -max(u.start_time for u in v.uses))
