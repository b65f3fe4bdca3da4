"""An MLflow tracking store opened for reading: an mlruns folder, an MLflow database or a server.

:func:`parse_source` checks a user's SOURCE without touching it (MLflow would create a missing
folder or database); :func:`open_source` opens it through ``mlflow.MlflowClient`` and probes
it once. Every MLflow error is mapped here, at the boundary, to a :mod:`cairn.errors` error.
``mlflow`` is an optional dependency (``pip install 'cairn[mlflow]'``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from cairn.entities import Metric
from cairn.errors import ConfigError, StoreError

__all__ = ["MlflowSource", "SourceUri", "open_source", "parse_source"]

FORMS = (
    "an mlruns folder (./mlruns or file:///path/mlruns), an MLflow database "
    "(sqlite:///path/mlflow.db, postgresql://..., mysql://..., mssql://...) "
    "or an MLflow server (http://host:5000, https://...)"
)
DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")
MLFLOW_TABLES = {"experiments", "runs", "metrics", "params", "tags"}
PAGE = 1000
# While probing a server: fail fast instead of MLflow's minutes of retries.
PROBE_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


@dataclass(frozen=True, slots=True)
class SourceUri:
    """A checked SOURCE: its kind, the URI MLflow opens, and the form recorded on imported runs."""

    kind: str  # "folder", "database" or "server"
    uri: str
    recorded: str  # absolute, without credentials: the same store always gives the same text


def parse_source(source: str) -> SourceUri:
    """Check and normalise SOURCE; ConfigError naming the accepted forms otherwise."""
    text = os.fspath(source).strip()
    if text.split(":", 1)[0].lower() in ("databricks", "databricks-uc", "uc"):
        raise ConfigError(f"cannot import from {text!r} (Databricks); give {FORMS}")
    scheme = urlsplit(text).scheme.lower() if "://" in text or text.startswith("file:") else ""
    if not scheme or len(scheme) == 1:  # a bare path (``C:\\...`` has a one-letter scheme)
        return _folder(Path(text).expanduser())
    if scheme == "file":
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(f"{text!r} names a folder on another host; give a local folder")
        return _folder(Path(unquote(parts.path)).expanduser())
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return _sqlite(text)
    if base in DATABASE_SCHEMES:
        return _database(text)
    if scheme in ("http", "https"):
        return SourceUri("server", text.rstrip("/"), _without_password(text).rstrip("/"))
    raise ConfigError(f"cannot import from {text!r}: give an MLflow tracking URI, which is {FORMS}")


def _folder(path: Path) -> SourceUri:
    full = path.resolve()
    if full.is_file():
        hint = f"; for an MLflow SQLite database write sqlite:///{full}" if full.suffix else ""
        raise ConfigError(f"{full} is a file, not an mlruns folder{hint}")
    if not full.is_dir():
        raise ConfigError(
            f"the MLflow folder {full} does not exist; give the folder MLflow wrote to "
            "(the one holding 0/meta.yaml, usually ./mlruns)"
        )
    if not any(full.glob("*/meta.yaml")):
        inner = full / "mlruns"
        hint = f"; did you mean {inner}?" if any(inner.glob("*/meta.yaml")) else ""
        raise ConfigError(
            f"{full} is not an MLflow mlruns folder: no experiment folder in it has a "
            f"meta.yaml; give the folder that holds 0/meta.yaml (usually ./mlruns){hint}"
        )
    return SourceUri("folder", full.as_uri(), full.as_uri())


def _sqlite(text: str) -> SourceUri:
    rest = text.split("://", 1)[1]
    if not rest.startswith("/") or rest in ("/", "/:memory:"):
        raise ConfigError(f"{text!r} names no database file; write sqlite:///path/mlflow.db")
    path = Path(unquote(rest[1:].split("?", 1)[0])).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(
            f"the MLflow database {path} does not exist; check the path "
            "(sqlite:///relative/mlflow.db or sqlite:////absolute/mlflow.db)"
        )
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{path} is not a SQLite database: {exc}") from exc
    if not tables >= MLFLOW_TABLES:
        raise ConfigError(f"{path} is not an MLflow database: it has no MLflow runs and metrics")
    return SourceUri("database", f"sqlite:///{path}", f"sqlite:///{path}")


def _database(text: str) -> SourceUri:
    """A PostgreSQL, MySQL or SQL Server database: connect once (MLflow would retry for long)."""
    import sqlalchemy as sa

    recorded = _without_password(text)
    try:
        engine = sa.create_engine(text)
    except (ImportError, sa.exc.ArgumentError) as exc:
        raise ConfigError(
            f"cannot open {recorded}: {exc}; install the database driver MLflow uses "
            "(e.g. pip install psycopg2-binary for postgresql://)"
        ) from exc
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
    except sa.exc.SQLAlchemyError as exc:
        raise ConfigError(f"cannot connect to the MLflow database {recorded}: {exc}") from exc
    finally:
        engine.dispose()
    if not tables >= MLFLOW_TABLES:
        raise ConfigError(
            f"{recorded} is not an MLflow database: it has no MLflow runs and metrics"
        )
    return SourceUri("database", text, recorded)


def _without_password(uri: str) -> str:
    parts = urlsplit(uri)
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0] if "@" in parts.netloc else ""
    keep_user = user and parts.scheme.lower() not in ("http", "https")
    netloc = f"{user}@{host.lower()}" if keep_user else host.lower()
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=netloc))


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set MLflow's environment variables for a while, then put the old values back."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


@contextlib.contextmanager
def _mlflow_errors(what: str) -> Iterator[None]:
    """Map MLflow's errors met while reading ``what`` to StoreError."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        raise StoreError(
            f"reading {what} failed: {exc.message}. Run the import again: it copies only "
            "what is missing and completes the run it was copying"
        ) from exc


