"""Retention: `uploads.pruned_at`, when the retention schedule deleted the upload's outputs.

Scale issue, item 2: `prune_uploads_schedule` deletes the stored asset outputs and the Dagster
partition of finished uploads older than `BRISKK_RETENTION_DAYS`; the record, its errors, the
archived original and the report stay. `briskk rerun UPLOAD_ID` clears `pruned_at`.

Revision ID: 0008_retention
Revises: 0007_history
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_retention"
down_revision: str | Sequence[str] | None = "0007_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("uploads", sa.Column("pruned_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("uploads", "pruned_at")
