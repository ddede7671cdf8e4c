"""Catalog history and rollback: what each upload changed, and the rollbacks that undo it.

History issue: `catalog_history` keeps, for every product and SKU row a change set (an
upload's load or a rollback) inserted, updated, disabled or re-enabled, the row before and
after (row images of the `products`/`skus` row types; a product's slots as JSONB), written in
the change set's own transaction. `rollbacks` records
each `briskk rollback` (itself a change set, so it can be rolled back); `uploads` gains
`rolled_back_at` / `rolled_back_by`.

Revision ID: 0007_history
Revises: 0006_api_tokens
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0007_history"
down_revision: str | Sequence[str] | None = "0006_api_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class _RowOf(sa.types.UserDefinedType[object]):
    """A whole row of a catalog table (its PostgreSQL row type), as history/record.py keeps it."""

    cache_ok = True

    def __init__(self, table: str) -> None:
        self.table = table

    def get_col_spec(self, **kw: object) -> str:
        return self.table


def upgrade() -> None:
    op.add_column("uploads", sa.Column("rolled_back_at", sa.DateTime(timezone=True)))
    op.add_column("uploads", sa.Column("rolled_back_by", sa.Text()))
    op.create_table(
        "catalog_history",
        sa.Column("change_set_id", sa.Text(), nullable=False),
        sa.Column("change_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("product_id", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("product_before", _RowOf("products")),
        sa.Column("product_after", _RowOf("products")),
        sa.Column("sku_before", _RowOf("skus")),
        sa.Column("sku_after", _RowOf("skus")),
        sa.Column("images_before", JSONB()),
        sa.Column("images_after", JSONB()),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("change_set_id", "change_id", name="catalog_history_pkey"),
        sa.CheckConstraint("entity IN ('product', 'sku')", name="catalog_history_entity_check"),
    )
    op.create_index("catalog_history_product_idx", "catalog_history", ["tenant", "product_id"])
    op.create_table(
        "rollbacks",
        sa.Column("rollback_id", sa.Text(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("run_id", sa.Text()),
        sa.Column("rolled_back_at", sa.DateTime(timezone=True)),
        sa.Column("rolled_back_by", sa.Text()),
        sa.PrimaryKeyConstraint("rollback_id", name="rollbacks_pkey"),
    )
    op.create_index("rollbacks_target_idx", "rollbacks", ["target_id"])


def downgrade() -> None:
    op.drop_index("rollbacks_target_idx", table_name="rollbacks")
    op.drop_table("rollbacks")
    op.drop_index("catalog_history_product_idx", table_name="catalog_history")
    op.drop_table("catalog_history")
    op.drop_column("uploads", "rolled_back_by")
    op.drop_column("uploads", "rolled_back_at")
