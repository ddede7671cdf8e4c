"""`uploads.report_error`: a step after the catalog load failed (Hardening issue 20, item 1).

The upload keeps the status its load wrote (`succeeded`, `rejected`, `previewed`,
`needs_review`); the failed step's one-line reason is kept here until the step is re-run
and succeeds
(`catalog/step_errors.py`).

Revision ID: 0011_hardening
Revises: 0010_semantics
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_hardening"
down_revision: str | Sequence[str] | None = "0010_semantics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("uploads", sa.Column("report_error", sa.Text))


def downgrade() -> None:
    op.drop_column("uploads", "report_error")
