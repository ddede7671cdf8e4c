"""`briskk rerun UPLOAD_ID`: run a registered upload again from its archived original.

For any finished upload, and the way back for one the retention schedule pruned
(ingest/retention.py): its partition is added again if gone, `pruned_at` is cleared and
`ingest_job` runs in this process as `briskk ingest` runs it (`launch.run_upload`).

A re-run never overwrites newer data (SPEC §2 "Upsert"): refused, before anything is changed
(its record included), when a later upload changed products or SKUs this upload wrote (its
`catalog_history`); the load itself checks again, for every product and SKU of the file, under
the tenant's lock (`catalog/newer.py`). `force` loads it anyway (run tag `briskk/force=true`).
"""

from __future__ import annotations

import sqlalchemy as sa
from dagster import DagsterInstance, ExecuteInProcessResult

from briskk_pipeline.catalog import tables, uploads
from briskk_pipeline.catalog.newer import FORCE_TAG, REFUSED, Newer, describe, writers
from briskk_pipeline.catalog.step_errors import LOADED_STATUSES
from briskk_pipeline.catalog.tables import uploads as uploads_table
from briskk_pipeline.ingest.launch import PARTITIONS, run_upload
from briskk_pipeline.ingest.partitions import STATUS_TAG


class RerunFailed(Exception):
    """A re-run of an upload that had loaded failed before its own load committed: nothing of
    it was loaded, so the upload keeps its earlier result (the catalog still holds it)."""


class RerunRefused(Exception):
    """The upload cannot be re-run now: unknown, or still running (the message says which)."""


def rerun_upload(
    instance: DagsterInstance,
    engine: sa.Engine,
    upload_id: str,
    *,
    source: str = "cli",
    run_id: str | None = None,
    force: bool = False,
) -> ExecuteInProcessResult:
    """Re-add `upload_id`'s partition, clear `pruned_at`, run `ingest_job` for it here.

    Raises `RerunRefused` for an upload the catalog does not know, one still `running`
    (two runs of one upload would race for its record), or, unless `force`, one whose
    products or SKUs a later upload or rollback changed (named in the message): found from
    the upload's history before the run, or by the load itself (an upload that never loaded
    has no history: a header-rejected one re-run after its mapping). A load that refuses
    leaves the upload's record as it was before the re-run (`_restore`), never `failed`.
    Raises `RerunFailed` when the run fails before its load commits and the upload had
    loaded before (`LOADED_STATUSES`): its record is put back too, since the catalog still
    holds that earlier load (SPEC: an upload's status is the catalog's truth); a fault that
    leaves the database unreachable raises `UploadFailed` from `run_upload` as for any run.
    """
    record = uploads.get_upload(engine, upload_id)
    if record is None:
        raise RerunRefused(f"no upload {upload_id!r} (see `briskk uploads`)")
    if record["status"] == "running":
        raise RerunRefused(
            f"upload {upload_id} is running now (run {record['run_id']}): wait for it to finish"
        )
    if not force:
        later = later_changes(engine, upload_id, record["tenant"])
        if later:
            raise RerunRefused(describe(upload_id, later))
    if not instance.has_dynamic_partition(PARTITIONS, upload_id):
        instance.add_dynamic_partitions(PARTITIONS, [upload_id])
    before = _row(engine, upload_id)
    with engine.begin() as connection:
        connection.execute(
            sa.update(uploads_table)
            .where(uploads_table.c.upload_id == upload_id)
            .values(pruned_at=None)
        )
    result = run_upload(
        instance,
        engine,
        upload_id=upload_id,
        tenant=record["tenant"],
        source=source,
        run_id=run_id,
        extra_tags={FORCE_TAG: "true"} if force else None,
    )
    if not result.success:
        after = uploads.get_upload(engine, upload_id) or {}
        reason = str(after.get("failure_reason") or "")
        if after.get("status") == "failed" and REFUSED in reason:
            _restore(engine, upload_id, before)
            instance.add_run_tags(result.run_id, {STATUS_TAG: str(before["status"])})
            raise RerunRefused(reason[reason.index(REFUSED) :])
        if after.get("status") == "failed" and before["status"] in LOADED_STATUSES:
            _restore(engine, upload_id, before)
            instance.add_run_tags(result.run_id, {STATUS_TAG: str(before["status"])})
            raise RerunFailed(
                f"the re-run of upload {upload_id} failed: {reason}; nothing of it was loaded "
                f"and the upload keeps its earlier result ({before['status']})"
            )
    return result


def _row(engine: sa.Engine, upload_id: str) -> dict[str, object]:
    """Every column of upload `upload_id`'s row, as stored."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(uploads_table).where(uploads_table.c.upload_id == upload_id)
        ).one()
    return dict(row._mapping)


def _restore(engine: sa.Engine, upload_id: str, row: dict[str, object]) -> None:
    """Put upload `upload_id`'s row back as `row` (`_row`): a refused re-run changed nothing."""
    values = {k: v for k, v in row.items() if k != "upload_id"}
    uploads.update_upload(engine, upload_id, **values)


def later_changes(engine: sa.Engine, upload_id: str, tenant: str) -> list[Newer]:
    """Products and SKUs `upload_id` changed (its catalog_history) that an upload received
    after it, or a rollback made after it, wrote last; sorted by entity and key."""
    history, ups = tables.catalog_history, tables.uploads
    written = writers()
    me = ups.alias("me")
    received = sa.select(me.c.received_at).where(me.c.upload_id == upload_id).scalar_subquery()
    later = sa.tuple_(written.c.at, written.c.writer) > sa.tuple_(
        received, sa.literal(upload_id, sa.Text)
    )
    found: list[Newer] = []
    with engine.connect() as connection:
        for entity, target, key in (
            ("product", tables.products, "product_id"),
            ("sku", tables.skus, "sku_id"),
        ):
            touched = (
                sa.select(history.c.key)
                .where(history.c.change_set_id == upload_id, history.c.entity == entity)
                .distinct()
            )
            rows = connection.execute(
                sa.select(target.c[key], target.c.last_upload_id)
                .join(written, written.c.writer == target.c.last_upload_id)
                .where(
                    target.c.tenant == tenant,
                    target.c[key].in_(touched),
                    target.c.last_upload_id != upload_id,
                    later,
                )
                .order_by(target.c[key])
            )
            found.extend(Newer(entity, k, u) for k, u in rows)
    return found
