"""Update files: a price-and-stock file read against the catalog (SPEC §2 "Upsert", issue 19).

A header with `sku_id` and some SKU columns but no product column (for example `sku_id, price,
offer_price, stock`; `template.is_update_header`) is an update, as marketplaces' price and
quantity files are: only the columns it has change, only for SKUs already in the catalog, and
a blank cell changes nothing. So that every rule of the full template still applies
(`offer_price` at most `price` with the stored price when the file has only one of them),
each row is completed from the catalog before validation: the SKU's product and the stored
value of every cell the file leaves blank or does not have. The load then writes only the
file's columns (`catalog/merge.py`, `keep_blank`). A row whose SKU is not in the catalog is a
problem on its row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any, Final

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from briskk_pipeline import template
from briskk_pipeline.catalog import tables
from briskk_pipeline.validation.report import Problem
from briskk_pipeline.validation.validate import ValidatedRows

UPDATE_NOTE: Final = (
    "read as an update file (sku_id and SKU columns, no product columns): only the columns it "
    "has change, only for SKUs already in your catalog; blank cells change nothing"
)


def is_update(columns: Collection[str]) -> bool:
    """Whether a sheet with these template columns is an update file."""
    return template.is_update_header(columns)


def stored_rows(
    engine: sa.Engine, tenant: str, sku_ids: list[str]
) -> dict[str, dict[str, str | None]]:
    """sku_id -> every template column of the SKU and its product, as cell text."""
    products, skus = tables.products, tables.skus
    names = [c for c in template.COLUMN_NAMES if c != "product_id"]
    columns = [
        (products.c[n] if n in template.PRODUCT_COLUMNS else skus.c[n]).label(n) for n in names
    ]
    query = (
        sa.select(skus.c.product_id, *columns)
        .join(
            products,
            sa.and_(products.c.tenant == skus.c.tenant, products.c.product_id == skus.c.product_id),
        )
        .where(
            skus.c.tenant == tenant,
            skus.c.sku_id == sa.any_(sa.bindparam("ids", sku_ids, type_=ARRAY(sa.Text))),
        )
    )
    with engine.connect() as connection:
        return {
            row["sku_id"]: {k: _cell(v) for k, v in row.items()}
            for row in connection.execute(query).mappings()
        }


def _cell(value: Any) -> str | None:
    """A stored value as the text a brand would type for it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def complete_from_catalog(
    frame: pd.DataFrame, stored: Mapping[str, Mapping[str, str | None]]
) -> tuple[pd.DataFrame, list[Problem]]:
    """The update file's rows completed with the stored values, and the rows it cannot load.

    `frame` is a `raw_sheet` frame (every template column, text or NA, indexed by Excel row);
    `stored` is `stored_rows` of its sku_ids. A blank cell takes the stored value; a row whose
    sku_id is not in the catalog is left out with a problem on its `sku_id` cell.
    """
    problems: list[Problem] = []
    keep: list[int] = []
    filled = frame.copy()
    for row, sku_id in frame["sku_id"].items():
        found = stored.get(sku_id) if isinstance(sku_id, str) else None
        if found is None:
            if not isinstance(sku_id, str):
                problems.append(
                    Problem(
                        row=int(row),  # type: ignore[arg-type]
                        column="sku_id",
                        value=None,
                        message="sku_id is empty: an update file names each SKU by its sku_id",
                    )
                )
            else:
                problems.append(
                    Problem(
                        row=int(row),  # type: ignore[arg-type]
                        column="sku_id",
                        value=sku_id,
                        message=f"sku_id '{sku_id}' is not in your catalog: an update file "
                        "(no product columns) only changes SKUs already there; send the full "
                        "template row to add it",
                    )
                )
            continue
        keep.append(int(row))  # type: ignore[arg-type]
        for name, value in found.items():
            if name in filled.columns and pd.isna(filled.at[row, name]):
                filled.at[row, name] = value
    return filled.loc[keep], problems


def account_for(result: ValidatedRows, problems: list[Problem], rows_total: int) -> None:
    """Count the rows `complete_from_catalog` left out as rejected rows of `result`, their
    problems first. (An update file has no image cells: `images/assets.py` reads none.)"""
    result.problems = [*problems, *result.problems]
    result.rows_rejected += rows_total - result.rows_total
    result.rows_total = rows_total
