"""API tokens: one row per bearer token of `briskk serve`, holding only a hash of its secret.

HTTP issue, item 4: `briskk tokens create TENANT [--admin] [--name N]` prints a token once;
the catalog keeps its id, tenant, name, admin flag and the sha256 of its secret (a 256-bit
random secret needs no slow KDF: there is nothing to guess a dictionary against). Revoking
sets `revoked_at`; nothing is deleted, so `briskk tokens list` keeps the history.

Revision ID: 0006_api_tokens
Revises: 0005_upload_heartbeat
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_api_tokens"
down_revision: str | Sequence[str] | None = "0005_upload_heartbeat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.Text(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), server_default="", nullable=False),
        sa.Column("admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("secret_sha256", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("token_id", name="api_tokens_pkey"),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
