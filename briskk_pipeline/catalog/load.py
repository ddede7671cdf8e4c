"""The set-based load of one upload into the catalog, in one transaction.

Per SPEC §2 "Upsert": products and SKUs of the upload are inserted or updated; nothing changes
by omission. A catalog SKU the file does not list is left as it is (named in the summary), a
column the file does not have leaves its stored values as they are; only `replace` mode
(`briskk ingest --replace`) disables the SKUs of the upload's products it leaves out, and an
update file (`update` mode) changes only the columns it has, where its cells are not blank.
Nothing is ever deleted from `products` or `skus`. The upload record's final state, with the
`changes` object of everything the load changed (`summary.py`), is written in the same
transaction, so the catalog and `briskk uploads` never disagree.

How (see PITFALLS "Loading PostgreSQL"): the frames are COPYed into temporary staging tables
(`staging.py`) and merged with one `INSERT … ON CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM`
per table (`merge.py`), under a transaction-scoped advisory lock on the tenant.

What the load changes is measured inside the same transaction (`changes.py` copies the touched
rows before the merge). A dry run (`dry_run=True`) runs this very load inside a savepoint,
collects the changes, rolls the savepoint back and records the upload as `previewed`; a load
whose changes cross the tenant's review limits (`hold`, see `review/`) is rolled back the same
way and recorded `needs_review`: the diff cannot drift from the load. Every product and SKU row
the load changes is recorded in `catalog_history` (`history/record.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import pandas as pd
import sqlalchemy as sa

from briskk_pipeline import template
from briskk_pipeline.catalog import changes, merge, newer, staging, summary, tables
from briskk_pipeline.catalog.staging import (
    PRODUCT_STAGE_COLUMNS,
    SKU_STAGE_COLUMNS,
    stage_images,
    stage_product_images,
    stage_products,
    stage_skus,
)
from briskk_pipeline.catalog.uploads import UploadOutcome, write_outcome
from briskk_pipeline.history import record as history
from briskk_pipeline.images.model import IMAGE_FRAME_COLUMNS, PRODUCT_IMAGE_COLUMNS
from briskk_pipeline.vocab import store as vocab_store

Mode = Literal["merge", "replace", "update"]
MODES: Final[tuple[str, ...]] = ("merge", "replace", "update")
# A hold decides from the `changes` object whether the upload waits for a person (review/).
Hold = Callable[[sa.Connection, Mapping[str, Any], int], list[str]]

__all__ = ["MODES", "Hold", "LoadCounts", "Mode", "UploadOutcome", "load_upload"]


@dataclass(frozen=True)
class LoadCounts:
    """What the load did (or, in a dry run or a hold, would do).

    `*_loaded` are the rows of the upload (inserted + updated + unchanged). `warnings` are the
    load's own (`changes.load_warnings`, the SKUs not listed); `changes` is filled in dry runs
    only (`changes.collect_changes`); `summary` is the `changes` object (`summary.py`);
    `held` says the upload was held for review (`review_reasons` why).
    """

    products_loaded: int = 0
    skus_loaded: int = 0
    products_inserted: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    skus_inserted: int = 0
    skus_updated: int = 0
    skus_unchanged: int = 0
    skus_disabled: int = 0
    warnings: tuple[str, ...] = ()
    changes: tuple[dict[str, Any], ...] | None = None
    # the summary repeats the counts above; equality of two results is their counts
    summary: dict[str, Any] | None = field(default=None, compare=False)
    held: bool = False
    review_reasons: tuple[str, ...] = ()


def load_upload(
    engine: sa.Engine,
    *,
    upload_id: str,
    tenant: str,
    products: pd.DataFrame,
    skus: pd.DataFrame,
    outcome: UploadOutcome,
    images: pd.DataFrame | None = None,
    product_images: pd.DataFrame | None = None,
    before_upsert: Callable[[sa.Connection], None] | None = None,
    keep_enabled: Sequence[str] = (),
    product_rows: Mapping[str, int] | None = None,
    sku_rows: Mapping[str, int] | None = None,
    dry_run: bool = False,
    rejected_products: Iterable[str] = (),
    columns: Collection[str] | None = None,
    mode: str = "merge",
    hold: Hold | None = None,
    force: bool = False,
) -> LoadCounts:
    """Load one upload's products, SKUs and image slots, and finish its record, atomically.

    `products` has the template's product columns, `skus` the SKU columns plus `product_id`
    (decimals as exact text, `stock` Int64, `is_disabled` bool). `columns`: the template columns
    the file has (default: all); an existing row changes only in those. `mode`: `merge`
    (default: catalog SKUs the file leaves out are kept and named in a warning), `replace`
    (they are disabled, every one listed) or `update` (an update file: blank cells keep the
    stored value). `images` rows are inserted if their sha256 is new. `product_images`, when
    given and not empty, upserts the image slots of the products in `products`; their other
    slots among the image columns the file has are deleted. A null `last_attempt_at` keeps the
    stored one. Empty `products`/`skus` (a rejected upload) only write the upload record.
    `keep_enabled` are sku_ids on rows that were rejected: they are in the file, so never
    absent. `before_upsert(connection)` runs after staging, before any catalog row is written
    (tests use it to fail mid-load). `product_rows`/`sku_rows` name the Excel rows in the
    summary. The upload must have been registered (`register_upload`).

    `dry_run`: everything above runs, then the catalog part is rolled back to a savepoint and
    the record alone is written, status `previewed`, with `changes` (where `rejected_products`
    appear as `rejected`). `hold(connection, summary, active_before)` returns the reasons to
    hold the upload for review (`review/limits.py`): if any, the catalog part is rolled back
    too and the record is `needs_review` with its summary (a dry run records them as what
    would happen). Raises `ValueError` for an unknown `mode` or malformed frames, and
    `newer.NewerDataRefused` (nothing written) when a product or SKU it would write was last
    written by an upload received after this one, unless `force` (a dry run only warns).
    """
    if mode not in MODES:
        raise ValueError(f"mode is one of {MODES}, not {mode!r}")
    present = frozenset(template.COLUMN_NAMES if columns is None else columns)
    products = staging.checked(products, PRODUCT_STAGE_COLUMNS, ("product_id",), "products")
    skus = staging.checked(skus, SKU_STAGE_COLUMNS, ("sku_id",), "skus")
    images = staging.checked(images, IMAGE_FRAME_COLUMNS, (), "images")
    product_images = staging.checked(
        product_images, PRODUCT_IMAGE_COLUMNS, ("product_id", "position"), "product_images"
    )
    staging.require_exact(skus)
    if skus is not None:  # a new SKU is inserted with its colour family and size reading
        skus = vocab_store.with_readings(skus)

    with engine.begin() as connection:
        # Serialize uploads of one tenant; released at commit or rollback.
        lock_key = sa.bindparam("lock_key", f"briskk_pipeline.tenant:{tenant}", type_=sa.Text)
        connection.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(lock_key, 0)))
        )
        savepoint = connection.begin_nested() if dry_run or hold is not None else None
        staged = {
            table: frame
            for table, frame in (
                (stage_products, products),
                (stage_skus, skus),
                (stage_images, images),
                (stage_product_images, product_images),
            )
            if frame is not None
        }
        for table, frame in staged.items():
            staging.stage(connection, table, frame)
        if before_upsert is not None:
            before_upsert(connection)
        if skus is not None:
            outcome = merge.reject_moved_skus(
                connection, tenant, outcome, product_rows or {}, staged=list(staged)
            )
        refusal: list[str] = []
        if products is not None and not force:
            later = newer.newer_writes(
                connection,
                tenant=tenant,
                upload_id=upload_id,
                stage_products=stage_products,
                stage_skus=stage_skus if skus is not None else None,
            )
            if later and not dry_run:
                raise newer.NewerDataRefused(upload_id, later)
            if later:
                refusal = [f"a real load would be {newer.describe(upload_id, later)}"]
        active_before = (
            changes.snapshot_before(
                connection,
                tenant=tenant,
                stage_products=stage_products,
                stage_skus=stage_skus if skus is not None else None,
            )
            if products is not None
            else 0
        )
        record = products is not None and history.recording_enabled()
        if record:  # the touched products' image slots, for the history (history/record.py)
            history.capture_before(connection, tenant=tenant, stage_products=stage_products.name)

        if images is not None:
            merge.insert_new_images(connection)
        product_result = sku_result = merge.NOTHING
        keep_blank = mode == "update"
        if products is not None:
            product_result = merge.merge(
                connection,
                target=tables.products,
                stage=stage_products,
                key="product_id",
                tenant=tenant,
                upload_id=upload_id,
                columns=present,
                keep_blank=keep_blank,
            )
        if skus is not None:
            sku_result = merge.merge(
                connection,
                target=tables.skus,
                stage=stage_skus,
                key="sku_id",
                tenant=tenant,
                upload_id=upload_id,
                columns=present,
                keep_blank=keep_blank,
            )
            vocab_store.refresh(connection, tenant=tenant, stage=stage_skus)
        disabled_absent: list[tuple[str, str]] = []
        not_listed: list[tuple[str, str]] = []
        if products is not None and mode != "update":
            loaded_ids = set(skus["sku_id"]) if skus is not None else set()
            absent_args: dict[str, Any] = {
                "tenant": tenant,
                "has_skus": skus is not None,
                "listed": sorted(set(keep_enabled) - loaded_ids),
            }
            if mode == "replace":
                disabled_absent = merge.disable_absent_skus(
                    connection, upload_id=upload_id, **absent_args
                )
            else:
                not_listed = merge.kept_skus(connection, **absent_args)
        if product_images is not None:
            merge.replace_image_slots(
                connection,
                tenant=tenant,
                has_products=products is not None,
                positions=merge.image_positions(present),
            )
        if record:  # what this upload changed, row by row, in this transaction
            history.record_changes(connection, tenant=tenant, change_set_id=upload_id)

        warnings: list[str] = []
        found: list[dict[str, Any]] | None = None
        summary_found: dict[str, Any] | None = None
        if products is not None:
            warnings = changes.load_warnings(connection, tenant=tenant, active_before=active_before)
            warnings += summary.not_listed_warnings(not_listed)
            warnings += summary.disabled_absent_warnings(disabled_absent)
            warnings += refusal
            summary_found = summary.summarize(
                connection,
                tenant=tenant,
                mode=mode,
                stage_products=stage_products,
                stage_skus=stage_skus if skus is not None else None,
                counts={
                    "products": _counts(product_result),
                    "skus": _counts(sku_result),
                },
                disabled_absent=disabled_absent,
                not_listed=not_listed,
                product_rows=product_rows or {},
                sku_rows=sku_rows or {},
            )
        reasons: list[str] = []
        if hold is not None and summary_found is not None:
            reasons = hold(connection, summary_found, active_before)
        if dry_run:
            found = [
                {"product_id": p, "action": "rejected", "fields": {}, "skus": []}
                for p in sorted(set(rejected_products))
            ]
            if products is not None:
                found = changes.collect_changes(
                    connection,
                    tenant=tenant,
                    stage_products=stage_products,
                    stage_skus=stage_skus if skus is not None else None,
                    rejected_products=rejected_products,
                )
        held = bool(reasons) and not dry_run
        if savepoint is not None:
            if dry_run or held:
                savepoint.rollback()  # the catalog as it was; only the record is written
            else:
                savepoint.commit()
        status = outcome.status
        if dry_run:
            status = "previewed"
        elif held and status == "succeeded":
            status = "needs_review"
        first: list[str] = []  # what the brand must read first: held, and why
        if held:
            first = ["held for review: " + "; ".join(reasons)]
        elif dry_run and reasons:
            first = ["this upload would be held for review: " + "; ".join(reasons)]
        outcome = replace(
            outcome,
            status=status,
            warnings=[*first, *outcome.warnings, *warnings],
            changes=found,
            change_summary=summary_found,
            review_reasons=reasons,
        )
        write_outcome(
            connection,
            upload_id=upload_id,
            outcome=outcome,
            products_loaded=0 if held else product_result.loaded,
            skus_loaded=0 if held else sku_result.loaded,
        )
    return LoadCounts(
        products_loaded=product_result.loaded,
        skus_loaded=sku_result.loaded,
        products_inserted=product_result.inserted,
        products_updated=product_result.updated,
        products_unchanged=product_result.unchanged,
        skus_inserted=sku_result.inserted,
        skus_updated=sku_result.updated,
        skus_unchanged=sku_result.unchanged,
        skus_disabled=len(disabled_absent),
        warnings=tuple(warnings),
        changes=None if found is None else tuple(found),
        summary=summary_found,
        held=held,
        review_reasons=tuple(reasons),
    )


def _counts(merged: merge.Merged) -> dict[str, int]:
    return {"inserted": merged.inserted, "updated": merged.updated, "unchanged": merged.unchanged}
