"""`validated_rows`: the rows of an upload that may load, and every problem found in it."""

import time
from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Output,
    asset,
)

from briskk_pipeline.catalog.lookalikes import digits_without_leading_zeros
from briskk_pipeline.catalog.queries import barcode_owners, sku_ids_by_lower_case, sku_owners
from briskk_pipeline.ingest.assets import RawUpload
from briskk_pipeline.ingest.partitions import uploads_partitions
from briskk_pipeline.metadata import frame_preview, problems_summary, problems_table
from briskk_pipeline.outcome import upload_check
from briskk_pipeline.profiles.values import apply_value_maps
from briskk_pipeline.readiness.settings import settings_for
from briskk_pipeline.resources import CatalogDatabase
from briskk_pipeline.validation import update_file
from briskk_pipeline.validation.report import Problem
from briskk_pipeline.validation.validate import ValidatedRows, validate_rows


@asset(
    partitions_def=uploads_partitions,
    group_name="ingest",
    check_specs=[
        upload_check(
            "all_rows_valid",
            asset="validated_rows",
            description="Every row of the upload passed validation (an error when the upload is "
            "rejected, a warning when only some products are).",
        )
    ],
)
def validated_rows(
    context: AssetExecutionContext, raw_sheet: RawUpload, catalog: CatalogDatabase
) -> Iterator[Output[ValidatedRows] | AssetCheckResult]:
    """Typed, validated rows split into products and SKUs, plus the brand's problem report.

    Pandera schemas check each row lazily (every problem at once); cross-row rules catch
    duplicate SKUs, product columns that disagree, SKUs that belong to another product of
    the tenant, and barcodes on two SKUs (in the file or against the catalog). Identifiers
    that had to change (invisible characters removed) and SKU ids that differ only in letter
    case are cell warnings. A product with any bad row is rejected whole; the others go on.
    """
    started = time.perf_counter()
    if raw_sheet.sheet is None:
        result = ValidatedRows.rejected(raw_sheet.problems)
    else:
        engine = catalog.get_engine()
        # the tenant's value maps first (profiles/values.py): every check, and the vocabulary
        # of `raw_sheet.profile.strict_columns`, sees the value the brand asked for
        frame, mapped = apply_value_maps(raw_sheet.sheet.frame, raw_sheet.profile)
        update_problems: list[Problem] = []
        update = update_file.is_update(raw_sheet.sheet.columns)
        if update:  # a price-and-stock file: each row completed from the catalog first
            ids = frame["sku_id"].dropna().unique().tolist()
            stored = update_file.stored_rows(engine, raw_sheet.tenant, ids)
            frame, update_problems = update_file.complete_from_catalog(frame, stored)
        readiness = settings_for(engine, raw_sheet.tenant)  # strict barcodes, tax rule map
        result = validate_rows(
            frame,
            sku_owners=lambda ids: sku_owners(engine, raw_sheet.tenant, ids),
            read_problems=raw_sheet.sheet.problems,
            barcode_owners=lambda codes: barcode_owners(engine, raw_sheet.tenant, codes),
            sku_lookalikes=lambda ids: sku_ids_by_lower_case(engine, raw_sheet.tenant, ids),
            zero_lookalikes=lambda forms: digits_without_leading_zeros(
                engine, raw_sheet.tenant, forms
            ),
            strict_barcodes=readiness.strict_barcodes,
            tax_rules=readiness.tax_rules,
            file_columns=raw_sheet.sheet.columns,
            strict_columns=raw_sheet.profile.strict_columns,  # the brand profile's (issue 22)
        )
        result.columns = list(raw_sheet.sheet.columns)
        result.cell_warnings = [*mapped, *result.cell_warnings]
        if update:
            update_file.account_for(result, update_problems, len(raw_sheet.sheet.frame))
        result.warnings = [
            *([update_file.UPDATE_NOTE] if update else []),
            *raw_sheet.sheet.warnings,
            *(str(w) for w in result.cell_warnings),
        ]
    result.tenant = raw_sheet.tenant
    context.log.info(
        f"{raw_sheet.upload_id}: {len(result.products)} products / {len(result.skus)} SKUs "
        f"valid, {result.products_rejected} products / {result.rows_rejected} rows rejected, "
        f"{len(result.problems)} problems"
    )
    yield Output(
        result,
        metadata={
            "dagster/row_count": len(result.skus),
            "products_valid": len(result.products),
            "products_rejected": result.products_rejected,
            "rows_rejected": result.rows_rejected,
            "problems": problems_table(result.problems),
            "preview": frame_preview(result.skus, ("product_id", "sku_id", "size", "price")),
            "seconds": round(time.perf_counter() - started, 4),  # time spent in this body
        },
    )
    # ERROR when the upload is rejected (the file, or every product), WARN when only some
    # products are: the UI then tells a rejected upload from a partly loaded one at a glance.
    yield AssetCheckResult(
        check_name="all_rows_valid",
        passed=not result.problems,
        severity=(
            AssetCheckSeverity.ERROR if result.status == "rejected" else AssetCheckSeverity.WARN
        ),
        description=(
            f"{result.status}: {problems_summary(result.problems)}" if result.problems else None
        ),
        metadata={
            "problems": len(result.problems),
            "rows_rejected": result.rows_rejected,
        },
    )
