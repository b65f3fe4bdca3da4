"""Datasets by name: an index so a dataset's versions and the runs that read them are one lookup.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_run_dataset_inputs_name",
        "run_dataset_inputs",
        ["dataset_name", "dataset_digest"],
    )


def downgrade() -> None:
    op.drop_index("ix_run_dataset_inputs_name", table_name="run_dataset_inputs")
