"""The one SQL schema of cairn's metadata store (SQLAlchemy Core tables).

Every capability's rows join here: runs by ``run_uuid``, experiments by ``experiment_id``.
Later capabilities (datasets, models, pipelines, monitors) add tables through Alembic
migrations that reference these keys. Changing a table here needs a new migration in
``migrations/versions``; a test compares the two.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# MySQL/MariaDB compare text case-insensitively by default; keys like "acc" and "ACC" must stay
# distinct, as they are on SQLite and PostgreSQL.
MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

# SQLite only aliases ROWID for a column declared exactly INTEGER PRIMARY KEY.
RowId = BigInteger().with_variant(Integer(), "sqlite")

KEY_LENGTH = 250
PARAM_VALUE_LENGTH = 6000
TAG_VALUE_LENGTH = 8000
# Chunk blobs: LONGBLOB on MySQL (its BLOB stops at 64 KiB; one batch may hold millions of points).
ChunkBlob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", RowId, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(32), nullable=False, default="active"),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    Column("deleted_time", BigInteger, nullable=True),
    sqlite_autoincrement=True,
    **MYSQL,
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        RowId,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", Text, nullable=False),
    **MYSQL,
)

runs = Table(
    "runs",
    metadata,
    Column("run_uuid", String(32), primary_key=True),
    Column("name", String(KEY_LENGTH), nullable=False),
    Column(
        "experiment_id",
        RowId,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("user_id", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("lifecycle_stage", String(32), nullable=False, default="active"),
    Column("deleted_time", BigInteger, nullable=True),
    Column("artifact_uri", Text, nullable=False),
    Column("parent_run_uuid", String(32), nullable=True),
    Index("ix_runs_experiment_stage_start", "experiment_id", "lifecycle_stage", "start_time"),
    Index("ix_runs_parent", "parent_run_uuid"),
    **MYSQL,
)

params = Table(
    "params",
    metadata,
    Column(
        "run_uuid", String(32), ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", String(PARAM_VALUE_LENGTH), nullable=False),
    # The value as a number when it reads as one, so that ``params.lr < 0.01`` compares numbers.
    Column("value_num", Double(), nullable=True),
    Index("ix_params_key_value", "key", "value", mysql_length={"value": 255}),
    Index("ix_params_key_value_num", "key", "value_num"),
    **MYSQL,
)

tags = Table(
    "tags",
    metadata,
    Column(
        "run_uuid", String(32), ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", String(TAG_VALUE_LENGTH), nullable=False),
    Index("ix_tags_key_value", "key", "value", mysql_length={"value": 255}),
    **MYSQL,
)

# The full history of every metric, as columnar chunks (see ``chunks.py``): one row per run,
# key and batch, the points packed as arrays. ``chunk_seq`` is the audit event that wrote the
# chunk (the first one, after compaction); ``seqs`` and ``positions`` name each point's event
# and place in that event's batch, so the audit verifier can rebuild every event's payload.
metric_chunks = Table(
    "metric_chunks",
    metadata,
    Column(
        "run_uuid", String(32), ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("chunk_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("n", Integer, nullable=False),
    Column("min_step", BigInteger, nullable=False),
    Column("max_step", BigInteger, nullable=False),
    Column("is_sorted", Boolean, nullable=False),
    Column("steps", ChunkBlob, nullable=False),
    Column("timestamps", ChunkBlob, nullable=False),
    Column("vals", ChunkBlob, nullable=False),
    Column("seqs", ChunkBlob, nullable=False),
    Column("positions", ChunkBlob, nullable=False),
    **MYSQL,
)

# One row per (run, key): the point with the greatest (step, timestamp, value). Search and
# listings read only this table and never the history.
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column(
        "run_uuid", String(32), ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", Double(), nullable=False),
    Column("is_nan", Boolean, nullable=False, default=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Index("ix_latest_metrics_key_value", "key", "value"),
    **MYSQL,
)

# The hash-chained audit trail: append-only, one event per state-changing store call, written
# in the same transaction as the change it records.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", RowId, primary_key=True, autoincrement=False),
    Column("time", BigInteger, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity", String(512), nullable=False),
    Column("payload", Text, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_entity", "entity"),
    **MYSQL,
)

# A single row holding the chain's head. Writers update it under a row lock, which orders
# concurrent appends on PostgreSQL/MySQL (SQLite orders them by its write lock).
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    **MYSQL,
)

# Ed25519 signatures of the chain's head (``cairn audit sign``): whoever holds the private key
# vouches that the chain up to ``seq`` ended in ``hash``.
audit_signatures = Table(
    "audit_signatures",
    metadata,
    Column("signature_id", RowId, primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("actor", String(256), nullable=False),
    sqlite_autoincrement=True,
    **MYSQL,
)

# How far each client spool file has been shipped; updated in the same transaction as the
# records it covers, so that replaying a spool never stores a record twice.
spool_progress = Table(
    "spool_progress",
    metadata,
    Column("spool_id", String(64), primary_key=True),
    Column("run_uuid", String(32), nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("updated_time", BigInteger, nullable=False),
    **MYSQL,
)

GENESIS_HASH = "0" * 64

# Server authentication (``cairn server --auth``). Passwords and API tokens are stored only as
# hashes; a token keeps its first characters (``prefix``) in clear so that listings can name it.
auth_users = Table(
    "auth_users",
    metadata,
    Column("user_id", RowId, primary_key=True, autoincrement=True),
    Column("username", String(256), nullable=False, unique=True),
    Column("password_hash", String(512), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    sqlite_autoincrement=True,
    **MYSQL,
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("token_id", RowId, primary_key=True, autoincrement=True),
    Column(
        "user_id",
        RowId,
        ForeignKey("auth_users.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(256), nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("creation_time", BigInteger, nullable=False),
    Column("expiry_time", BigInteger, nullable=True),
    Column("revoked_time", BigInteger, nullable=True),
    Index("ix_auth_tokens_user_id", "user_id"),
    sqlite_autoincrement=True,
    **MYSQL,
)

# One explicit grant per (user, resource): ``resource_type`` is "experiment" (``resource_id`` the
# experiment id) or "registered_model" (``resource_id`` the model name).
auth_permissions = Table(
    "auth_permissions",
    metadata,
    Column(
        "user_id",
        RowId,
        ForeignKey("auth_users.user_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("resource_type", String(32), primary_key=True),
    Column("resource_id", String(256), primary_key=True),
    Column("permission", String(16), nullable=False),
    Index("ix_auth_permissions_resource", "resource_type", "resource_id"),
    **MYSQL,
)

# Logged models (MLflow 3's): a model logged from a run, its files under
# ``<experiment artifact location>/models/<model_id>/artifacts``.
ModelId = String(64)
# Dataset descriptions run to MiBs (schemas, profiles); MySQL's TEXT stops at 64 KiB.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")

logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", ModelId, primary_key=True),
    Column(
        "experiment_id",
        RowId,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(256), nullable=False),
    Column("artifact_location", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_message", Text, nullable=True),
    Column("model_type", String(256), nullable=True),
    Column("source_run_uuid", String(32), nullable=True),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    Column("deleted_time", BigInteger, nullable=True),
    Index(
        "ix_logged_models_experiment_stage_created",
        "experiment_id",
        "lifecycle_stage",
        "creation_time",
    ),
    Index("ix_logged_models_source_run", "source_run_uuid"),
    **MYSQL,
)

logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    Column(
        "model_id",
        ModelId,
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", String(TAG_VALUE_LENGTH), nullable=False),
    **MYSQL,
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    Column(
        "model_id",
        ModelId,
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", String(PARAM_VALUE_LENGTH), nullable=False),
    **MYSQL,
)

# Metric points of a logged model, with the run and dataset each came from (values stored as
# in ``latest_metrics``: NaN flagged, infinities as the largest doubles).
logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    Column("metric_id", RowId, primary_key=True, autoincrement=True),
    Column(
        "model_id",
        ModelId,
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("value", Double(), nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("run_uuid", String(32), nullable=True),
    Column("dataset_name", String(500), nullable=True),
    Column("dataset_digest", String(36), nullable=True),
    Index("ix_logged_model_metrics_model_key", "model_id", "key"),
    sqlite_autoincrement=True,
    **MYSQL,
)

# Datasets a run read, described as MLflow describes them; ``tags`` is the input's tags as a
# JSON object. One row per (run, name, digest): the first logging wins, as in MLflow.
run_dataset_inputs = Table(
    "run_dataset_inputs",
    metadata,
    Column(
        "run_uuid", String(32), ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    ),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("dataset_name", String(500), nullable=False),
    Column("dataset_digest", String(36), nullable=False),
    Column("source_type", String(64), nullable=False),
    Column("source", LongText, nullable=False),
    Column("dataset_schema", LongText, nullable=True),
    Column("profile", LongText, nullable=True),
    Column("tags", Text, nullable=False),
    UniqueConstraint("run_uuid", "dataset_name", "dataset_digest"),
    Index("ix_run_dataset_inputs_name", "dataset_name", "dataset_digest"),
    **MYSQL,
)

# Logged models a run read (``direction`` "input") or produced ("output", at ``step``).
run_model_links = Table(
    "run_model_links",
    metadata,
    Column(
        "run_uuid", String(32), ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "model_id",
        ModelId,
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("direction", String(8), primary_key=True),
    Column("step", BigInteger, nullable=False),
    Column("seq", Integer, nullable=False),
    Index("ix_run_model_links_model", "model_id"),
    **MYSQL,
)

# Pipeline schedules (cairn.pipelines.schedules): ``stages`` is a JSON list; the lease columns
# are set while a scheduler runs the schedule's pipeline.
schedules = Table(
    "schedules",
    metadata,
    Column("schedule_id", RowId, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("cron", String(256), nullable=False),
    Column("pipeline", Text, nullable=False),
    Column("stages", Text, nullable=False),
    Column("experiment", String(256), nullable=True),
    Column("catch_up", String(16), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("creator", String(256), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("next_due_time", BigInteger, nullable=False),
    Column("last_start_time", BigInteger, nullable=True),
    Column("lease_expiry_time", BigInteger, nullable=True),
    Column("lease_owner", String(256), nullable=True),
    Index("ix_schedules_enabled_next_due_time", "enabled", "next_due_time"),
    sqlite_autoincrement=True,
    **MYSQL,
)

# Each start of a schedule (or slot it skipped), with the pipeline run it made.
schedule_runs = Table(
    "schedule_runs",
    metadata,
    Column("schedule_run_id", RowId, primary_key=True, autoincrement=True),
    Column(
        "schedule_id",
        RowId,
        ForeignKey("schedules.schedule_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("due_time", BigInteger, nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("status", String(16), nullable=False),
    Column("runner", String(256), nullable=False),
    Column("pipeline_run_id", String(32), nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_schedule_runs_schedule_id", "schedule_id", "schedule_run_id"),
    sqlite_autoincrement=True,
    **MYSQL,
)

# The model registry: a registered model keeps the last version number it handed out
# (``last_version``), bumped in the transaction that creates a version.
registered_models = Table(
    "registered_models",
    metadata,
    Column("registered_model_id", RowId, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("description", Text, nullable=True),
    Column("user_id", String(256), nullable=False),
    Column("last_version", BigInteger, nullable=False),
    sqlite_autoincrement=True,
    **MYSQL,
)

model_tags = Table(
    "model_tags",
    metadata,
    Column(
        "registered_model_id",
        RowId,
        ForeignKey("registered_models.registered_model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    **MYSQL,
)

model_versions = Table(
    "model_versions",
    metadata,
    Column(
        "registered_model_id",
        RowId,
        ForeignKey("registered_models.registered_model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("version", BigInteger, primary_key=True, autoincrement=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("description", Text, nullable=True),
    Column("user_id", String(256), nullable=False),
    Column("source", Text, nullable=False),
    Column("run_id", String(32), nullable=True),
    Column("status", String(32), nullable=False),
    Column("current_stage", String(20), nullable=False),
    Column("model_id", String(64), nullable=True),
    Index("ix_model_versions_run_id", "run_id"),
    **MYSQL,
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("registered_model_id", RowId, primary_key=True),
    Column("version", BigInteger, primary_key=True, autoincrement=False),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    ForeignKeyConstraint(
        ["registered_model_id", "version"],
        ["model_versions.registered_model_id", "model_versions.version"],
        ondelete="CASCADE",
    ),
    **MYSQL,
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column(
        "registered_model_id",
        RowId,
        ForeignKey("registered_models.registered_model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("alias", String(255), primary_key=True),
    Column("version", BigInteger, nullable=False),
    **MYSQL,
)

# Model monitoring (cairn.monitoring): a monitor keeps its spec (JSON), its reference summary
# (a blob of its own format) and the last sequence number it handed out (``last_seq``, bumped
# in the transaction that appends records). Everything else cascades from it.
monitors = Table(
    "monitors",
    metadata,
    Column("monitor_id", RowId, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("model", String(512), nullable=False),
    Column("registered_model", String(256), nullable=False),
    Column("spec", Text, nullable=False),
    Column("reference", ChunkBlob, nullable=False),
    Column("reference_digest", String(64), nullable=False),
    Column("creator", String(256), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Index("ix_monitors_registered_model", "registered_model"),
    sqlite_autoincrement=True,
    **MYSQL,
)


def _monitor_id() -> Column:
    return Column(
        "monitor_id",
        RowId,
        ForeignKey("monitors.monitor_id", ondelete="CASCADE"),
        nullable=False,
    )


# One Parquet blob per ingestion call, holding records first_seq..last_seq.
monitor_chunks = Table(
    "monitor_chunks",
    metadata,
    Column("chunk_id", RowId, primary_key=True, autoincrement=True),
    _monitor_id(),
    Column("first_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("data", ChunkBlob, nullable=False),
    Column("model_version", BigInteger, nullable=True),
    Column("created", BigInteger, nullable=False),
    Index("ix_monitor_chunks_monitor_id_first_seq", "monitor_id", "first_seq"),
    sqlite_autoincrement=True,
    **MYSQL,
)

# One narrow row per prediction; ``label`` is the ground truth as JSON text once it arrives.
monitor_records = Table(
    "monitor_records",
    metadata,
    Column(
        "monitor_id",
        RowId,
        ForeignKey("monitors.monitor_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("request_id", String(128), nullable=True),
    Column("time", BigInteger, nullable=False),
    Column("chunk_id", RowId, nullable=False),
    Column("label", Text, nullable=True),
    Column("label_time", BigInteger, nullable=True),
    UniqueConstraint("monitor_id", "request_id"),
    Index("ix_monitor_records_monitor_id_time", "monitor_id", "time"),
    **MYSQL,
)

# Labels whose request id no record has yet; attached when that prediction arrives.
monitor_unmatched_labels = Table(
    "monitor_unmatched_labels",
    metadata,
    Column(
        "monitor_id",
        RowId,
        ForeignKey("monitors.monitor_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("request_id", String(128), primary_key=True),
    Column("label", Text, nullable=False),
    Column("time", BigInteger, nullable=False),
    **MYSQL,
)

monitor_windows = Table(
    "monitor_windows",
    metadata,
    Column(
        "monitor_id",
        RowId,
        ForeignKey("monitors.monitor_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("window_id", BigInteger, primary_key=True, autoincrement=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=False),
    Column("first_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("row_count", BigInteger, nullable=False),
    Column("labelled_count", BigInteger, nullable=False),
    Column("model_version", BigInteger, nullable=True),
    Column("results", Text, nullable=False),
    Column("computed_time", BigInteger, nullable=False),
    **MYSQL,
)

monitor_alerts = Table(
    "monitor_alerts",
    metadata,
    Column("alert_id", RowId, primary_key=True, autoincrement=True),
    _monitor_id(),
    Column("rule", String(1000), nullable=False),
    Column("window_id", BigInteger, nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("value", Double, nullable=True),
    Column("message", Text, nullable=False),
    Column("actions", Text, nullable=False),
    Index("ix_monitor_alerts_monitor_id_alert_id", "monitor_id", "alert_id"),
    sqlite_autoincrement=True,
    **MYSQL,
)

monitor_state = Table(
    "monitor_state",
    metadata,
    Column(
        "monitor_id",
        RowId,
        ForeignKey("monitors.monitor_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(256), primary_key=True),
    Column("value", Text, nullable=False),
    **MYSQL,
)
