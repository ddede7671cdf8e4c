"""The set-based load of one upload into the catalog, in one transaction.

Per SPEC §2 "Upsert": products and SKUs of the upload are inserted or updated; the upload is
authoritative for each product it contains, so that product's SKUs absent from it become
`is_disabled = true`; nothing is ever deleted from `products` or `skus`. The upload record's
final state is written in the same transaction, so the catalog and `briskk uploads` never
disagree.

How (see PITFALLS "Loading PostgreSQL"): the frames are written as CSV by pyarrow and COPYed
into temporary staging tables, then merged with one `INSERT … SELECT … ON CONFLICT DO UPDATE …
WHERE (columns) IS DISTINCT FROM EXCLUDED` per table, so rows that did not change are not
rewritten and keep their `updated_at` and `last_upload_id`. A transaction-scoped advisory lock
on the tenant keeps two uploads of one tenant from interleaving.

What the load changes is measured inside the same transaction (`changes.py`: the touched rows
are copied before the merge and compared after it); its warnings go into the upload's record.
A dry run (`dry_run=True`) runs this very load inside a savepoint, collects the changes, rolls
the savepoint back and records the upload as `previewed`: the diff cannot drift from the load.
Every product and SKU row the load changes is recorded with its before- and after-image in
`catalog_history`, in the same transaction (`history/record.py`), so `briskk rollback` can undo it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert

from briskk_pipeline import template
from briskk_pipeline.catalog import changes, tables
from briskk_pipeline.catalog.uploads import UploadOutcome, write_outcome
from briskk_pipeline.history import record as history
from briskk_pipeline.images.model import IMAGE_FRAME_COLUMNS, PRODUCT_IMAGE_COLUMNS

PRODUCT_STAGE_COLUMNS: Final[tuple[str, ...]] = template.PRODUCT_COLUMNS
SKU_STAGE_COLUMNS: Final[tuple[str, ...]] = ("product_id", *template.SKU_COLUMNS)
EXACT_COLUMNS: Final[tuple[str, ...]] = template.columns_of(
    template.Kind.DECIMAL
) + template.columns_of(template.Kind.MEASURE)

_stage_metadata = sa.MetaData()


def _stage_table(name: str, target: sa.Table, columns: Sequence[str]) -> sa.Table:
    """A temporary table with `columns` typed as in `target`, dropped at commit.

    Typed staging makes COPY parse numbers, booleans and timestamps itself: exact decimal text
    goes straight into NUMERIC, and a bad value fails the COPY rather than the merge.
    """
    return sa.Table(
        name,
        _stage_metadata,
        *(sa.Column(c, target.c[c].type) for c in columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


_stage_products = _stage_table("briskk_stage_products", tables.products, PRODUCT_STAGE_COLUMNS)
_stage_skus = _stage_table("briskk_stage_skus", tables.skus, SKU_STAGE_COLUMNS)
_stage_images = _stage_table("briskk_stage_images", tables.images, IMAGE_FRAME_COLUMNS)
_stage_product_images = _stage_table(
    "briskk_stage_product_images", tables.product_images, PRODUCT_IMAGE_COLUMNS
)


@dataclass(frozen=True)
class LoadCounts:
    """What the load did (or, in a dry run, would do).

    `*_loaded` are the rows of the upload (inserted + updated + unchanged). `warnings` are the
    load's own (`changes.load_warnings`); `changes` is filled in dry runs only
    (`changes.collect_changes`).
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


@dataclass(frozen=True)
class _Merged:
    inserted: int
    updated: int
    unchanged: int

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged


