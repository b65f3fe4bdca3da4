"""Pipeline schedules and their runs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("schedule_id", RowId, nullable=False, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("cron", sa.String(256), nullable=False),
        sa.Column("pipeline", sa.Text, nullable=False),
        sa.Column("stages", sa.Text, nullable=False),
        sa.Column("experiment", sa.String(256), nullable=True),
        sa.Column("catch_up", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("creator", sa.String(256), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("next_due_time", sa.BigInteger, nullable=False),
        sa.Column("last_start_time", sa.BigInteger, nullable=True),
        sa.Column("lease_expiry_time", sa.BigInteger, nullable=True),
        sa.Column("lease_owner", sa.String(256), nullable=True),
        sa.PrimaryKeyConstraint("schedule_id", name="pk_schedules"),
        sa.UniqueConstraint("name", name="uq_schedules_name"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_index("ix_schedules_enabled_next_due_time", "schedules", ["enabled", "next_due_time"])
    op.create_table(
        "schedule_runs",
        sa.Column("schedule_run_id", RowId, nullable=False, autoincrement=True),
        sa.Column("schedule_id", RowId, nullable=False),
        sa.Column("due_time", sa.BigInteger, nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("runner", sa.String(256), nullable=False),
        sa.Column("pipeline_run_id", sa.String(32), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("schedule_run_id", name="pk_schedule_runs"),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.schedule_id"],
            name="fk_schedule_runs_schedule_id_schedules",
            ondelete="CASCADE",
        ),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_index(
        "ix_schedule_runs_schedule_id", "schedule_runs", ["schedule_id", "schedule_run_id"]
    )


def downgrade() -> None:
    op.drop_table("schedule_runs")
    op.drop_table("schedules")
