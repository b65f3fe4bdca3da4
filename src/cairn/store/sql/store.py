"""``SqlStore``: the metadata store on SQLite, PostgreSQL or MySQL."""

from __future__ import annotations

import contextlib
import getpass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cairn.store.base import Store, now_ms
from cairn.store.sql import schema as t
from cairn.store.sql.audit import SqlAuditRepository, append_event
from cairn.store.sql.auth import SqlAuthRepository
from cairn.store.sql.datasets import SqlDatasetRepository
from cairn.store.sql.engine import create_engine, run_write
from cairn.store.sql.experiments import SqlExperimentRepository
from cairn.store.sql.logged_models import SqlLoggedModelRepository
from cairn.store.sql.migrate import upgrade
from cairn.store.sql.monitors import SqlMonitorRepository
from cairn.store.sql.registry import SqlRegistryRepository
from cairn.store.sql.run_io import SqlRunIORepository
from cairn.store.sql.runs import SqlRunRepository
from cairn.store.sql.schedules import SqlScheduleRepository

DEFAULT_EXPERIMENT_NAME = "Default"


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def default_artifact_root_for(uri: str) -> str:
    """Artifacts sit beside a SQLite file; other databases default to ./.cairn/artifacts."""
    url = sa.make_url(uri) if "://" in uri else None
    if (
        url is not None
        and url.get_backend_name() == "sqlite"
        and url.database not in (None, "", ":memory:")
    ):
        return str(Path(url.database).resolve().parent / "artifacts")
    return str(Path.cwd() / ".cairn" / "artifacts")


class SqlStore(Store):
    """The metadata store in a SQL database, migrated to the current schema on open."""

    def __init__(
        self, uri: str, artifact_root: str | None = None, actor: str | None = None
    ) -> None:
        self.uri = uri
        self.actor = actor or _local_user()
        self._engine = create_engine(uri)
        self._artifact_root = (artifact_root or default_artifact_root_for(uri)).rstrip("/")
        upgrade(self._engine)
        self.experiments = SqlExperimentRepository(self._engine, self._artifact_root, self.actor)
        self.runs = SqlRunRepository(self._engine, self.actor)
        self.audit = SqlAuditRepository(self._engine, self.actor)
        self.logged_models = SqlLoggedModelRepository(self._engine, self.actor)
        self.run_io = SqlRunIORepository(self._engine, self.actor)
        self.datasets = SqlDatasetRepository(self._engine)
        self.schedules = SqlScheduleRepository(self._engine, self.actor)
        self.registry = SqlRegistryRepository(self._engine, self.actor)
        self.monitors = SqlMonitorRepository(self._engine, self.actor)
        self.auth = SqlAuthRepository(self._engine, self.actor)
        self._ensure_default_experiment()

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for other capabilities' repositories)."""
        return self._engine

    @property
    def default_artifact_root(self) -> str:
        """Where new experiments keep artifacts unless they name a location."""
        return self._artifact_root

    def _ensure_default_experiment(self) -> None:
        with self._engine.connect() as conn:
            exists = conn.execute(
                sa.select(t.experiments.c.experiment_id).where(t.experiments.c.experiment_id == 0)
            ).first()
        if exists is not None:
            return

        def create(conn: Connection) -> None:
            if conn.dialect.name in ("mysql", "mariadb"):
                conn.execute(
                    sa.text("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
                )
            found = conn.execute(
                sa.select(t.experiments.c.experiment_id).where(t.experiments.c.experiment_id == 0)
            ).first()
            if found is not None:
                return
            now = now_ms()
            location = f"{self._artifact_root}/0"
            conn.execute(
                t.experiments.insert().values(
                    experiment_id=0,
                    name=DEFAULT_EXPERIMENT_NAME,
                    artifact_location=location,
                    lifecycle_stage="active",
                    creation_time=now,
                    last_update_time=now,
                )
            )
            append_event(
                conn,
                self.actor,
                "experiment.create",
                "experiment:0",
                {"name": DEFAULT_EXPERIMENT_NAME, "artifact_location": location, "tags": {}},
            )

        with contextlib.suppress(IntegrityError):  # another process created it meanwhile
            run_write(self._engine, create)

    def close(self) -> None:
        """Release the connection pool."""
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"SqlStore({self.uri!r})"
