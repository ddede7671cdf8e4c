"""`readiness`: each valid product of an upload checked against the tenant's channels."""

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    MetadataValue,
    Output,
    asset,
)

from briskk_pipeline.images.assets import ProductImages
from briskk_pipeline.ingest.assets import registered_upload
from briskk_pipeline.ingest.partitions import uploads_partitions
from briskk_pipeline.outcome import upload_check
from briskk_pipeline.readiness.evaluate import UploadReadiness, assess, summary
from briskk_pipeline.readiness.settings import settings_for
from briskk_pipeline.readiness.store import measure_missing, save_verdicts
from briskk_pipeline.resources import CatalogDatabase, ObjectStore
from briskk_pipeline.validation.validate import ValidatedRows

_SHOWN = 50  # not-ready rows in the asset's markdown preview


@asset(
    partitions_def=uploads_partitions,
    group_name="ingest",
    check_specs=[
        upload_check(  # partitioned by upload, like every check of an upload (outcome.py)
            "products_ready",
            asset="readiness",
            description="Every valid product of the upload passes the rule set of every "
            "channel the tenant sells on. A warning (readiness never blocks loading), an "
            "error when a channel the tenant made blocking kept products out.",
        )
    ],
)
def readiness(
    context: AssetExecutionContext,
    validated_rows: ValidatedRows,
    product_images: ProductImages,
    catalog: CatalogDatabase,
    object_store: ObjectStore,
) -> Iterator[Output[UploadReadiness] | AssetCheckResult]:
    """Each valid product against the rule set of each channel the tenant sells on.

    The rules are data (readiness/channels/*.yaml, each with its source); they read the
    stored images' facts (size, bytes, format, border whiteness, perceptual hash), the
    product's attributes and its SKUs' barcodes. The verdicts (`ready`, or each failing rule
    with its image slot or cell) are stored with the upload (`upload_readiness`) before the
    load; a channel the tenant made blocking keeps its failing products out of the load.
    """
    started = time.perf_counter()
    engine = catalog.get_engine()
    upload_id = context.partition_key
    tenant = str(registered_upload(engine, upload_id)["tenant"])
    settings = settings_for(engine, tenant)
    frame, measured = measure_missing(engine, object_store, product_images.images)
    images = ProductImages(
        images=frame,
        product_images=product_images.product_images,
        counts=product_images.counts,
        failures=product_images.failures,
        warnings=product_images.warnings,
    )
    result = assess(validated_rows, images, settings)
    save_verdicts(engine, upload_id, tenant, result.verdicts, datetime.now(UTC))
    counts = result.counts()
    context.log.info(f"{upload_id}: readiness {summary(result)}")
    yield Output(
        result.for_the_load(),  # every verdict is in the catalog already (save_verdicts)
        metadata={
            "dagster/row_count": len(validated_rows.products),
            "channels": ", ".join(result.channels),
            "blocking": ", ".join(result.blocking) or "none",
            **{f"ready_{c}": n["ready"] for c, n in counts.items()},
            **{f"not_ready_{c}": n["not_ready"] for c, n in counts.items()},
            "blocked_products": len(result.blocked),
            "images_measured_late": measured,
            "not_ready": MetadataValue.md(_preview(result)),
            "seconds": round(time.perf_counter() - started, 4),
        },
    )
    failing = Counter(f.rule for v in result.verdicts for f in v.failures)
    yield AssetCheckResult(
        check_name="products_ready",
        passed=not result.not_ready(),
        severity=AssetCheckSeverity.ERROR if result.blocked else AssetCheckSeverity.WARN,
        description=(summary(result) if result.not_ready() else None),
        metadata={
            "not_ready": len(result.not_ready()),
            "blocked_products": len(result.blocked),
            "top_failing_rules": ", ".join(f"{r} ({n})" for r, n in failing.most_common(5)),
        },
    )


def _preview(result: UploadReadiness) -> str:
    rows = [
        {
            "row": v.row,
            "product_id": v.product_id,
            "channel": v.channel,
            "failing": "; ".join(f.message for f in v.failures),
        }
        for v in result.not_ready()[:_SHOWN]
    ]
    if not rows:
        return "_every product is ready for every channel_"
    return pd.DataFrame(rows).to_markdown(index=False)
