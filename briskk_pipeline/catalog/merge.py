"""The merge half of the set-based load: staged rows into the catalog tables.

One `INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE (columns) IS DISTINCT FROM EXCLUDED` per
table, so rows that did not change are not rewritten and keep their `updated_at` and
`last_upload_id`. What an existing row may change is limited to the columns the file has
(SPEC §2 "Upsert": a column the file lacks leaves stored values as they are); an update file
(`keep_blank`) also leaves a stored value where its cell is blank. Taking SKUs off sale
because the file leaves them out happens only in `replace` mode (`disable_absent_skus`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert

from briskk_pipeline import template
from briskk_pipeline.catalog import tables
from briskk_pipeline.catalog.staging import (
    stage_images,
    stage_product_images,
    stage_products,
    stage_skus,
)
from briskk_pipeline.catalog.uploads import UploadOutcome
from briskk_pipeline.images.model import IMAGE_FRAME_COLUMNS, PRODUCT_IMAGE_COLUMNS


@dataclass(frozen=True)
class Merged:
    """Rows of one staged table: new, rewritten (a value changed), left as they were."""

    inserted: int
    updated: int
    unchanged: int

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged


NOTHING = Merged(0, 0, 0)


def merge(
    connection: sa.Connection,
    *,
    target: sa.Table,
    stage: sa.Table,
    key: str,
    tenant: str,
    upload_id: str,
    columns: Collection[str],
    keep_blank: bool = False,
) -> Merged:
    """Upsert `stage` into `target` on (tenant, key); unchanged rows are left untouched.

    A new row takes every staged value. An existing row changes only in `columns` (the
    template columns the file has); with `keep_blank` (an update file) a blank staged value
    keeps the stored one. `is_disabled` blank means false (SPEC §2).
    """
    data = [c.name for c in stage.columns if c.name != key]
    updatable = [n for n in data if n in columns or n == "product_id"]
    existing = connection.execute(
        sa.select(sa.func.count())
        .select_from(stage)
        .join(target, sa.and_(target.c.tenant == tenant, target.c[key] == stage.c[key]))
    ).scalar_one()
    total = connection.execute(sa.select(sa.func.count()).select_from(stage)).scalar_one()

    values: list[sa.ColumnElement[object]] = []
    for name in data:
        column: sa.ColumnElement[object] = stage.c[name]
        if name == "is_disabled" and not keep_blank:
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
    if not updatable:
        written = connection.execute(
            insert.on_conflict_do_nothing(index_elements=[target.c.tenant, target.c[key]])
        ).rowcount
    else:
        incoming: dict[str, sa.ColumnElement[object]] = {
            name: (
                sa.func.coalesce(excluded[name], target.c[name]) if keep_blank else excluded[name]
            )
            for name in updatable
        }
        changed = sa.or_(*(target.c[n].is_distinct_from(v) for n, v in incoming.items()))
        upsert = insert.on_conflict_do_update(
            index_elements=[target.c.tenant, target.c[key]],
            set_={
                **incoming,
                "last_upload_id": excluded.last_upload_id,
                "updated_at": excluded.updated_at,
            },
            where=changed,
        )
        written = connection.execute(upsert).rowcount
    inserted = total - existing
    updated = written - inserted
    return Merged(inserted=inserted, updated=updated, unchanged=existing - updated)


def absent_skus(
    connection: sa.Connection, *, tenant: str, has_skus: bool, listed: Sequence[str]
) -> sa.ColumnElement[bool]:
    """Active catalog SKUs of the staged products that the upload does not list.

    `listed`: sku_ids on the upload's rejected rows: they are in the file, so not absent.
    """
    skus = tables.skus
    conditions = [
        skus.c.tenant == tenant,
        skus.c.product_id.in_(sa.select(stage_products.c.product_id)),
        skus.c.is_disabled.is_(sa.false()),
    ]
    if has_skus:
        conditions.append(~sa.exists().where(stage_skus.c.sku_id == skus.c.sku_id))
    if listed:
        present = sa.bindparam("listed", list(listed), type_=postgresql.ARRAY(sa.Text))
        conditions.append(sa.not_(skus.c.sku_id == sa.any_(present)))
    return sa.and_(*conditions)


def kept_skus(
    connection: sa.Connection, *, tenant: str, has_skus: bool, listed: Sequence[str]
) -> list[tuple[str, str]]:
    """(product_id, sku_id) of the active catalog SKUs the upload leaves out, kept as they are."""
    skus = tables.skus
    where = absent_skus(connection, tenant=tenant, has_skus=has_skus, listed=listed)
    rows = connection.execute(
        sa.select(skus.c.product_id, skus.c.sku_id)
        .where(where)
        .order_by(skus.c.product_id, skus.c.sku_id)
    )
    return [(p, s) for p, s in rows]


def disable_absent_skus(
    connection: sa.Connection,
    *,
    tenant: str,
    upload_id: str,
    has_skus: bool,
    listed: Sequence[str],
) -> list[tuple[str, str]]:
    """`replace` mode: disable the SKUs of this upload's products that it no longer lists.

    Returns every (product_id, sku_id) disabled, sorted: the summary lists them all.
    """
    skus = tables.skus
    where = absent_skus(connection, tenant=tenant, has_skus=has_skus, listed=listed)
    rows = connection.execute(
        sa.update(skus)
        .where(where)
        .values(is_disabled=True, last_upload_id=upload_id, updated_at=sa.func.now())
        .returning(skus.c.product_id, skus.c.sku_id)
    )
    return sorted((p, s) for p, s in rows)


def reject_moved_skus(
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
    skus, stage = tables.skus, stage_skus
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
    left = connection.execute(sa.select(sa.func.count()).select_from(stage_products)).scalar_one()
    return replace(
        outcome,
        status="rejected" if left == 0 and outcome.status == "succeeded" else outcome.status,
        products_rejected=outcome.products_rejected + len(products),
        rows_rejected=outcome.rows_rejected + rows_rejected,
        errors=[*outcome.errors, *problems],
    )


def insert_new_images(connection: sa.Connection) -> None:
    """Images are content-addressed and immutable: insert the sha256s not seen before."""
    stage = stage_images
    names = list(IMAGE_FRAME_COLUMNS)
    source = sa.select(*(stage.c[n] for n in names), sa.func.now()).ext(distinct_on(stage.c.sha256))
    connection.execute(
        pg_insert(tables.images)
        .from_select([*names, "created_at"], source)
        .on_conflict_do_nothing(index_elements=[tables.images.c.sha256])
    )


def image_positions(columns: Collection[str]) -> list[int]:
    """The slot positions whose image column the file has (main_image 0, image_i i)."""
    return [i for i, name in enumerate(template.IMAGE_COLUMNS) if name in columns]


def replace_image_slots(
    connection: sa.Connection, *, tenant: str, has_products: bool, positions: Sequence[int]
) -> None:
    """Upsert the staged image slots; drop this upload's products' other slots among
    `positions` (the image columns the file has: a column it lacks keeps its slots)."""
    slots = tables.product_images
    stage = stage_product_images
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
    if not has_products or not positions:
        return
    in_stage = sa.exists().where(
        stage.c.product_id == slots.c.product_id, stage.c.position == slots.c.position
    )
    connection.execute(
        sa.delete(slots).where(
            slots.c.tenant == tenant,
            slots.c.product_id.in_(sa.select(stage_products.c.product_id)),
            slots.c.position.in_(list(positions)),
            ~in_stage,
        )
    )
