"""Catalog identifiers that look like a file's: the same digits but for leading zeros.

For the look-alike warnings of `validation/lookalikes.py`: a barcode `0012345678905` in the
catalog and `12345678905` in a file (Excel dropped the zeros) are named to each other.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from briskk_pipeline.catalog.tables import products, skus

_COLUMNS: dict[str, tuple[sa.Table, str]] = {
    "product_id": (products, "product_id"),
    "sku_id": (skus, "sku_id"),
    "barcode": (skus, "barcode"),
}


def digits_without_leading_zeros(
    engine: sa.Engine, tenant: str, forms: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    """Column -> the tenant's catalog values of that column (`product_id`, `sku_id`,
    `barcode`) made only of digits whose form without leading zeros is one of `forms[column]`.

    A scan of the tenant's rows per column asked (no index on `ltrim(value, '0')`), as for
    the letter-case look-alikes (`queries.sku_ids_by_lower_case`).
    """
    found: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for column, wanted in forms.items():
            if not wanted or column not in _COLUMNS:
                continue
            table, name = _COLUMNS[column]
            value = table.c[name]
            query = (
                sa.select(value)
                .distinct()
                .where(
                    table.c.tenant == tenant,
                    value.op("~")("^[0-9]+$"),
                    sa.func.ltrim(value, "0")
                    == sa.any_(sa.bindparam(f"{column}_forms", list(wanted), type_=ARRAY(sa.Text))),
                )
                .order_by(value)
            )
            found[column] = list(connection.scalars(query))
    return found
