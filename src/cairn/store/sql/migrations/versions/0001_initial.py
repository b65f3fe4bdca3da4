"""The first schema: experiments, runs, params, tags, metric chunks, audit trail, spool progress.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ChunkBlob = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", RowId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("artifact_location", sa.Text, nullable=False),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_update_time", sa.BigInteger, nullable=False),
        sa.Column("deleted_time", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("experiment_id", name="pk_experiments"),
        sa.UniqueConstraint("name", name="uq_experiments_name"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_table(
        "experiment_tags",
        sa.Column("experiment_id", RowId, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", "key", name="pk_experiment_tags"),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_experiment_tags_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_table(
        "runs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("experiment_id", RowId, nullable=False),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("deleted_time", sa.BigInteger, nullable=True),
        sa.Column("artifact_uri", sa.Text, nullable=False),
        sa.Column("parent_run_uuid", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("run_uuid", name="pk_runs"),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_runs_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_index(
        "ix_runs_experiment_stage_start", "runs", ["experiment_id", "lifecycle_stage", "start_time"]
    )
    op.create_index("ix_runs_parent", "runs", ["parent_run_uuid"])
    op.create_table(
        "params",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.String(6000), nullable=False),
        sa.Column("value_num", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_params"),
        sa.ForeignKeyConstraint(
            ["run_uuid"], ["runs.run_uuid"], name="fk_params_run_uuid_runs", ondelete="CASCADE"
        ),
        **MYSQL,
    )
    op.create_index("ix_params_key_value", "params", ["key", "value"], mysql_length={"value": 255})
    op.create_index("ix_params_key_value_num", "params", ["key", "value_num"])
    op.create_table(
        "tags",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.String(8000), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_tags"),
        sa.ForeignKeyConstraint(
            ["run_uuid"], ["runs.run_uuid"], name="fk_tags_run_uuid_runs", ondelete="CASCADE"
        ),
        **MYSQL,
    )
    op.create_index("ix_tags_key_value", "tags", ["key", "value"], mysql_length={"value": 255})
    op.create_table(
        "metric_chunks",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("chunk_seq", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("min_step", sa.BigInteger, nullable=False),
        sa.Column("max_step", sa.BigInteger, nullable=False),
        sa.Column("is_sorted", sa.Boolean, nullable=False),
        *(
            sa.Column(name, ChunkBlob, nullable=False)
            for name in ("steps", "timestamps", "vals", "seqs", "positions")
        ),
        sa.PrimaryKeyConstraint("run_uuid", "key", "chunk_seq", name="pk_metric_chunks"),
        sa.ForeignKeyConstraint(
            ["run_uuid"],
            ["runs.run_uuid"],
            name="fk_metric_chunks_run_uuid_runs",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_table(
        "latest_metrics",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_latest_metrics"),
        sa.ForeignKeyConstraint(
            ["run_uuid"],
            ["runs.run_uuid"],
            name="fk_latest_metrics_run_uuid_runs",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.create_table(
        "audit_events",
        sa.Column("seq", RowId, nullable=False, autoincrement=False),
        sa.Column("time", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(512), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_events"),
        **MYSQL,
    )
    op.create_index("ix_audit_events_entity", "audit_events", ["entity"])
    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
        **MYSQL,
    )
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    op.create_table(
        "spool_progress",
        sa.Column("spool_id", sa.String(64), nullable=False),
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("updated_time", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("spool_id", name="pk_spool_progress"),
        **MYSQL,
    )


def downgrade() -> None:
    for table in (
        "spool_progress",
        "audit_head",
        "audit_events",
        "latest_metrics",
        "metric_chunks",
        "tags",
        "params",
        "runs",
        "experiment_tags",
        "experiments",
    ):
        op.drop_table(table)
