"""`products` and `skus`: one upload's valid rows upserted into the catalog, in one transaction.

The two assets come from one function because they are one transaction: a product's SKUs come
together with it or not at all, and a crash leaves the catalog as it was before the run.
"""

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetIn,
    AssetSpec,
    Config,
    Failure,
    MaterializeResult,
    multi_asset,
)
from sqlalchemy.dialects.postgresql import ARRAY

from briskk_pipeline.catalog import tables
from briskk_pipeline.catalog.load import UploadOutcome, load_upload
from briskk_pipeline.catalog.newer import FORCE_TAG, NewerDataRefused
from briskk_pipeline.images.assets import ProductImages
from briskk_pipeline.ingest.assets import registered_upload
from briskk_pipeline.ingest.partitions import STATUS_TAG, uploads_partitions
from briskk_pipeline.metadata import frame_preview, problems_summary
from briskk_pipeline.outcome import run_tags, upload_check, upload_verdict
from briskk_pipeline.readiness.evaluate import UploadReadiness, apply_blocking
from briskk_pipeline.resources import CatalogDatabase
from briskk_pipeline.review.decide import APPROVED, REVIEW_TAG, CatalogChangedSinceReview
from briskk_pipeline.review.hold import approval_check, tenant_hold
from briskk_pipeline.template import is_update_header
from briskk_pipeline.validation.validate import ValidatedRows

_DEPS = ["validated_rows", "product_images", "readiness"]


class CatalogLoadConfig(Config):
    """Launchpad config of `catalog_load` (`ops: {catalog_load: {config: {force: true}}}`)."""

    # load even if later uploads changed the same products or SKUs (catalog/newer.py)
    force: bool = False


