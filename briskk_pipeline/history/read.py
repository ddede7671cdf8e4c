"""Reading the catalog's history: `briskk history` and `GET /products/{id}/history`.

Each change is one row of `catalog_history` shown as: which change set (an upload, with its file
name, or a rollback, with what it rolled back), when it was committed, the row (`entity`
product | sku, its key and product), the action (`inserted` | `updated` | `disabled` |
`enabled`) and the fields that changed as `{field: [old, new]}` (JSON values as `briskk products
--json` prints them; an inserted row lists every field it was given, old null). A product's
`images` field lists its image slots as `[position, source_url, status]`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa

from briskk_pipeline import template
from briskk_pipeline.catalog.queries import json_number
from briskk_pipeline.catalog.tables import catalog_history, rollbacks, skus, uploads
from briskk_pipeline.catalog.tenants import same_tenant
from briskk_pipeline.history import record

PRODUCT_FIELDS: Final[tuple[str, ...]] = (
    *(c for c in template.PRODUCT_COLUMNS if c != "product_id"),
    "images",
)
SKU_FIELDS: Final[tuple[str, ...]] = (
    "product_id",
    *(c for c in template.SKU_COLUMNS if c != "sku_id"),
)
_EXACT: Final = frozenset(
    template.columns_of(template.Kind.DECIMAL) + template.columns_of(template.Kind.MEASURE)
)


def load_image(text: str | None) -> dict[str, Any] | None:
    """A row image from its JSON text; numbers parse as Decimal so prices stay exact."""
    return None if text is None else json.loads(text, parse_float=Decimal)


def _value(field: str, value: Any) -> Any:
    if field == "images":
        return [[s.get("position"), s.get("source_url"), s.get("status")] for s in value or []]
    if field in _EXACT and value is not None:
        return json_number(Decimal(value))
    if isinstance(value, Decimal):  # a JSON number that is not a price: stock
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def changed_fields(
    entity: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for the data fields that differ between two row images (a missing
    key is null). Numbers compare as decimals, so 1299.00 and 1299.0 are the same price."""
    fields = PRODUCT_FIELDS if entity == "product" else SKU_FIELDS
    old, new = before or {}, after or {}
    out: dict[str, list[Any]] = {}
    for field in fields:
        a, b = _value(field, old.get(field)), _value(field, new.get(field))
        if a != b:
            out[field] = [a, b]
    return out


def _change_sets() -> sa.Subquery:
    """Every change set: uploads (with their file) and rollbacks (with what they undid)."""
    return sa.union_all(
        sa.select(
            uploads.c.upload_id.label("id"),
            sa.literal("upload").label("kind"),
            uploads.c.file_name,
            sa.null().label("rolls_back"),
            uploads.c.rolled_back_at,
            uploads.c.rolled_back_by,
        ),
        sa.select(
            rollbacks.c.rollback_id,
            sa.literal("rollback"),
            sa.null(),
            rollbacks.c.target_id,
            rollbacks.c.rolled_back_at,
            rollbacks.c.rolled_back_by,
        ),
    ).subquery("change_sets")


_h = catalog_history.alias("h")


def list_history(
    engine: sa.Engine,
    *,
    tenant: str | None = None,
    product_id: str | None = None,
    sku_id: str | None = None,
    change_set_id: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The changes matching every filter given, oldest first.

    `product_id`: the product's own changes and those of its SKUs (a SKU's `product_id` after
    the change). `sku_id`: that SKU's. `change_set_id`: an upload id or a rollback id. `tenant`
    in any letter case (SPEC §2). `limit`: the newest N only (still oldest first).
    Each item: `change_id`, `change_set_id`, `kind` (`upload` | `rollback`), `file_name`,
    `rolls_back`, `rolled_back_at`, `rolled_back_by` (of the change set), `tenant`, `time`
    (when the change set committed), `entity`, `key`, `product_id`, `action`, `fields`.
    """
    h = _h
    sets = _change_sets()
    conditions: list[sa.ColumnElement[bool]] = []
    if tenant is not None:
        conditions.append(same_tenant(h.c.tenant, tenant))
    if product_id is not None:
        conditions.append(h.c.product_id == product_id)
    if sku_id is not None:
        # through the SKU's product: the history is indexed by (tenant, product_id)
        owner = sa.select(skus.c.product_id).where(skus.c.sku_id == sku_id)
        if tenant is not None:
            owner = owner.where(same_tenant(skus.c.tenant, tenant))
        conditions += [h.c.product_id.in_(owner), h.c.entity == "sku", h.c.key == sku_id]
    if change_set_id is not None:
        conditions.append(h.c.change_set_id == change_set_id)
    query = (
        sa.select(
            h.c.change_id,
            h.c.change_set_id,
            sets.c.kind,
            sets.c.file_name,
            sets.c.rolls_back,
            sets.c.rolled_back_at,
            sets.c.rolled_back_by,
            h.c.tenant,
            h.c.recorded_at,
            h.c.entity,
            h.c.key,
            h.c.product_id,
            h.c.action,
            sa.literal_column(record.image_sql("h", "before")).label("before"),
            sa.literal_column(record.image_sql("h", "after")).label("after"),
        )
        .select_from(h.outerjoin(sets, sets.c.id == h.c.change_set_id))
        .where(*conditions)
        .order_by(h.c.change_id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        {
            "change_id": row["change_id"],
            "change_set_id": row["change_set_id"],
            "kind": row["kind"],
            "file_name": row["file_name"],
            "rolls_back": row["rolls_back"],
            "rolled_back_at": row["rolled_back_at"],
            "rolled_back_by": row["rolled_back_by"],
            "tenant": row["tenant"],
            "time": row["recorded_at"],
            "entity": row["entity"],
            "key": row["key"],
            "product_id": row["product_id"],
            "action": row["action"],
            "fields": changed_fields(
                row["entity"], load_image(row["before"]), load_image(row["after"])
            ),
        }
        for row in reversed(rows)
    ]


def change_set_exists(engine: sa.Engine, change_set_id: str) -> bool:
    """Whether `change_set_id` names an upload or a rollback (what `list_history` filters on)."""
    sets = _change_sets()
    query = sa.select(sa.literal(1)).select_from(sets).where(sets.c.id == change_set_id).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None
