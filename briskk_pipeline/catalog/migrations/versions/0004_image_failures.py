"""Uploads keep their image failures: `uploads.image_failures`, a JSON list.

Each entry is `{row, column, url, status, reason}` for an image slot of the upload that was not
stored (failed, blocked, not fetched). The row numbers exist only in the upload (the catalog's
image slots are per product and are overwritten by later uploads), so they are recorded with it.
Uploads recorded before this revision get an empty list.

Revision ID: 0004_image_failures
Revises: 0003_reports
Create Date: 2025-01-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_image_failures"
down_revision: str | Sequence[str] | None = "0003_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "uploads",
        sa.Column(
            "image_failures",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )


def downgrade() -> None:
    op.drop_column("uploads", "image_failures")