@multi_asset(
    specs=[
        AssetSpec(
            "products",
            group_name="ingest",
            partitions_def=uploads_partitions,
            deps=_DEPS,
            description="The upload's valid products, upserted into the `products` table.",
        ),
        AssetSpec(
            "skus",
            group_name="ingest",
            partitions_def=uploads_partitions,
            deps=_DEPS,
            description="The upload's SKUs, upserted into `skus`; SKUs the upload leaves out "
            "are kept as they are (disabled, never deleted, only by a `replace` upload).",
        ),
    ],
    ins={"validated_rows": AssetIn(), "product_images": AssetIn(), "readiness": AssetIn()},
    check_specs=[
        upload_check(
            "upload_accepted",
            asset="products",
            description="The upload was not rejected (SPEC §4 `rejected`: the file, or every "
            "product in it, failed validation). Fails at ERROR severity with the reason.",
        ),
        upload_check(
            "catalog_holds_upload",
            asset="skus",
            description="After the load, every product and SKU of the upload is in the catalog.",
        ),
    ],
    name="catalog_load",
)
def catalog_load(
    context: AssetExecutionContext,
    config: CatalogLoadConfig,
    validated_rows: ValidatedRows,
    product_images: ProductImages,
    readiness: UploadReadiness,
    catalog: CatalogDatabase,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Upsert the valid products and SKUs, their image slots and the upload's final record.

    Set-based: COPY into staging tables, then INSERT … ON CONFLICT DO UPDATE only where a
    value changed, under a per-tenant advisory lock, in one transaction. An upload registered
    as a dry run (`briskk ingest --dry-run`; its runs are tagged `briskk/dry_run`) runs the
    same load and rolls it back: the record becomes `previewed` with what it would change.
    A load that would overwrite what a later upload wrote (a re-run of an old upload, from
    `briskk rerun`, the UI or `dagster job execute`) fails with the products and SKUs named,
    the catalog untouched, unless forced: config `force: true` or the run tag
    `briskk/force=true` (catalog/newer.py).
    """
    body_started = time.perf_counter()
    # a channel the tenant made blocking keeps its not-ready products out (readiness/)
    validated_rows, product_images = apply_blocking(validated_rows, product_images, readiness)
    engine = catalog.get_engine()
    upload_id = context.partition_key
    upload = registered_upload(engine, upload_id)
    tenant, dry_run = upload["tenant"], bool(upload["dry_run"])
    # an update file (sku_id and SKU columns only) is read as one whatever it was sent as
    mode = "update" if is_update_header(validated_rows.columns) else upload["mode"]
    started = _run_start(context)
    outcome = UploadOutcome(
        status=validated_rows.status,
        products_rejected=validated_rows.products_rejected,
        rows_rejected=validated_rows.rows_rejected,
        errors=[p.to_dict() for p in validated_rows.problems],
        warnings=[*validated_rows.warnings, *product_images.warnings],
        images=product_images.counts,
        image_failures=[f.to_dict() for f in product_images.failures],
        seconds=round(time.time() - started, 3) if started is not None else None,
        finished_at=datetime.now(UTC),
    )
    force = config.force or context.run.tags.get(FORCE_TAG, "").lower() == "true"
    # a held upload approved (review/decide.py) loads the diff shown; any other is held when
    # it crosses the tenant's limits (review/limits.py)
    approval = context.run.tags.get(REVIEW_TAG) == APPROVED
    if approval:
        shown = (upload.get("change_summary") or {}).get("catalog_fingerprint")
        hold = approval_check(upload_id, shown, force=force)
    else:
        hold = tenant_hold(tenant)
    try:
        counts = load_upload(
            engine,
            upload_id=upload_id,
            tenant=tenant,
            products=validated_rows.products,
            skus=validated_rows.skus,
            outcome=outcome,
            images=product_images.images,
            product_images=product_images.product_images,
            keep_enabled=validated_rows.file_sku_ids,
            product_rows=validated_rows.product_rows,
            sku_rows=validated_rows.sku_rows,
            dry_run=dry_run,
            rejected_products=validated_rows.rejected_products,
            columns=validated_rows.columns,
            mode=mode,
            force=force,
            hold=hold,
        )
    except NewerDataRefused as refused:
        # an approval is forced through review, not rerun: the way out names that command
        why = refused.with_remedy(f"`briskk review {upload_id} --approve --force`")
        raise Failure(description=why if approval else str(refused)) from refused
    except CatalogChangedSinceReview as refused:
        raise Failure(description=str(refused)) from refused
    # time spent in this body up to the committed load (both assets are one transaction)
    seconds = round(time.perf_counter() - body_started, 4)
    # The outcome where an operator scans and filters (outcome.py): the run's tags (Runs:
    # `briskk/status: rejected`, `briskk/rejected: 4 of 4 products`); both materializations
    # (the partition's events) carry the status and open on the verdict in words.
    status = "needs_review" if counts.held else validated_rows.status
    rejected = validated_rows.products_rejected
    total = len(validated_rows.products) + rejected
    tags = run_tags(status, rejected, total, dry_run=dry_run)
    context.instance.add_run_tags(context.run_id, tags)
    status_tags = {STATUS_TAG: tags[STATUS_TAG]}  # materialization tags take no spaces
    verdict = upload_verdict(status, rejected, total, dry_run=dry_run)
    yield MaterializeResult(
        asset_key="products",
        metadata={
            # first, so the partition's page opens on the verdict (the run itself succeeds)
            "upload": verdict,
            "dagster/row_count": counts.products_loaded,
            "tenant": tenant,
            "dry_run": dry_run,
            "inserted": counts.products_inserted,
            "updated": counts.products_updated,
            "unchanged": counts.products_unchanged,
            "rejected": validated_rows.products_rejected,
            "preview": frame_preview(
                validated_rows.products, ("product_id", "product_name", "brand", "category")
            ),
            "seconds": seconds,
        },
        tags=status_tags,
    )
    yield AssetCheckResult(
        check_name="upload_accepted",
        asset_key="products",
        passed=status != "rejected",
        severity=AssetCheckSeverity.ERROR,
        description=(
            f"rejected: {problems_summary(validated_rows.problems)}"
            if status == "rejected"
            else None
        ),
        metadata={
            "status": status,
            "products_rejected": validated_rows.products_rejected,
            "rows_rejected": validated_rows.rows_rejected,
        },
    )
    yield MaterializeResult(
        asset_key="skus",
        metadata={
            "upload": verdict,
            "dagster/row_count": counts.skus_loaded,
            "tenant": tenant,
            "inserted": counts.skus_inserted,
            "updated": counts.skus_updated,
            "unchanged": counts.skus_unchanged,
            "disabled_absent": counts.skus_disabled,
            "mode": mode,
            "held_for_review": counts.held,
            "review_reasons": "\n".join(counts.review_reasons),
            "rows_rejected": validated_rows.rows_rejected,
            "dry_run": dry_run,
            "load_warnings": "\n".join(counts.warnings),
            "seconds": seconds,
        },
        tags=status_tags,
    )
    present = _present_in_catalog(engine, tenant, validated_rows)
    expected = len(validated_rows.products) + len(validated_rows.skus)
    if dry_run or counts.held:  # rolled back: only the rows that were there before are found
        expected -= counts.products_inserted + counts.skus_inserted
    yield AssetCheckResult(
        check_name="catalog_holds_upload",
        asset_key="skus",
        passed=present == expected,
        metadata={"expected_rows": expected, "found_rows": present, "dry_run": dry_run},
    )


def _present_in_catalog(engine: sa.Engine, tenant: str, rows: ValidatedRows) -> int:
    product_ids = rows.products["product_id"].tolist()
    sku_ids = rows.skus["sku_id"].tolist()
    with engine.connect() as conn:
        n_products = conn.execute(
            sa.select(sa.func.count())
            .select_from(tables.products)
            .where(tables.products.c.tenant == tenant)
            .where(tables.products.c.product_id == sa.any_(_text_array(product_ids)))
        ).scalar_one()
        n_skus = conn.execute(
            sa.select(sa.func.count())
            .select_from(tables.skus)
            .where(tables.skus.c.tenant == tenant)
            .where(tables.skus.c.sku_id == sa.any_(_text_array(sku_ids)))
        ).scalar_one()
    return int(n_products) + int(n_skus)


def _text_array(values: list[str]) -> sa.BindParameter:
    return sa.bindparam(None, values, type_=ARRAY(sa.Text))


def _run_start(context: AssetExecutionContext) -> float | None:
    record = context.instance.get_run_record_by_id(context.run_id)
    return record.start_time if record is not None else None
