"""Upload heartbeats: which process is working on a `running` upload, and when it last said so.

A process that runs an upload (the `briskk ingest` command, a run worker launched by the
daemon) claims it by writing `worker_host` (host name and PID namespace) and `worker_pid`,
then refreshes `heartbeat_at` every few seconds while the upload is `running`. A `running`
upload whose heartbeat is old, or whose worker process is gone on the host that checks, was
left by a process that died: `stale_uploads_sensor` and `briskk uploads` mark it `failed`.
Uploads from before this migration have no claim and are never judged by it.

Revision ID: 0005_upload_heartbeat
Revises: 0004_image_failures
Create Date: 2025-03-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_upload_heartbeat"
down_revision: str | Sequence[str] | None = "0004_image_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("uploads", sa.Column("heartbeat_at", sa.DateTime(timezone=True)))
    op.add_column("uploads", sa.Column("worker_host", sa.Text()))
    op.add_column("uploads", sa.Column("worker_pid", sa.Integer()))
    # the recovery check reads only running uploads that some process claimed
    op.create_index(
        "uploads_claimed_running_idx",
        "uploads",
        ["heartbeat_at"],
        postgresql_where=sa.text("status = 'running' AND heartbeat_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uploads_claimed_running_idx", table_name="uploads")
    op.drop_column("uploads", "worker_pid")
    op.drop_column("uploads", "worker_host")
    op.drop_column("uploads", "heartbeat_at")