class MlflowSource:
    """An opened MLflow tracking store; every read returns MLflow's entities or cairn's values."""

    def __init__(self, location: SourceUri, client: Any) -> None:
        self.location = location
        self.client = client

    @property
    def recorded(self) -> str:
        """The normalised source URI that imported runs and experiments carry."""
        return self.location.recorded

    def experiments(self) -> list[Any]:
        """Every experiment, deleted ones included."""
        from mlflow.entities import ViewType

        return self._paged("experiments", self.client.search_experiments, view_type=ViewType.ALL)

    def runs(self, experiment_id: str) -> list[Any]:
        """Every run of an experiment, deleted ones included."""
        from mlflow.entities import ViewType

        return self._paged(
            f"the runs of experiment {experiment_id}",
            self.client.search_runs,
            experiment_ids=[experiment_id],
            run_view_type=ViewType.ALL,
        )

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of a metric as cairn metrics, by step then time (stable)."""
        with _mlflow_errors(f"metric {key!r} of MLflow run {run_id}"):
            points = self.client.get_metric_history(run_id, key)
        found = [Metric(key, float(m.value), int(m.timestamp), int(m.step)) for m in points]
        return sorted(found, key=lambda m: (m.step, m.timestamp))

    def artifact_files(self, run_id: str, path: str | None = None) -> list[tuple[str, int]]:
        """Every artifact file of a run under ``path``: (relative path, size)."""
        with _mlflow_errors(f"the artifacts of MLflow run {run_id}"):
            entries = self.client.list_artifacts(run_id, path)
        found: list[tuple[str, int]] = []
        for entry in entries:
            if entry.is_dir:
                found.extend(self.artifact_files(run_id, entry.path))
            else:
                found.append((entry.path, int(entry.file_size or 0)))
        return found

    def has_artifacts(self, run_id: str) -> bool:
        """Whether a run has any artifact."""
        with _mlflow_errors(f"the artifacts of MLflow run {run_id}"):
            return bool(self.client.list_artifacts(run_id))

    def download_artifacts(self, run_id: str, dst: Path) -> Path:
        """Download all of a run's artifacts into ``dst``; return the local root."""
        with _mlflow_errors(f"the artifacts of MLflow run {run_id}"):
            return Path(self.client.download_artifacts(run_id, "", str(dst)))

    def count_registered_models(self) -> int:
        """How many registered models the source's registry holds."""
        return len(self._paged("registered models", self.client.search_registered_models))

    def count_logged_models(self, experiment_ids: list[str]) -> int:
        """How many MLflow 3 logged models the experiments hold."""
        if not experiment_ids:
            return 0
        return len(
            self._paged(
                "logged models", self.client.search_logged_models, experiment_ids=experiment_ids
            )
        )

    def _paged(self, what: str, search: Any, **kwargs: Any) -> list[Any]:
        found: list[Any] = []
        token = None
        with _mlflow_errors(what):
            while True:
                page = search(max_results=PAGE, page_token=token, **kwargs)
                found.extend(page)
                token = page.token
                if not token:
                    return found


def _import_mlflow() -> None:
    try:
        import mlflow  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"importing from MLflow needs the mlflow package ({exc}): pip install 'cairn[mlflow]'"
        ) from exc


@contextlib.contextmanager
def open_source(source: str | SourceUri) -> Iterator[MlflowSource]:
    """Open an MLflow store for reading and check that it answers; ConfigError otherwise.

    An mlruns folder is read with ``MLFLOW_ALLOW_FILE_STORE=true`` set while the block runs:
    MLflow 3 keeps its file store only for reading old folders behind that switch.
    """
    location = source if isinstance(source, SourceUri) else parse_source(source)
    _import_mlflow()
    from mlflow import MlflowClient

    allow = {"MLFLOW_ALLOW_FILE_STORE": "true"} if location.kind == "folder" else {}
    with _environment(allow):
        with _opening(location):
            client = MlflowClient(tracking_uri=location.uri, registry_uri=location.uri)
            with _environment(PROBE_ENV):
                client.search_experiments(max_results=1)
        yield MlflowSource(location, client)


@contextlib.contextmanager
def _opening(location: SourceUri) -> Iterator[None]:
    """Map MLflow's errors met while opening and probing a source to ConfigError."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        if location.kind == "server":
            raise ConfigError(
                f"cannot reach the MLflow server at {location.recorded}: {exc.message}. Check "
                "that it runs and that the address is right; a server that needs a login reads "
                "MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN"
            ) from exc
        raise ConfigError(
            f"cannot read the MLflow {location.kind} {location.recorded}: {exc.message}"
        ) from exc