_NOTHING = _Merged(0, 0, 0)


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
    dry_run: bool = False,
    rejected_products: Iterable[str] = (),
) -> LoadCounts:
    """Load one upload's products, SKUs and image slots, and finish its record, atomically.

    `products` has the template's product columns, `skus` the SKU columns plus `product_id`
    (decimals as exact text, `stock` Int64, `is_disabled` bool). `images` rows are inserted if
    their sha256 is new. `product_images`, when given and not empty, is authoritative for the
    image slots of every product in `products`: its slots are upserted and that product's other
    slots deleted (slots are derived from the sheet); None or empty leaves slots untouched. A
    null `last_attempt_at` (nothing was fetched for the slot this run) keeps the stored one.
    Empty `products`/`skus` (a rejected upload) only write the upload record.
    `keep_enabled` are sku_ids the upload lists on rows that were rejected: they are in the
    file, so they are not absent and are never disabled by it (the Fidelity rule: only SKUs
    truly absent from the upload are). `before_upsert(connection)` runs after staging, before
    any catalog row is written (tests use it to fail mid-load). The upload must have been
    registered (`register_upload`).

    `dry_run`: everything above runs, then the catalog part is rolled back to a savepoint and
    the record alone is written, status `previewed`, with `changes` (where `rejected_products`,
    the product ids validation rejected, appear as `rejected`). The load's warnings (big price
    moves, blank cells over stored values, mass disabling) are added to the record's warnings
    in both modes.
    """
    products = _checked(products, PRODUCT_STAGE_COLUMNS, ("product_id",), "products")
    skus = _checked(skus, SKU_STAGE_COLUMNS, ("sku_id",), "skus")
    images = _checked(images, IMAGE_FRAME_COLUMNS, (), "images")
    product_images = _checked(
        product_images, PRODUCT_IMAGE_COLUMNS, ("product_id", "position"), "product_images"
    )
    _require_exact(skus)

    with engine.begin() as connection:
        # Serialize uploads of one tenant; released at commit or rollback.
        lock_key = sa.bindparam("lock_key", f"briskk_pipeline.tenant:{tenant}", type_=sa.Text)
        connection.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(lock_key, 0)))
        )
        savepoint = connection.begin_nested() if dry_run else None
        staged = {
            stage: frame
            for stage, frame in (
                (_stage_products, products),
                (_stage_skus, skus),
                (_stage_images, images),
                (_stage_product_images, product_images),
            )
            if frame is not None
        }
        for stage, frame in staged.items():
            _stage(connection, stage, frame)
        if before_upsert is not None:
            before_upsert(connection)
        if skus is not None:
            outcome = _reject_moved_skus(
                connection, tenant, outcome, product_rows or {}, staged=list(staged)
            )
        active_before = (
            changes.snapshot_before(
                connection,
                tenant=tenant,
                stage_products=_stage_products,
                stage_skus=_stage_skus if skus is not None else None,
            )
            if products is not None
            else 0
        )
        record = products is not None and history.recording_enabled()
        if record:  # the touched products' image slots, for the history (history/record.py)
            history.capture_before(connection, tenant=tenant, stage_products=_stage_products.name)

        if images is not None:
            _insert_new_images(connection)
        product_result = _NOTHING
        sku_result = _NOTHING
        disabled = 0
        if products is not None:
            product_result = _merge(
                connection,
                target=tables.products,
                stage=_stage_products,
                key="product_id",
                tenant=tenant,
                upload_id=upload_id,
            )
        if skus is not None:
            sku_result = _merge(
                connection,
                target=tables.skus,
                stage=_stage_skus,
                key="sku_id",
                tenant=tenant,
                upload_id=upload_id,
            )
        if products is not None:
            loaded_ids = set(skus["sku_id"]) if skus is not None else set()
            disabled = _disable_absent_skus(
                connection,
                tenant=tenant,
                upload_id=upload_id,
                has_skus=skus is not None,
                listed=sorted(set(keep_enabled) - loaded_ids),
            )
        if product_images is not None:
            _replace_image_slots(connection, tenant=tenant, has_products=products is not None)
        if record:  # what this upload changed, row by row, in this transaction
            history.record_changes(connection, tenant=tenant, change_set_id=upload_id)

        warnings: list[str] = []
        found: list[dict[str, Any]] | None = None
        if products is not None:
            warnings = changes.load_warnings(connection, tenant=tenant, active_before=active_before)
        if dry_run:
            found = [
                {"product_id": p, "action": "rejected", "fields": {}, "skus": []}
                for p in sorted(set(rejected_products))
            ]
            if products is not None:
                found = changes.collect_changes(
                    connection,
                    tenant=tenant,
                    stage_products=_stage_products,
                    stage_skus=_stage_skus if skus is not None else None,
                    rejected_products=rejected_products,
                )
        if savepoint is not None:
            savepoint.rollback()  # the catalog as it was; only the record is written
        outcome = replace(
            outcome,
            status="previewed" if dry_run else outcome.status,
            warnings=[*outcome.warnings, *warnings],
            changes=found,
        )
        write_outcome(
            connection,
            upload_id=upload_id,
            outcome=outcome,
            products_loaded=product_result.loaded,
            skus_loaded=sku_result.loaded,
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
        skus_disabled=disabled,
        warnings=tuple(warnings),
        changes=None if found is None else tuple(found),
    )


