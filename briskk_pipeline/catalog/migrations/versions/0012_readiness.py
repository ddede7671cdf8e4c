"""Marketplace readiness (readiness/): image facts, tenant channel settings, verdicts.

- `images.border_white` (0..1, the share of the image's border pixels that are near-white,
  every channel >= 245) and `images.phash` (imagehash's 64-bit perceptual hash, 16 hex
  digits): measured once when an image is stored (`readiness/image_facts.py`). Images stored
  before this revision have NULL here; readiness measures them from the object store the first
  time it needs them and writes the values back.
- `tenant_readiness`: per tenant, the channels it sells on, the channels whose rule sets
  block loading, whether a bad barcode check digit is a problem, and its own tax rule id ->
  GST rate map (`readiness/settings.py`).
- `upload_readiness`: per upload, product and channel, `ready` or the failing rules
  (`readiness/store.py`); the newest verdict of a product in the catalog is what
  `briskk readiness` and `GET /readiness` list.

Revision ID: 0012_readiness
Revises: 0011_hardening
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_readiness"
down_revision: str | Sequence[str] | None = "0011_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("images", sa.Column("border_white", sa.Float()))
    op.add_column("images", sa.Column("phash", sa.Text()))
    op.create_table(
        "tenant_readiness",
        sa.Column("tenant_key", sa.Text(), primary_key=True),
        sa.Column("channels", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "blocking",
            postgresql.ARRAY(sa.Text()),
            nullable=False,
            server_default=sa.text("'{}'::text[]"),
        ),
        sa.Column("strict_barcodes", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column(
            "tax_rules",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "upload_readiness",
        sa.Column("upload_id", sa.Text(), sa.ForeignKey("uploads.upload_id"), primary_key=True),
        sa.Column("product_id", sa.Text(), primary_key=True),
        sa.Column("channel", sa.Text(), primary_key=True),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("row", sa.Integer()),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column(
            "failures", postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "upload_readiness_product_idx",
        "upload_readiness",
        ["tenant", "product_id", "channel", "checked_at"],
    )


def downgrade() -> None:
    op.drop_index("upload_readiness_product_idx", table_name="upload_readiness")
    op.drop_table("upload_readiness")
    op.drop_table("tenant_readiness")
    op.drop_column("images", "phash")
    op.drop_column("images", "border_white")
