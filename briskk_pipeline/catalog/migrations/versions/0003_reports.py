"""Brand feedback: dry runs (`previewed` uploads and what they would change) and report URIs.

`report_uri` is where the upload's annotated workbook is stored (`reports/<upload_id>.xlsx`);
`dry_run` marks an upload registered by `briskk ingest --dry-run`, whose runs never change
the catalog; `changes` holds what such a preview found (per product, old -> new); status
`previewed` is its final state.

Revision ID: 0003_reports
Revises: 0001_initial
Create Date: 2026-11-27 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_reports"
down_revision: str | Sequence[str] | None = "0002_tenants"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("uploads", sa.Column("report_uri", sa.Text()))
    op.add_column(
        "uploads", sa.Column("dry_run", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("uploads", sa.Column("changes", postgresql.JSONB()))
    op.drop_constraint("uploads_status_check", "uploads", type_="check")
    op.create_check_constraint(
        "uploads_status_check",
        "uploads",
        "status IN ('running', 'succeeded', 'rejected', 'failed', 'previewed')",
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM upload_errors WHERE upload_id IN "
        "(SELECT upload_id FROM uploads WHERE status = 'previewed')"
    )
    op.execute("DELETE FROM uploads WHERE status = 'previewed'")
    op.drop_constraint("uploads_status_check", "uploads", type_="check")
    op.create_check_constraint(
        "uploads_status_check",
        "uploads",
        "status IN ('running', 'succeeded', 'rejected', 'failed')",
    )
    op.drop_column("uploads", "changes")
    op.drop_column("uploads", "dry_run")
    op.drop_column("uploads", "report_uri")
