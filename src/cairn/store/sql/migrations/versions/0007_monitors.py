"""Model monitoring: monitors, their record chunks and records, labels, windows, alerts, state.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Blob = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
TABLES = (
    "monitor_state",
    "monitor_alerts",
    "monitor_windows",
    "monitor_unmatched_labels",
    "monitor_records",
    "monitor_chunks",
    "monitors",
)


def _monitor_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["monitor_id"],
        ["monitors.monitor_id"],
        name=f"fk_{table}_monitor_id_monitors",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "monitors",
        sa.Column("monitor_id", RowId, nullable=False, autoincrement=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("model", sa.String(512), nullable=False),
        sa.Column("registered_model", sa.String(256), nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("reference", Blob, nullable=False),
        sa.Column("reference_digest", sa.String(64), nullable=False),
        sa.Column("creator", sa.String(256), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("monitor_id", name="pk_monitors"),
        sa.UniqueConstraint("name", name="uq_monitors_name"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_index("ix_monitors_registered_model", "monitors", ["registered_model"])
    op.create_table(
        "monitor_chunks",
        sa.Column("chunk_id", RowId, nullable=False, autoincrement=True),
        sa.Column("monitor_id", RowId, nullable=False),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("data", Blob, nullable=False),
        sa.Column("model_version", sa.BigInteger, nullable=True),
        sa.Column("created", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("chunk_id", name="pk_monitor_chunks"),
        _monitor_fk("monitor_chunks"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_index(
        "ix_monitor_chunks_monitor_id_first_seq", "monitor_chunks", ["monitor_id", "first_seq"]
    )
    op.create_table(
        "monitor_records",
        sa.Column("monitor_id", RowId, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("time", sa.BigInteger, nullable=False),
        sa.Column("chunk_id", RowId, nullable=False),
        sa.Column("label", sa.Text, nullable=True),
        sa.Column("label_time", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("monitor_id", "seq", name="pk_monitor_records"),
        sa.UniqueConstraint(
            "monitor_id", "request_id", name="uq_monitor_records_monitor_id_request_id"
        ),
        _monitor_fk("monitor_records"),
        **MYSQL,
    )
    op.create_index("ix_monitor_records_monitor_id_time", "monitor_records", ["monitor_id", "time"])
    op.create_table(
        "monitor_unmatched_labels",
        sa.Column("monitor_id", RowId, nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("time", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("monitor_id", "request_id", name="pk_monitor_unmatched_labels"),
        _monitor_fk("monitor_unmatched_labels"),
        **MYSQL,
    )
    op.create_table(
        "monitor_windows",
        sa.Column("monitor_id", RowId, nullable=False),
        sa.Column("window_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger, nullable=False),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("labelled_count", sa.BigInteger, nullable=False),
        sa.Column("model_version", sa.BigInteger, nullable=True),
        sa.Column("results", sa.Text, nullable=False),
        sa.Column("computed_time", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("monitor_id", "window_id", name="pk_monitor_windows"),
        _monitor_fk("monitor_windows"),
        **MYSQL,
    )
    op.create_table(
        "monitor_alerts",
        sa.Column("alert_id", RowId, nullable=False, autoincrement=True),
        sa.Column("monitor_id", RowId, nullable=False),
        sa.Column("rule", sa.String(1000), nullable=False),
        sa.Column("window_id", sa.BigInteger, nullable=False),
        sa.Column("time", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("actions", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name="pk_monitor_alerts"),
        _monitor_fk("monitor_alerts"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_index(
        "ix_monitor_alerts_monitor_id_alert_id", "monitor_alerts", ["monitor_id", "alert_id"]
    )
    op.create_table(
        "monitor_state",
        sa.Column("monitor_id", RowId, nullable=False),
        sa.Column("key", sa.String(256), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("monitor_id", "key", name="pk_monitor_state"),
        _monitor_fk("monitor_state"),
        **MYSQL,
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
