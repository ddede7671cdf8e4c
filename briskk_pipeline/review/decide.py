"""Approving or declining a held (`needs_review`) upload.

Approve: the upload's `ingest_job` runs again from its archived original, tagged
`briskk/review=approved` so its load is not held again; the load first checks that the catalog
rows it touches are exactly as they were when the diff was shown (the summary's
`catalog_fingerprint`, an md5 of those rows) and that no later upload wrote them
(`catalog/newer.py`); otherwise it refuses, the catalog untouched and the upload still
`needs_review`, unless `force` (as `briskk rollback` refuses). Decline: the upload becomes
`rejected` with `review_decision = declined`; nothing is loaded. Both record who and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from dagster import DagsterInstance

from briskk_pipeline.catalog import tables, uploads
from briskk_pipeline.catalog.newer import FORCE_TAG

REVIEW_TAG: Final = "briskk/review"
APPROVED: Final = "approved"
DECLINED: Final = "declined"
REFUSED_PREFIX: Final = "refused:"


class ReviewError(Exception):
    """The upload cannot be decided: unknown, not held, or (approve) the catalog changed."""


@dataclass(frozen=True)
class Decision:
    """What a decision did: the upload's record afterwards, and for a refused approval why."""

    upload_id: str
    decision: str  # approved | declined
    status: str  # the upload's status afterwards
    refused: str | None = None


class CatalogChangedSinceReview(Exception):
    """Approving would load a diff other than the one shown: the touched rows changed."""


def held_uploads(engine: sa.Engine, tenant: str | None = None) -> list[dict[str, Any]]:
    """Every `needs_review` upload (of `tenant`), oldest first."""
    table = tables.uploads
    query = sa.select(table.c.upload_id).where(table.c.status == "needs_review")
    if tenant is not None:
        query = query.where(sa.func.lower(table.c.tenant) == tenant.lower())
    with engine.connect() as connection:
        ids = list(connection.execute(query.order_by(table.c.received_at)).scalars())
    return [r for r in (uploads.get_upload(engine, i) for i in ids) if r is not None]


def _held(engine: sa.Engine, upload_id: str) -> dict[str, Any]:
    record = uploads.get_upload(engine, upload_id)
    if record is None:
        raise ReviewError(f"no upload {upload_id!r} (see `briskk review`)")
    if record["status"] != "needs_review":
        raise ReviewError(
            f"upload {upload_id} is {record['status']}, not held for review: nothing to decide"
        )
    return record


def decline(engine: sa.Engine, upload_id: str, *, by: str) -> Decision:
    """Decline a held upload: `rejected`, nothing loaded. Raises `ReviewError`."""
    record = _held(engine, upload_id)
    note = f"declined in review by {by}: nothing was loaded"
    uploads.update_upload(
        engine,
        upload_id,
        status="rejected",
        review_decision=DECLINED,
        reviewed_at=sa.func.now(),
        reviewed_by=by,
        warnings=[*record["warnings"], note],
    )
    return Decision(upload_id, DECLINED, "rejected")


def approve(
    instance: DagsterInstance,
    engine: sa.Engine,
    upload_id: str,
    *,
    by: str,
    force: bool = False,
    run_id: str | None = None,
) -> Decision:
    """Load a held upload exactly as shown (module docstring), in this process.

    Returns the decision; a refusal leaves the upload `needs_review` with `refused` saying
    why (and its `failure_reason`). Raises `ReviewError` for an upload not held.
    """
    from briskk_pipeline.ingest.launch import PARTITIONS, run_upload

    record = _held(engine, upload_id)
    uploads.update_upload(
        engine, upload_id, review_decision=APPROVED, reviewed_at=sa.func.now(), reviewed_by=by
    )
    if not instance.has_dynamic_partition(PARTITIONS, upload_id):
        instance.add_dynamic_partitions(PARTITIONS, [upload_id])
    tags = {REVIEW_TAG: APPROVED, **({FORCE_TAG: "true"} if force else {})}
    run_upload(
        instance,
        engine,
        upload_id=upload_id,
        tenant=record["tenant"],
        source=record["source"],
        run_id=run_id,
        extra_tags=tags,
    )
    after = uploads.get_upload(engine, upload_id)
    assert after is not None
    reason = after.get("failure_reason") or ""
    if after["status"] == "failed" and REFUSED_PREFIX in reason:
        refused = reason[reason.index(REFUSED_PREFIX) :]
        uploads.update_upload(
            engine,
            upload_id,
            status="needs_review",
            review_decision=None,
            reviewed_at=None,
            reviewed_by=None,
            failure_reason=f"approval by {by} {refused}",
        )
        return Decision(upload_id, APPROVED, "needs_review", refused=refused)
    return Decision(upload_id, APPROVED, after["status"])
