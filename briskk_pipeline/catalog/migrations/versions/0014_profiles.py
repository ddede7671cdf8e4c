"""Brand profiles (issue 22, `profiles/`).

- `brand_profiles`: every version of each tenant's profile (header aliases, ignored columns,
  value maps, strict columns, review limits), who stored it, when, and what it changed.
- `header_proposals`: what the header row of an upload rejected for its header would map
  where (the brand page's mapping form).
- `uploads.profile_version`: the profile version the upload's last run used.

Revision ID: 0014_profiles
Revises: 0013_vocab
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_profiles"
down_revision: str | Sequence[str] | None = "0013_vocab"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("uploads", sa.Column("profile_version", sa.Integer()))
    op.create_table(
        "brand_profiles",
        sa.Column("tenant_key", sa.Text(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("body", postgresql.JSONB(), nullable=False),
        sa.Column("changes", postgresql.JSONB(), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("upload_id", sa.Text()),
        sa.CheckConstraint("version > 0", name="brand_profiles_version_check"),
    )
    op.create_table(
        "header_proposals",
        sa.Column(
            "upload_id",
            sa.Text(),
            sa.ForeignKey("uploads.upload_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("proposal", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("header_proposals")
    op.drop_table("brand_profiles")
    op.drop_column("uploads", "profile_version")
