"""A failed run told apart by what it did to the catalog (Hardening issue 20, item 1).

An upload's status says what happened to the catalog. The load (`load.load_upload`) writes
`succeeded`, `rejected` or `previewed` in the same transaction as the catalog rows, so a
record past `running` means the catalog load committed. A step after it (the annotated
report `upload_report`, anything added later) that fails must not turn that upload into
`failed`: the brand would send the file again and an operator might roll back a load that
happened. Such a failure is kept in `report_error` (migration `0011_hardening`), shown by
`briskk uploads`, `GET /uploads/{id}` and the page, and cleared when the step is re-run
(`briskk report --rebuild`, or a Dagster re-execution of the step) and succeeds.

A failure before the load (the record still `running`) is the pipeline breaking: `failed`,
as before (`uploads.mark_upload_failed`).
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from briskk_pipeline.catalog.tables import uploads
from briskk_pipeline.catalog.uploads import failed_values

# Statuses the load writes in its own transaction: the catalog already holds the outcome.
LOADED_STATUSES: Final = frozenset({"succeeded", "rejected", "previewed", "needs_review"})


def record_run_failure(engine: sa.Engine, upload_id: str, reason: str) -> str:
    """Record that a run of `upload_id` failed with the one-line `reason`; return the status
    the upload now has.

    If the load already wrote its outcome (status in `LOADED_STATUSES`) the status and counts
    stay and `reason` goes to `report_error`; otherwise the upload becomes `failed` with
    `failure_reason`. Read and written under a row lock, so a load committing at the same
    moment is seen whole or not at all. Raises `LookupError` for an unknown upload and
    SQLAlchemy's errors when the catalog does not answer.
    """
    with engine.begin() as connection:
        status = connection.execute(
            sa.select(uploads.c.status).where(uploads.c.upload_id == upload_id).with_for_update()
        ).scalar_one_or_none()
        if status is None:
            raise LookupError(f"no upload with id {upload_id!r}")
        where = uploads.c.upload_id == upload_id
        if status in LOADED_STATUSES:
            connection.execute(sa.update(uploads).where(where).values(report_error=reason))
            return str(status)
        connection.execute(sa.update(uploads).where(where).values(**failed_values(reason)))
    return "failed"
