"""Initial catalog: uploads and their errors, products, SKUs, images and product image slots.

Written by hand to match `briskk_pipeline/catalog/tables.py` as of this revision. Migrations
are history: this file must not import the current table definitions, which will move on.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _audit_columns() -> list[sa.Column]:
    return [
        sa.Column("first_upload_id", sa.Text(), nullable=False),
        sa.Column("last_upload_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("upload_id", sa.Text(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("explicit_tenant", sa.Text()),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("archive_uri", sa.Text(), nullable=False),
        sa.Column("archive_key", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text()),
        sa.Column("products_loaded", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("skus_loaded", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("products_rejected", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rows_rejected", sa.Integer(), nullable=False, server_default="0"),
        sa.Column(
            "warnings",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
        sa.Column(
            "images",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
        sa.Column("failure_reason", sa.Text()),
        sa.Column("seconds", sa.Float()),
        sa.PrimaryKeyConstraint("upload_id", name="uploads_pkey"),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'rejected', 'failed')",
            name="uploads_status_check",
        ),
    )
    op.create_index("uploads_tenant_received_idx", "uploads", ["tenant", "received_at"])

    op.create_table(
        "upload_errors",
        sa.Column("upload_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer()),
        sa.Column("column", sa.Text()),
        sa.Column("value", sa.Text()),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("upload_id", "seq", name="upload_errors_pkey"),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["uploads.upload_id"], name="upload_errors_upload_id_fkey"
        ),
    )

    op.create_table(
        "products",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("product_id", sa.Text(), nullable=False),
        sa.Column("product_name", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("product_description", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("sub_category", sa.Text()),
        sa.Column("next_sub_category", sa.Text()),
        sa.Column("main_image", sa.Text(), nullable=False),
        sa.Column("image_1", sa.Text()),
        sa.Column("image_2", sa.Text()),
        sa.Column("image_3", sa.Text()),
        sa.Column("image_4", sa.Text()),
        sa.Column("image_5", sa.Text()),
        sa.Column("image_6", sa.Text()),
        sa.Column("image_7", sa.Text()),
        sa.Column("image_8", sa.Text()),
        sa.Column("hsn_code", sa.Text(), nullable=False),
        sa.Column("product_highlights", sa.Text(), nullable=False),
        sa.Column("fit", sa.Text()),
        sa.Column("sleeve", sa.Text()),
        sa.Column("pattern_type", sa.Text()),
        sa.Column("material", sa.Text()),
        sa.Column("custom_code", sa.Text()),
        sa.Column("tax_rule_id", sa.Text()),
        sa.Column("bullet_points", sa.Text()),
        sa.Column("neck_type", sa.Text()),
        sa.Column("sustainability_info", sa.Text()),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("tenant", "product_id", name="products_pkey"),
    )

    op.create_table(
        "skus",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("sku_id", sa.Text(), nullable=False),
        sa.Column("product_id", sa.Text(), nullable=False),
        sa.Column("barcode", sa.Text()),
        sa.Column("size", sa.Text(), nullable=False),
        sa.Column("color", sa.Text(), nullable=False),
        sa.Column("price", sa.Numeric(), nullable=False),
        sa.Column("offer_price", sa.Numeric()),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Text(), nullable=False),
        sa.Column("facility_name", sa.Text(), nullable=False),
        sa.Column("chest_bust_in", sa.Numeric()),
        sa.Column("waist_in", sa.Numeric()),
        sa.Column("hips_in", sa.Numeric()),
        sa.Column("front_length_in", sa.Numeric()),
        sa.Column("across_shoulder_in", sa.Numeric()),
        sa.Column("to_fit_bust_in", sa.Numeric()),
        sa.Column("to_fit_waist_in", sa.Numeric()),
        sa.Column("inseam_length_in", sa.Numeric()),
        sa.Column("is_disabled", sa.Boolean(), nullable=False),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("tenant", "sku_id", name="skus_pkey"),
        sa.ForeignKeyConstraint(
            ["tenant", "product_id"],
            ["products.tenant", "products.product_id"],
            name="skus_product_fk",
        ),
    )
    op.create_index("skus_tenant_product_idx", "skus", ["tenant", "product_id"])

    op.create_table(
        "images",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("object_key", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="images_pkey"),
    )

    op.create_table(
        "product_images",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("product_id", sa.Text(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("sha256", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("gave_up", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("tenant", "product_id", "position", name="product_images_pkey"),
        sa.ForeignKeyConstraint(["sha256"], ["images.sha256"], name="product_images_sha256_fkey"),
        sa.ForeignKeyConstraint(
            ["tenant", "product_id"],
            ["products.tenant", "products.product_id"],
            name="product_images_product_fk",
        ),
        sa.CheckConstraint(
            "status IN ('stored', 'failed', 'blocked')", name="product_images_status_check"
        ),
        sa.CheckConstraint("position BETWEEN 0 AND 8", name="product_images_position_check"),
    )
    op.create_index("product_images_status_idx", "product_images", ["status"])


def downgrade() -> None:
    op.drop_table("product_images")
    op.drop_table("images")
    op.drop_table("skus")
    op.drop_table("products")
    op.drop_table("upload_errors")
    op.drop_table("uploads")
