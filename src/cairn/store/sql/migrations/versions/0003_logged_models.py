"""Logged models (tags, params, metrics) and what runs read and produced.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _model_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model_id"],
        ["logged_models.model_id"],
        name=f"fk_{table}_model_id_logged_models",
        ondelete="CASCADE",
    )


def _run_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["run_uuid"], ["runs.run_uuid"], name=f"fk_{table}_run_uuid_runs", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("experiment_id", RowId, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("artifact_location", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_message", sa.Text, nullable=True),
        sa.Column("model_type", sa.String(256), nullable=True),
        sa.Column("source_run_uuid", sa.String(32), nullable=True),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_update_time", sa.BigInteger, nullable=False),
        sa.Column("deleted_time", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("model_id", name="pk_logged_models"),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_logged_models_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_index(
        "ix_logged_models_experiment_stage_created",
        "logged_models",
        ["experiment_id", "lifecycle_stage", "creation_time"],
    )
    op.create_index("ix_logged_models_source_run", "logged_models", ["source_run_uuid"])
    for table, length in (("logged_model_tags", 8000), ("logged_model_params", 6000)):
        op.create_table(
            table,
            sa.Column("model_id", sa.String(64), nullable=False),
            sa.Column("key", sa.String(250), nullable=False),
            sa.Column("value", sa.String(length), nullable=False),
            sa.PrimaryKeyConstraint("model_id", "key", name=f"pk_{table}"),
            _model_fk(table),
            **MYSQL,
        )
    op.create_table(
        "logged_model_metrics",
        sa.Column("metric_id", RowId, nullable=False, autoincrement=True),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("run_uuid", sa.String(32), nullable=True),
        sa.Column("dataset_name", sa.String(500), nullable=True),
        sa.Column("dataset_digest", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("metric_id", name="pk_logged_model_metrics"),
        _model_fk("logged_model_metrics"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_index(
        "ix_logged_model_metrics_model_key", "logged_model_metrics", ["model_id", "key"]
    )
    op.create_table(
        "run_dataset_inputs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("dataset_name", sa.String(500), nullable=False),
        sa.Column("dataset_digest", sa.String(36), nullable=False),
        sa.Column("source_type", sa.String(64), nullable=False),
        sa.Column("source", LongText, nullable=False),
        sa.Column("dataset_schema", LongText, nullable=True),
        sa.Column("profile", LongText, nullable=True),
        sa.Column("tags", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "seq", name="pk_run_dataset_inputs"),
        sa.UniqueConstraint(
            "run_uuid",
            "dataset_name",
            "dataset_digest",
            name="uq_run_dataset_inputs_run_uuid_dataset_name_dataset_digest",
        ),
        _run_fk("run_dataset_inputs"),
        **MYSQL,
    )
    op.create_table(
        "run_model_links",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "model_id", "direction", name="pk_run_model_links"),
        _run_fk("run_model_links"),
        _model_fk("run_model_links"),
        **MYSQL,
    )
    op.create_index("ix_run_model_links_model", "run_model_links", ["model_id"])


def downgrade() -> None:
    for table in (
        "run_model_links",
        "run_dataset_inputs",
        "logged_model_metrics",
        "logged_model_params",
        "logged_model_tags",
        "logged_models",
    ):
        op.drop_table(table)
