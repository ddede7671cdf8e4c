"""What an upload may change (issue 19): its mode, its change summary, review holds.

- `uploads.mode`: `merge` (the default: nothing changes by omission), `replace` (per product
  authoritative: its SKUs the file leaves out are disabled) or `update` (a price-and-stock file:
  only SKUs already in the catalog, only the columns it has). Set at registration.
- `uploads.change_summary`: what the load changed (or, held or previewed, would change):
  counts and the first changes listed (`catalog/summary.py`).
- status `needs_review`: the upload crossed its tenant's limits and waits for an operator
  (`review/`); `review_reasons` says why, `reviewed_at`/`reviewed_by`/`review_decision` who
  decided what.
- `review_limits`: per-tenant limits of what one upload may change before it is held.

Revision ID: 0010_semantics
Revises: 0009_upload_indexes
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_semantics"
down_revision: str | Sequence[str] | None = "0009_upload_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "status IN ('running', 'succeeded', 'rejected', 'failed', 'previewed')"
_NEW = "status IN ('running', 'succeeded', 'rejected', 'failed', 'previewed', 'needs_review')"


def upgrade() -> None:
    op.add_column("uploads", sa.Column("mode", sa.Text(), nullable=False, server_default="merge"))
    op.add_column("uploads", sa.Column("change_summary", postgresql.JSONB()))
    op.add_column(
        "uploads",
        sa.Column(
            "review_reasons",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )
    op.add_column("uploads", sa.Column("review_decision", sa.Text()))
    op.add_column("uploads", sa.Column("reviewed_at", sa.DateTime(timezone=True)))
    op.add_column("uploads", sa.Column("reviewed_by", sa.Text()))
    op.create_check_constraint(
        "uploads_mode_check", "uploads", "mode IN ('merge', 'replace', 'update')"
    )
    op.drop_constraint("uploads_status_check", "uploads", type_="check")
    op.create_check_constraint("uploads_status_check", "uploads", _NEW)
    op.create_index(
        "uploads_needs_review_idx",
        "uploads",
        ["received_at"],
        postgresql_where=sa.text("status = 'needs_review'"),
    )
    op.create_table(
        "review_limits",
        sa.Column("tenant_key", sa.Text(), primary_key=True),
        sa.Column("disabled_share", sa.Numeric()),
        sa.Column("price_factor", sa.Numeric()),
        sa.Column("values_cleared", sa.Integer()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("review_limits")
    op.drop_index("uploads_needs_review_idx", table_name="uploads")
    op.execute("UPDATE uploads SET status = 'rejected' WHERE status = 'needs_review'")
    op.drop_constraint("uploads_status_check", "uploads", type_="check")
    op.create_check_constraint("uploads_status_check", "uploads", _OLD)
    op.drop_constraint("uploads_mode_check", "uploads", type_="check")
    for column in (
        "reviewed_by",
        "reviewed_at",
        "review_decision",
        "review_reasons",
        "change_summary",
        "mode",
    ):
        op.drop_column("uploads", column)
