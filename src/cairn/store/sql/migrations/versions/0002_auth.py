"""Server authentication: users, API tokens and per-resource permissions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "auth_users",
        sa.Column("user_id", RowId, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(256), nullable=False),
        sa.Column("password_hash", sa.String(512), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_update_time", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_auth_users"),
        sa.UniqueConstraint("username", name="uq_auth_users_username"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_table(
        "auth_tokens",
        sa.Column("token_id", RowId, primary_key=True, autoincrement=True),
        sa.Column("user_id", RowId, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("expiry_time", sa.BigInteger, nullable=True),
        sa.Column("revoked_time", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("token_id", name="pk_auth_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_auth_tokens_token_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_users.user_id"],
            name="fk_auth_tokens_user_id_auth_users",
            ondelete="CASCADE",
        ),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_index("ix_auth_tokens_user_id", "auth_tokens", ["user_id"])
    op.create_table(
        "auth_permissions",
        sa.Column("user_id", RowId, nullable=False),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(256), nullable=False),
        sa.Column("permission", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint(
            "user_id", "resource_type", "resource_id", name="pk_auth_permissions"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_users.user_id"],
            name="fk_auth_permissions_user_id_auth_users",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_index(
        "ix_auth_permissions_resource", "auth_permissions", ["resource_type", "resource_id"]
    )


def downgrade() -> None:
    for table in ("auth_permissions", "auth_tokens", "auth_users"):
        op.drop_table(table)
