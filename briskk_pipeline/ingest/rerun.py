"""`briskk rerun UPLOAD_ID`: run a registered upload again from its archived original.

For any finished upload, and the way back for one the retention schedule pruned
(ingest/retention.py): its partition is added again if gone, `pruned_at` is cleared and
`ingest_job` runs in this process as `briskk ingest` runs it (`launch.run_upload`).
"""

from __future__ import annotations

import sqlalchemy as sa
from dagster import DagsterInstance, ExecuteInProcessResult

from briskk_pipeline.catalog import uploads
from briskk_pipeline.catalog.tables import uploads as uploads_table
from briskk_pipeline.ingest.launch import PARTITIONS, run_upload


class RerunRefused(Exception):
    """The upload cannot be re-run now: unknown, or still running (the message says which)."""


def rerun_upload(
    instance: DagsterInstance,
    engine: sa.Engine,
    upload_id: str,
    *,
    source: str = "cli",
    run_id: str | None = None,
) -> ExecuteInProcessResult:
    """Re-add `upload_id`'s partition, clear `pruned_at`, run `ingest_job` for it here.

    Raises `RerunRefused` for an upload the catalog does not know, or one still `running`
    (two runs of one upload would race for its record).
    """
    record = uploads.get_upload(engine, upload_id)
    if record is None:
        raise RerunRefused(f"no upload {upload_id!r} (see `briskk uploads`)")
    if record["status"] == "running":
        raise RerunRefused(
            f"upload {upload_id} is running now (run {record['run_id']}): wait for it to finish"
        )
    if not instance.has_dynamic_partition(PARTITIONS, upload_id):
        instance.add_dynamic_partitions(PARTITIONS, [upload_id])
    with engine.begin() as connection:
        connection.execute(
            sa.update(uploads_table)
            .where(uploads_table.c.upload_id == upload_id)
            .values(pruned_at=None)
        )
    return run_upload(
        instance, engine, upload_id=upload_id, tenant=record["tenant"], source=source, run_id=run_id
    )
