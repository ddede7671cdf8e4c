"""Indexes that keep per-upload work flat as uploads pile up (Scale issue, item 3).

Measured by `bench/scale_bench.py` on 50,000 uploads: without these, each of the queries
below read the whole `uploads` table, so the inbox and stale-upload sensors' ticks and
`briskk uploads --limit 50` grew with the number of uploads ever received (7–19× from 1k to
50k uploads).

- `uploads_running_idx`: the few `running` uploads, oldest first (`unlaunched_uploads` of the
  inbox sensor, `unclaimed_running_runs` of the recovery check, `api.runs.stranded_uploads`).
- `uploads_received_idx`: every upload newest first (`list_uploads`, `briskk uploads`,
  `GET /uploads`), read backwards and stopped after LIMIT.
- `uploads_tenant_key_received_idx`: one tenant's uploads in any letter case (SPEC §2:
  `lower(tenant)`), newest first (`briskk uploads --tenant`, the API's tenant scope).
- `uploads_sha256_idx`: earlier uploads of the same bytes (`find_upload_by_sha256`, the inbox's
  re-drop check for every file it takes in).
- `uploads_upload_id_pattern_idx`: ids that start with a given id (`free_upload_id`, each
  registration: `upload_id LIKE '<base>-%'`); the primary key's index serves LIKE only under
  the C collation, `text_pattern_ops` under any.
- `uploads_unpruned_idx`: finished uploads not yet pruned, oldest finish first (retention's
  `prunable_uploads`, daily).

Revision ID: 0009_upload_indexes
Revises: 0008_retention
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_upload_indexes"
down_revision: str | Sequence[str] | None = "0008_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "uploads_running_idx",
        "uploads",
        ["received_at"],
        postgresql_where=sa.text("status = 'running'"),
    )
    op.create_index("uploads_received_idx", "uploads", ["received_at", "upload_id"])
    op.create_index(
        "uploads_tenant_key_received_idx",
        "uploads",
        [sa.text("lower(tenant)"), "received_at", "upload_id"],
    )
    op.create_index("uploads_sha256_idx", "uploads", ["sha256"])
    op.create_index(
        "uploads_upload_id_pattern_idx",
        "uploads",
        ["upload_id"],
        postgresql_ops={"upload_id": "text_pattern_ops"},
    )
    op.create_index(
        "uploads_unpruned_idx",
        "uploads",
        [sa.text("coalesce(finished_at, received_at)"), "upload_id"],
        postgresql_where=sa.text("pruned_at IS NULL"),
    )


def downgrade() -> None:
    for name in (
        "uploads_unpruned_idx",
        "uploads_upload_id_pattern_idx",
        "uploads_sha256_idx",
        "uploads_tenant_key_received_idx",
        "uploads_received_idx",
        "uploads_running_idx",
    ):
        op.drop_index(name, table_name="uploads")
