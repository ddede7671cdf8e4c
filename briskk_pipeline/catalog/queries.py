"""Reading the catalog: `briskk products --json` (SPEC §4), and for validation who owns a SKU
id or a barcode and which SKU ids differ only in letter case.

`list_products` runs three queries whatever the size of the catalog (products, SKUs, image
slots joined to stored images) and assembles the nested JSON shape in Python.

Numbers: prices and measurements are exact NUMERIC in the database and JSON numbers here. A
value with no fractional part becomes an int (1299.00 -> 1299) and any other a float
(1299.99 -> 1299.99): JSON has no decimal type, Python's `json` writes the shortest repr of a
float, so every price a brand can type (well under 15 significant digits) prints exactly as
written, without a trailing `.0` on whole prices.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from briskk_pipeline import template
from briskk_pipeline.catalog.tables import images, product_images, products, skus
from briskk_pipeline.catalog.tenants import same_tenant
from briskk_pipeline.vocab.sizes import read_size

_EXACT = frozenset(
    template.columns_of(template.Kind.DECIMAL) + template.columns_of(template.Kind.MEASURE)
)


def json_number(value: Decimal | None) -> int | float | str | None:
    """Decimal -> int when integral, else float (see the module docstring for why).

    Validation keeps prices and measurements within 12 (6) digits before the point, but a
    value stored before that rule must not break every read (Python refuses to print an int
    of more than 4,300 digits): from 10^15 on, a finite float, else the exact text.
    """
    if value is None:
        return None
    if not value.is_finite() or abs(value) >= _EXACT_INT_LIMIT:
        as_float = float(value)
        return as_float if math.isfinite(as_float) else str(value)
    if value == value.to_integral_value():
        return int(value)
    return float(value)


_EXACT_INT_LIMIT = Decimal(10) ** 15


def _tenant_filter(table: sa.Table, tenant: str | None) -> Iterable[sa.ColumnElement[bool]]:
    """No condition for all tenants; else `tenant` in any letter case (SPEC §2)."""
    return () if tenant is None else (same_tenant(table.c.tenant, tenant),)


# Read from `color` and `size` by `vocab/` (0013_vocab): shown after the template's columns.
VOCAB_COLUMNS = ("color_family", "size_normalised", "size_system")


def _sku_dict(row: sa.RowMapping) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in template.SKU_COLUMNS:
        value = row[name]
        if name in _EXACT:
            value = json_number(value)
        out[name] = value
    for name in VOCAB_COLUMNS:
        out[name] = row[name]
    return out


def _having_sku(column: sa.Column[Any], value: str) -> sa.ColumnElement[bool]:
    """The product has a SKU whose `column` is `value`, in any letter case."""
    return sa.exists().where(
        skus.c.tenant == products.c.tenant,
        skus.c.product_id == products.c.product_id,
        sa.func.lower(column) == value.lower(),
    )


def list_products(
    engine: sa.Engine,
    tenant: str | None = None,
    *,
    after: tuple[str, str] | None = None,
    limit: int | None = None,
    updated_since: datetime | None = None,
    product_id: str | None = None,
    color_family: str | None = None,
    size_normalised: str | None = None,
) -> list[dict[str, Any]]:
    """Every product (of `tenant`, in any letter case, or of all) with its image slots and SKUs.

    Ordered by tenant then product_id; SKUs by sku_id; images by position (0 = main_image).
    `uri`, `width` and `height` come from the stored image and are null when there is none;
    `reason` says why an image is not stored (`failed`, `blocked`) and is null when it is.

    Paging (`GET /products`): `after` = the (tenant, product_id) of the last product of the
    previous page (keyset paging: a page never repeats or skips a product inserted meanwhile),
    `limit` products at most. `updated_since` (timezone-aware) keeps the products whose row or
    any of whose SKUs changed at or after it. `product_id` selects one product.
    `color_family` / `size_normalised` (any letter case) keep the products with at least one
    SKU of that colour family / normalised size (`vocab/`); their SKUs are all listed.
    """
    conditions = [*_tenant_filter(products, tenant)]
    if after is not None:
        conditions.append(sa.tuple_(products.c.tenant, products.c.product_id) > sa.tuple_(*after))
    if product_id is not None:
        conditions.append(products.c.product_id == product_id)
    if updated_since is not None:
        changed_sku = sa.exists().where(
            skus.c.tenant == products.c.tenant,
            skus.c.product_id == products.c.product_id,
            skus.c.updated_at >= updated_since,
        )
        conditions.append(sa.or_(products.c.updated_at >= updated_since, changed_sku))
    if color_family is not None:
        conditions.append(_having_sku(skus.c.color_family, color_family))
    if size_normalised is not None:  # a size as a brand writes it ("2XL") reads as XXL
        read = read_size(size_normalised)
        wanted = read.normalised if read is not None else size_normalised
        conditions.append(_having_sku(skus.c.size_normalised, wanted))
    page = (
        sa.select(products.c.tenant, *(products.c[name] for name in template.PRODUCT_COLUMNS))
        .where(*conditions)
        .order_by(products.c.tenant, products.c.product_id)
        .limit(limit)
    )
    filtered = (after, limit, updated_since, product_id, color_family, size_normalised)
    if all(f is None for f in filtered):
        product_query: sa.Select[Any] = page
        sku_where = list(_tenant_filter(skus, tenant))
        image_where = list(_tenant_filter(product_images, tenant))
    else:
        keys = page.subquery("page")
        product_query = sa.select(keys).order_by(keys.c.tenant, keys.c.product_id)
        in_page = sa.select(keys.c.tenant, keys.c.product_id)
        sku_where = [sa.tuple_(skus.c.tenant, skus.c.product_id).in_(in_page)]
        image_where = [sa.tuple_(product_images.c.tenant, product_images.c.product_id).in_(in_page)]
    sku_query = (
        sa.select(
            skus.c.tenant,
            skus.c.product_id,
            *(skus.c[name] for name in template.SKU_COLUMNS),
            *(skus.c[name] for name in VOCAB_COLUMNS),
        )
        .where(*sku_where)
        .order_by(skus.c.tenant, skus.c.product_id, skus.c.sku_id)
    )
    image_query = (
        sa.select(
            product_images.c.tenant,
            product_images.c.product_id,
            product_images.c.position,
            product_images.c.source_url,
            product_images.c.status,
            product_images.c.reason,
            images.c.uri,
            product_images.c.sha256,
            images.c.width,
            images.c.height,
        )
        .select_from(product_images.outerjoin(images, images.c.sha256 == product_images.c.sha256))
        .where(*image_where)
        .order_by(product_images.c.tenant, product_images.c.product_id, product_images.c.position)
    )
    with engine.connect() as connection:
        product_rows = connection.execute(product_query).mappings().all()
        sku_rows = connection.execute(sku_query).mappings().all()
        image_rows = connection.execute(image_query).mappings().all()

    catalog: dict[tuple[str, str], dict[str, Any]] = {}
    for row in product_rows:
        product: dict[str, Any] = {"tenant": row["tenant"]}
        product.update({name: row[name] for name in template.PRODUCT_COLUMNS})
        product["images"] = []
        product["skus"] = []
        catalog[(row["tenant"], row["product_id"])] = product
    for row in image_rows:
        owner = catalog.get((row["tenant"], row["product_id"]))
        if owner is not None:
            owner["images"].append(
                {
                    "position": row["position"],
                    "source_url": row["source_url"],
                    "status": row["status"],
                    "reason": None if row["status"] == "stored" else row["reason"],
                    "uri": row["uri"],
                    "sha256": row["sha256"],
                    "width": row["width"],
                    "height": row["height"],
                }
            )
    for row in sku_rows:
        owner = catalog.get((row["tenant"], row["product_id"]))
        if owner is not None:
            owner["skus"].append(_sku_dict(row))
    return list(catalog.values())


def sku_owners(engine: sa.Engine, tenant: str, sku_ids: list[str]) -> dict[str, str]:
    """sku_id -> product_id for those of `sku_ids` the tenant already has in the catalog."""
    if not sku_ids:
        return {}
    ids = sa.bindparam("sku_ids", list(sku_ids), type_=ARRAY(sa.Text))
    query = sa.select(skus.c.sku_id, skus.c.product_id).where(
        skus.c.tenant == tenant, skus.c.sku_id == sa.any_(ids)
    )
    with engine.connect() as connection:
        return {sku_id: product_id for sku_id, product_id in connection.execute(query)}


def barcode_owners(engine: sa.Engine, tenant: str, barcodes: list[str]) -> dict[str, str]:
    """barcode -> sku_id for those of `barcodes` already on a SKU of the tenant's catalog.

    Disabled SKUs count: they keep their barcode. Should two catalog SKUs share a barcode
    (loaded before barcodes were checked), one of them is named.
    """
    if not barcodes:
        return {}
    wanted = sa.bindparam("barcodes", list(barcodes), type_=ARRAY(sa.Text))
    query = (
        sa.select(skus.c.barcode, skus.c.sku_id)
        .where(skus.c.tenant == tenant, skus.c.barcode == sa.any_(wanted))
        .order_by(skus.c.sku_id)
    )
    with engine.connect() as connection:
        owners: dict[str, str] = {}
        for barcode, sku_id in connection.execute(query):
            owners.setdefault(barcode, sku_id)
        return owners


def sku_ids_by_lower_case(engine: sa.Engine, tenant: str, lowered: list[str]) -> list[str]:
    """The tenant's catalog SKU ids whose lower-case form is one of `lowered`.

    For the "differs only in letter case" warning; a scan of the tenant's SKUs (no index on
    `lower(sku_id)`), fine at catalog sizes of a few hundred thousand SKUs per tenant.
    """
    if not lowered:
        return []
    wanted = sa.bindparam("lowered", list(lowered), type_=ARRAY(sa.Text))
    query = (
        sa.select(skus.c.sku_id)
        .where(skus.c.tenant == tenant, sa.func.lower(skus.c.sku_id) == sa.any_(wanted))
        .order_by(skus.c.sku_id)
    )
    with engine.connect() as connection:
        return list(connection.scalars(query))
