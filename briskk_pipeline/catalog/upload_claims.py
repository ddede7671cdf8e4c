"""Claims on `running` uploads: which process works on one, its heartbeat, and failing it
when the claim went silent (`ingest/heartbeat.py`, `ingest/recovery.py`).

A process working on a `running` upload *claims* it (`worker_host`, `worker_pid`) and
refreshes `heartbeat_at` (database time) while it lives; a `needs_review` upload is not
running and is never claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from briskk_pipeline.catalog.tables import uploads


@dataclass(frozen=True)
class Worker:
    """The process working on an upload: `host` is the host name and PID namespace (a PID
    means something only there), `pid` its process id."""

    host: str
    pid: int


@dataclass(frozen=True)
class Claim:
    """A `running` upload some process claimed, as the recovery check sees it."""

    upload_id: str
    tenant: str
    run_id: str | None
    worker: Worker
    heartbeat_at: datetime
    silent_seconds: float  # database time since the last heartbeat


def beat(engine: sa.Engine, upload_id: str, worker: Worker) -> bool:
    """Refresh the heartbeat of `upload_id` if it is still `running` and claimed by `worker`;
    False when it is not (the upload ended, or another process claimed it)."""
    with engine.begin() as connection:
        result = connection.execute(
            sa.update(uploads)
            .where(
                uploads.c.upload_id == upload_id,
                uploads.c.status == "running",
                uploads.c.worker_host == worker.host,
                uploads.c.worker_pid == worker.pid,
            )
            .values(heartbeat_at=sa.func.now())
        )
        return result.rowcount == 1


def claimed_uploads(engine: sa.Engine, limit: int = 500) -> list[Claim]:
    """Every `running` upload some process claimed, oldest heartbeat first."""
    silent = sa.func.extract("epoch", sa.func.now() - uploads.c.heartbeat_at)
    query = (
        sa.select(
            uploads.c.upload_id,
            uploads.c.tenant,
            uploads.c.run_id,
            uploads.c.worker_host,
            uploads.c.worker_pid,
            uploads.c.heartbeat_at,
            silent.label("silent"),
        )
        .where(uploads.c.status == "running", uploads.c.heartbeat_at.is_not(None))
        .order_by(uploads.c.heartbeat_at)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [
            Claim(
                upload_id=row.upload_id,
                tenant=row.tenant,
                run_id=row.run_id,
                worker=Worker(host=row.worker_host or "", pid=row.worker_pid or 0),
                heartbeat_at=row.heartbeat_at,
                silent_seconds=float(row.silent),
            )
            for row in connection.execute(query)
        ]


def unclaimed_running_runs(engine: sa.Engine, limit: int = 500) -> list[tuple[str, str]]:
    """(upload_id, run_id) of `running` uploads that have a run but no live claim."""
    query = (
        sa.select(uploads.c.upload_id, uploads.c.run_id)
        .where(
            uploads.c.status == "running",
            uploads.c.run_id.is_not(None),
            uploads.c.heartbeat_at.is_(None),
        )
        .order_by(uploads.c.received_at)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [(row.upload_id, row.run_id) for row in connection.execute(query)]


def fail_dead_upload(
    engine: sa.Engine, upload_id: str, reason: str, *, heartbeat_at: datetime | None
) -> bool:
    """`running` → `failed` with `reason`, only if the upload is still `running` and its
    heartbeat is still `heartbeat_at` (None: still unclaimed). False if the upload moved on in
    the meantime (its process was alive after all, or finished): then nothing is written."""
    unchanged = (
        uploads.c.heartbeat_at.is_(None)
        if heartbeat_at is None
        else uploads.c.heartbeat_at == heartbeat_at
    )
    with engine.begin() as connection:
        result = connection.execute(
            sa.update(uploads)
            .where(uploads.c.upload_id == upload_id, uploads.c.status == "running", unchanged)
            .values(
                status="failed",
                failure_reason=reason,
                finished_at=sa.func.now(),
                heartbeat_at=None,
            )
        )
        return result.rowcount == 1


def reopen_dead_approval(
    engine: sa.Engine, upload_id: str, reason: str, *, heartbeat_at: datetime | None
) -> bool:
    """`running` → `needs_review` again: the approval run of a held upload died before its
    load committed (the load writes the upload's outcome in its own transaction, so a
    `running` record means it did not). The decision is undone (`review_decision`,
    `reviewed_at`, `reviewed_by` cleared) and `failure_reason` says whose approval did not
    finish and why, so the upload can be approved (or declined) again. Same guard as
    `fail_dead_upload`: False, and nothing written, if the upload moved on meanwhile."""
    unchanged = (
        uploads.c.heartbeat_at.is_(None)
        if heartbeat_at is None
        else uploads.c.heartbeat_at == heartbeat_at
    )
    who = sa.func.coalesce(uploads.c.reviewed_by, "an operator")
    with engine.begin() as connection:
        result = connection.execute(
            sa.update(uploads)
            .where(uploads.c.upload_id == upload_id, uploads.c.status == "running", unchanged)
            .values(
                status="needs_review",
                failure_reason=sa.func.concat("the approval by ", who, " did not finish: ", reason),
                review_decision=None,
                reviewed_at=None,
                reviewed_by=None,
                finished_at=sa.func.now(),
                heartbeat_at=None,
            )
        )
        return result.rowcount == 1
