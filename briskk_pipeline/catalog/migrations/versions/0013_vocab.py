"""`skus.color_family`, `skus.size_normalised`, `skus.size_system`: the colour's family and the
size's system and normalised value, read from the brand's words by `vocab/` (issue 22, item 3).

The brand's `color` and `size` are unchanged. Rows stored before this revision are read once
here, with the same rules the load uses (`vocab.store.refresh_all`).

Revision ID: 0013_vocab
Revises: 0012_readiness
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_vocab"
down_revision: str | Sequence[str] | None = "0012_readiness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from briskk_pipeline.vocab.store import refresh_all

    op.add_column("skus", sa.Column("color_family", sa.Text))
    op.add_column("skus", sa.Column("size_normalised", sa.Text))
    op.add_column("skus", sa.Column("size_system", sa.Text))
    op.create_index("skus_tenant_color_family_idx", "skus", ["tenant", "color_family"])
    refresh_all(op.get_bind())


def downgrade() -> None:
    op.drop_index("skus_tenant_color_family_idx", table_name="skus")
    op.drop_column("skus", "size_system")
    op.drop_column("skus", "size_normalised")
    op.drop_column("skus", "color_family")
