"""Tenants: one identity per tenant whatever the letter case, with its first spelling.

SPEC §2 (Fidelity issue, item 8): `brandA` and `BrandA` are one tenant, and every catalog key
uses the spelling first registered. `tenant_key` is `lower(name)`; registration inserts a
tenant on first sight and reads back the stored spelling.

Backfill: every tenant already in `uploads` or `products` gets a row, spelled as in its
earliest upload (or, with no upload, its earliest product). A catalog that already holds two
spellings of one tenant keeps both sets of rows as they are (nothing is rewritten: their
keys could collide); new uploads go to the first spelling, and lookups by tenant ignore case,
so both show under either spelling.

Revision ID: 0002_tenants
Revises: 0001_initial
Create Date: 2025-02-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_tenants"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = """
INSERT INTO tenants (tenant_key, name, created_at)
SELECT DISTINCT ON (lower(tenant)) lower(tenant), tenant, first_seen
FROM (
    SELECT tenant, min(received_at) AS first_seen, 0 AS source FROM uploads GROUP BY tenant
    UNION ALL
    SELECT tenant, min(created_at), 1 FROM products GROUP BY tenant
) AS seen
ORDER BY lower(tenant), source, first_seen, tenant
"""


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("tenant_key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_key", name="tenants_pkey"),
        sa.UniqueConstraint("name", name="tenants_name_key"),
        sa.CheckConstraint("tenant_key = lower(name)", name="tenants_key_check"),
    )
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.drop_table("tenants")
