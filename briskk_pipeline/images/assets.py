"""`product_images` (the images of one upload) and the scheduled retry of failed images."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
from dagster import (
    AssetExecutionContext,
    Config,
    DagsterLogManager,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    OpExecutionContext,
    ScheduleDefinition,
    asset,
    job,
    op,
)

from briskk_pipeline.catalog.images import slot_attempts, stored_images_for_urls
from briskk_pipeline.images.failures import ImageFailure, image_failures, omitted_warning
from briskk_pipeline.images.frames import build_frames, count_outcomes, image_slots
from briskk_pipeline.images.pipeline import process_images
from briskk_pipeline.images.retry import DEFAULT_MAX_ATTEMPTS, retry_failed_images
from briskk_pipeline.ingest.partitions import uploads_partitions
from briskk_pipeline.resources import CatalogDatabase, IngestSettings, ObjectStore
from briskk_pipeline.template import is_update_header
from briskk_pipeline.validation.validate import ValidatedRows

FAILURE_COLUMNS = ["row", "column", "url", "status", "reason"]


@dataclass
class ProductImages:
    """The images of one upload, ready for the catalog load (which writes them atomically)."""

    images: pd.DataFrame
    product_images: pd.DataFrame
    counts: dict[str, int]
    # every slot not stored (failed, blocked, not fetched), by Excel row and column
    failures: list[ImageFailure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # for the upload's summary


def _progress_logger(log: DagsterLogManager) -> Callable[[int, int], None]:
    """Progress as log lines (`images 25/200`): the UI and `briskk ingest` follow them."""

    def progress(done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            log.info(f"images {done}/{total}")

    return progress


@asset(partitions_def=uploads_partitions, group_name="ingest")
def product_images(
    context: AssetExecutionContext,
    validated_rows: ValidatedRows,
    catalog: CatalogDatabase,
    object_store: ObjectStore,
    settings: IngestSettings,
) -> MaterializeResult[ProductImages]:
    """Each distinct image URL of the valid products, fetched, verified and stored by content.

    http(s) only; private, loopback, link-local and metadata addresses are blocked unless
    allowed; bytes are decoded to prove they are an image and stored once per sha256. A URL
    already stored is reused without downloading. A failed image never rejects its product:
    it is recorded as `failed` and retried by `retry_failed_images_job`; an unusable URL (two
    addresses in a cell, not http/https…) is `blocked` with its reason. The `failures` table
    names each image not stored by Excel row and column, with the reason.
    """
    started = time.perf_counter()
    engine = catalog.get_engine()
    products = validated_rows.products
    if is_update_header(validated_rows.columns):  # an update file has no image cells
        products = products.iloc[0:0]
    slots = image_slots(products)
    urls = list(dict.fromkeys(slots["source_url"]))
    known = {} if settings.refresh_images else stored_images_for_urls(engine, urls)
    outcomes = process_images(
        urls,
        store=object_store,
        settings=settings,
        known=known,
        progress=_progress_logger(context.log),
        time_budget=settings.image_budget_seconds,
    )
    previous = (
        slot_attempts(engine, validated_rows.tenant, slots["product_id"])
        if validated_rows.tenant is not None
        else {}
    )
    images, slot_rows = build_frames(
        slots, outcomes, now=datetime.now(UTC), previous_attempts=previous
    )
    counts = count_outcomes(outcomes)
    failures, not_stored = image_failures(slots, outcomes, validated_rows.product_rows)
    omitted = omitted_warning(len(failures), not_stored)
    failure_table = pd.DataFrame([f.to_dict() for f in failures], columns=FAILURE_COLUMNS)
    return MaterializeResult(
        value=ProductImages(
            images=images,
            product_images=slot_rows,
            counts=counts,
            failures=failures,
            warnings=[omitted] if omitted else [],
        ),
        metadata={
            "dagster/row_count": len(slot_rows),
            **{f"images_{k}": v for k, v in counts.items()},
            "bytes_stored": int(images["bytes"].sum()) if not images.empty else 0,
            "failures": MetadataValue.md(
                failure_table.head(50).to_markdown(index=False)
                if failures
                else "_every image is stored_"
            ),
            "seconds": round(time.perf_counter() - started, 4),  # time spent in this body
        },
    )


class RetryConfig(Config):
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


@op
def retry_failed_images_op(
    context: OpExecutionContext,
    config: RetryConfig,
    catalog: CatalogDatabase,
    object_store: ObjectStore,
    settings: IngestSettings,
) -> dict[str, int]:
    """Fetch every `failed` image slot again (never `blocked` ones) and record the results.

    A slot that is still failing after `max_attempts` is given up (`gave_up` in the catalog).
    """
    counts = retry_failed_images(
        catalog.get_engine(),
        object_store,
        settings,
        max_attempts=config.max_attempts,
        progress=_progress_logger(context.log),
    )
    context.log.info(f"image retry: {counts}")
    context.add_output_metadata(dict(counts))
    return counts


@job(description="Retry every failed product image now; daily by retry_failed_images_schedule.")
def retry_failed_images_job() -> None:
    retry_failed_images_op()


retry_failed_images_schedule = ScheduleDefinition(
    name="retry_failed_images_schedule",
    job=retry_failed_images_job,
    cron_schedule="30 2 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Daily at 02:30 UTC: re-fetch failed images, giving up after max_attempts.",
)