def _reject_moved_skus(
    connection: sa.Connection,
    tenant: str,
    outcome: UploadOutcome,
    product_rows: Mapping[str, int],
    *,
    staged: Sequence[sa.Table],
) -> UploadOutcome:
    """Reject, inside the tenant's lock, the staged products that would move a catalog SKU.

    Validation checks SKU ownership before the load, outside the lock; a concurrent upload of
    the same tenant may have given a SKU to another product since. Checked again here, the
    later upload rejects that product whole, as it would have sequentially (Hardening issue):
    its rows leave the staging tables and the outcome gains the problems (`product_rows`:
    product_id -> its first Excel row, to name the row).
    """
    skus, stage = tables.skus, _stage_skus
    moved = connection.execute(
        sa.select(stage.c.sku_id, stage.c.product_id, skus.c.product_id.label("owner"))
        .join(skus, sa.and_(skus.c.tenant == tenant, skus.c.sku_id == stage.c.sku_id))
        .where(skus.c.product_id != stage.c.product_id)
        .order_by(stage.c.product_id, stage.c.sku_id)
    ).all()
    if not moved:
        return outcome
    products = sorted({row.product_id for row in moved})
    rows_rejected = connection.execute(
        sa.select(sa.func.count()).select_from(stage).where(stage.c.product_id.in_(products))
    ).scalar_one()
    for table in staged:
        if "product_id" in table.c:
            connection.execute(sa.delete(table).where(table.c.product_id.in_(products)))
    problems = [
        {
            "row": product_rows.get(row.product_id),
            "column": "sku_id",
            "value": row.sku_id,
            "message": f"sku_id already belongs to product '{row.owner}' in your catalog (an "
            "upload loaded at the same time gave it to that product); a SKU cannot move to "
            "another product",
        }
        for row in moved
    ]
    left = connection.execute(sa.select(sa.func.count()).select_from(_stage_products)).scalar_one()
    return replace(
        outcome,
        status="rejected" if left == 0 and outcome.status == "succeeded" else outcome.status,
        products_rejected=outcome.products_rejected + len(products),
        rows_rejected=outcome.rows_rejected + rows_rejected,
        errors=[*outcome.errors, *problems],
    )


def _checked(
    frame: pd.DataFrame | None, columns: Sequence[str], key: Sequence[str], name: str
) -> pd.DataFrame | None:
    """The frame's `columns` in order, or None when there are no rows to load."""
    if frame is None or len(frame) == 0:
        return None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} frame lacks columns {missing}")
    if key:
        duplicated = frame.duplicated(list(key), keep=False)
        if duplicated.any():
            shown = frame.loc[duplicated, list(key)].drop_duplicates().head(5)
            raise ValueError(
                f"{name} frame has duplicate {'/'.join(key)}: {shown.to_dict('records')}"
            )
    return frame.loc[:, list(columns)]


def _require_exact(skus: pd.DataFrame | None) -> None:
    """Prices and measurements must arrive as exact text; a float has already lost digits."""
    if skus is None:
        return
    for column in EXACT_COLUMNS:
        if pd.api.types.is_float_dtype(skus[column].dtype):
            raise TypeError(
                f"skus.{column} is {skus[column].dtype}; decimals must arrive as exact text "
                "such as '1299.00'"
            )


