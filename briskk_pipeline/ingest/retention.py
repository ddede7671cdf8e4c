"""Retention: finished uploads older than `BRISKK_RETENTION_DAYS` lose what only re-runs need.

Every upload is a partition of `uploads`, and its asset outputs stay in the object store under
`outputs/<asset>/<upload_id>/` (storage/io_manager.py). Dagster's UI slows past ~33k partitions
of an asset (dagster#10330, #15679), and the outputs only matter for re-materializing an
upload's assets. So, daily, `prune_uploads_schedule` takes each finished upload (`succeeded`,
`rejected`, `failed`, `previewed`) that finished more than `settings.retention_days` ago and:

1. deletes its stored outputs (every key under `outputs/<asset>/<upload_id>/`),
2. deletes its dynamic partition (the runs and materializations in Dagster's event log stay:
   open-source Dagster has no per-partition wipe, dagster#14749),
3. sets `uploads.pruned_at`.

The upload record, its errors, the archived original (`archive/...`) and the report
(`reports/...`) stay: `briskk uploads` and the API still show the upload, and
`briskk rerun UPLOAD_ID` (ingest/rerun.py) re-adds the partition and runs it again. Each step
is idempotent, so a run that stops halfway is finished by the next one. Outputs of plain ops
(`outputs/runs/<run_id>/`) whose run is older than the same age, or gone, go too.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

import sqlalchemy as sa
from dagster import (
    DagsterInstance,
    DefaultScheduleStatus,
    OpExecutionContext,
    ScheduleDefinition,
    job,
    op,
)

from briskk_pipeline.catalog.tables import uploads
from briskk_pipeline.resources import CatalogDatabase, IngestSettings, ObjectStore
from briskk_pipeline.storage.io_manager import ROOT, output_prefix

PARTITIONS: Final = "uploads"  # `ingest/partitions.uploads_partitions`
FINISHED: Final = ("succeeded", "rejected", "failed", "previewed")
# the assets partitioned by upload (definitions.py; a test checks the two agree)
UPLOAD_ASSETS: Final = (
    "raw_sheet",
    "validated_rows",
    "product_images",
    "readiness",  # readiness/assets.py
    "products",
    "skus",
    "upload_report",
)
BATCH: Final = 1000  # uploads per run: a backlog is worked off over a few days


@dataclass
class Pruned:
    """What one retention pass removed: upload ids, stored objects, op-output runs."""

    uploads: list[str] = field(default_factory=list)
    objects: int = 0
    runs: int = 0


def upload_output_prefixes(upload_id: str) -> list[str]:
    """The object-store folders holding `upload_id`'s asset outputs."""
    return [output_prefix([asset, upload_id]) for asset in UPLOAD_ASSETS]


def prunable_uploads(engine: sa.Engine, cutoff: datetime, limit: int = BATCH) -> list[str]:
    """Finished, not yet pruned uploads that finished (or, lacking that, arrived) before
    `cutoff` (timezone-aware), oldest first."""
    finished = sa.func.coalesce(uploads.c.finished_at, uploads.c.received_at)
    query = (
        sa.select(uploads.c.upload_id)
        .where(uploads.c.status.in_(FINISHED), uploads.c.pruned_at.is_(None), finished < cutoff)
        .order_by(finished, uploads.c.upload_id)
        .limit(limit)
    )
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def prune_upload(
    engine: sa.Engine, store: ObjectStore, instance: DagsterInstance, upload_id: str
) -> int:
    """Delete `upload_id`'s outputs and partition and mark it pruned; objects deleted."""
    deleted = sum(store.delete_prefix(prefix) for prefix in upload_output_prefixes(upload_id))
    if instance.has_dynamic_partition(PARTITIONS, upload_id):
        instance.delete_dynamic_partition(PARTITIONS, upload_id)
    with engine.begin() as connection:  # not if a re-run picked it up meanwhile
        connection.execute(
            sa.update(uploads)
            .where(uploads.c.upload_id == upload_id, uploads.c.status.in_(FINISHED))
            .values(pruned_at=sa.func.now())
        )
    return deleted


def prune_run_outputs(store: ObjectStore, instance: DagsterInstance, cutoff: datetime) -> int:
    """Delete `outputs/runs/<run_id>/` of runs started before `cutoff` or no longer known."""
    prefix = f"{ROOT}/runs/"
    run_ids = sorted({key[len(prefix) :].split("/", 1)[0] for key in store.list(prefix)})
    pruned = 0
    for run_id in run_ids:
        record = instance.get_run_record_by_id(run_id)
        if record is None or record.create_timestamp < cutoff:
            store.delete_prefix(f"{prefix}{run_id}/")
            pruned += 1
    return pruned


def prune_uploads(
    engine: sa.Engine,
    store: ObjectStore,
    instance: DagsterInstance,
    *,
    retention_days: int,
    now: datetime | None = None,
    limit: int = BATCH,
) -> Pruned:
    """One retention pass (module doc): at most `limit` uploads finished more than
    `retention_days` days before `now` (default: this moment, UTC)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    result = Pruned()
    for upload_id in prunable_uploads(engine, cutoff, limit):
        result.objects += prune_upload(engine, store, instance, upload_id)
        result.uploads.append(upload_id)
    result.runs = prune_run_outputs(store, instance, cutoff)
    return result


@op
def prune_uploads_op(
    context: OpExecutionContext,
    catalog: CatalogDatabase,
    object_store: ObjectStore,
    settings: IngestSettings,
) -> None:
    """Prune the finished uploads older than `settings.retention_days` (module doc)."""
    pruned = prune_uploads(
        catalog.get_engine(),
        object_store,
        context.instance,
        retention_days=settings.retention_days,
    )
    context.log.info(
        f"pruned {len(pruned.uploads)} uploads older than {settings.retention_days} days "
        f"({pruned.objects} stored outputs) and the op outputs of {pruned.runs} runs"
        + (f": {', '.join(pruned.uploads[:20])}" if pruned.uploads else "")
    )


@job(description="Delete stored outputs and partitions of old finished uploads (retention).")
def prune_uploads_job() -> None:
    prune_uploads_op()


prune_uploads_schedule = ScheduleDefinition(
    name="prune_uploads_schedule",
    job=prune_uploads_job,
    cron_schedule="15 3 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Daily at 03:15 UTC: finished uploads older than BRISKK_RETENTION_DAYS (90) "
    "lose their stored outputs and partition; `briskk rerun UPLOAD_ID` brings one back.",
)
