"""The model registry: registered models, versions, their tags, and aliases.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _model_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["registered_model_id"],
        ["registered_models.registered_model_id"],
        name=f"fk_{table}_registered_model_id_registered_models",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("registered_model_id", RowId, nullable=False, autoincrement=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("last_version", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("registered_model_id", name="pk_registered_models"),
        sa.UniqueConstraint("name", name="uq_registered_models_name"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_table(
        "model_tags",
        sa.Column("registered_model_id", RowId, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("registered_model_id", "key", name="pk_model_tags"),
        _model_fk("model_tags"),
        **MYSQL,
    )
    op.create_table(
        "model_versions",
        sa.Column("registered_model_id", RowId, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("current_stage", sa.String(20), nullable=False),
        sa.Column("model_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("registered_model_id", "version", name="pk_model_versions"),
        _model_fk("model_versions"),
        **MYSQL,
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_table(
        "model_version_tags",
        sa.Column("registered_model_id", RowId, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint(
            "registered_model_id", "version", "key", name="pk_model_version_tags"
        ),
        sa.ForeignKeyConstraint(
            ["registered_model_id", "version"],
            ["model_versions.registered_model_id", "model_versions.version"],
            name="fk_model_version_tags_registered_model_id_model_versions",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_table(
        "model_aliases",
        sa.Column("registered_model_id", RowId, nullable=False),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("registered_model_id", "alias", name="pk_model_aliases"),
        _model_fk("model_aliases"),
        **MYSQL,
    )


def downgrade() -> None:
    for table in (
        "model_aliases",
        "model_version_tags",
        "model_versions",
        "model_tags",
        "registered_models",
    ):
        op.drop_table(table)