def _csv(frame: pd.DataFrame) -> io.BytesIO:
    """CSV for `COPY … (FORMAT csv)`: every non-null value quoted, nulls as bare empty fields.

    PostgreSQL reads an unquoted empty field as NULL and `""` as an empty string, so NULL and
    '' stay distinct; text (including decimal text) is written byte for byte.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    buffer = io.BytesIO()
    pa_csv.write_csv(
        table, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    )
    buffer.seek(0)
    return buffer


def _stage(connection: sa.Connection, stage: sa.Table, frame: pd.DataFrame) -> None:
    connection.execute(sa.schema.CreateTable(stage))
    preparer = connection.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(c.name) for c in stage.columns)
    copy_sql = f"COPY {preparer.format_table(stage)} ({columns}) FROM STDIN WITH (FORMAT csv)"
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(copy_sql, _csv(frame))
    finally:
        cursor.close()


def _merge(
    connection: sa.Connection,
    *,
    target: sa.Table,
    stage: sa.Table,
    key: str,
    tenant: str,
    upload_id: str,
) -> _Merged:
    """Upsert `stage` into `target` on (tenant, key); unchanged rows are left untouched."""
    data = [c.name for c in stage.columns if c.name != key]
    existing = connection.execute(
        sa.select(sa.func.count())
        .select_from(stage)
        .join(target, sa.and_(target.c.tenant == tenant, target.c[key] == stage.c[key]))
    ).scalar_one()
    total = connection.execute(sa.select(sa.func.count()).select_from(stage)).scalar_one()

    values: list[sa.ColumnElement[object]] = []
    for name in data:
        column: sa.ColumnElement[object] = stage.c[name]
        if name == "is_disabled":
            column = sa.func.coalesce(column, sa.false())  # blank means false (SPEC §2)
        values.append(column)
    source = sa.select(
        sa.literal(tenant, sa.Text),
        stage.c[key],
        *values,
        sa.literal(upload_id, sa.Text),
        sa.literal(upload_id, sa.Text),
        sa.func.now(),
        sa.func.now(),
    )
    insert = pg_insert(target).from_select(
        ["tenant", key, *data, "first_upload_id", "last_upload_id", "created_at", "updated_at"],
        source,
    )
    excluded = insert.excluded
    changed = sa.or_(*(target.c[name].is_distinct_from(excluded[name]) for name in data))
    upsert = insert.on_conflict_do_update(
        index_elements=[target.c.tenant, target.c[key]],
        set_={
            **{name: excluded[name] for name in data},
            "last_upload_id": excluded.last_upload_id,
            "updated_at": excluded.updated_at,
        },
        where=changed,
    )
    written = connection.execute(upsert).rowcount
    inserted = total - existing
    updated = written - inserted
    return _Merged(inserted=inserted, updated=updated, unchanged=existing - updated)


def _disable_absent_skus(
    connection: sa.Connection, *, tenant: str, upload_id: str, has_skus: bool, listed: list[str]
) -> int:
    """Disable the SKUs of this upload's products that the upload no longer lists.

    `listed`: sku_ids on the upload's rejected rows, which are listed and so never disabled.
    """
    skus = tables.skus
    conditions = [
        skus.c.tenant == tenant,
        skus.c.product_id.in_(sa.select(_stage_products.c.product_id)),
        skus.c.is_disabled.is_(sa.false()),
    ]
    if has_skus:
        conditions.append(~sa.exists().where(_stage_skus.c.sku_id == skus.c.sku_id))
    if listed:
        present = sa.bindparam("listed", listed, type_=postgresql.ARRAY(sa.Text))
        conditions.append(sa.not_(skus.c.sku_id == sa.any_(present)))
    return connection.execute(
        sa.update(skus)
        .where(*conditions)
        .values(is_disabled=True, last_upload_id=upload_id, updated_at=sa.func.now())
    ).rowcount


def _insert_new_images(connection: sa.Connection) -> None:
    """Images are content-addressed and immutable: insert the sha256s not seen before."""
    stage = _stage_images
    names = list(IMAGE_FRAME_COLUMNS)
    source = sa.select(*(stage.c[n] for n in names), sa.func.now()).ext(distinct_on(stage.c.sha256))
    connection.execute(
        pg_insert(tables.images)
        .from_select([*names, "created_at"], source)
        .on_conflict_do_nothing(index_elements=[tables.images.c.sha256])
    )


def _replace_image_slots(connection: sa.Connection, *, tenant: str, has_products: bool) -> None:
    """Upsert the staged image slots; drop the other slots of this upload's products."""
    slots = tables.product_images
    stage = _stage_product_images
    data = [n for n in PRODUCT_IMAGE_COLUMNS if n not in ("product_id", "position")]
    insert = pg_insert(slots).from_select(
        ["tenant", "product_id", "position", *data],
        sa.select(
            sa.literal(tenant, sa.Text),
            stage.c.product_id,
            stage.c.position,
            *(stage.c[n] for n in data),
        ),
    )
    excluded = insert.excluded
    # A null last_attempt_at means "not attempted this run" (a reused image): keep the old one.
    incoming: dict[str, sa.ColumnElement[object]] = {name: excluded[name] for name in data}
    incoming["last_attempt_at"] = sa.func.coalesce(
        excluded.last_attempt_at, slots.c.last_attempt_at
    )
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=[slots.c.tenant, slots.c.product_id, slots.c.position],
            set_={
                **incoming,
                # a new URL, or one that now works, deserves retries again
                "gave_up": sa.case(
                    (slots.c.source_url.is_distinct_from(excluded.source_url), sa.false()),
                    (excluded.status == "stored", sa.false()),
                    else_=slots.c.gave_up,
                ),
            },
            where=sa.or_(*(slots.c[n].is_distinct_from(v) for n, v in incoming.items())),
        )
    )
    if not has_products:
        return
    in_stage = sa.exists().where(
        stage.c.product_id == slots.c.product_id, stage.c.position == slots.c.position
    )
    connection.execute(
        sa.delete(slots).where(
            slots.c.tenant == tenant,
            slots.c.product_id.in_(sa.select(_stage_products.c.product_id)),
            ~in_stage,
        )
    )
