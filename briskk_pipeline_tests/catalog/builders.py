"""Frames and upload records shaped like what validation and the image step hand to the load."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from briskk_pipeline.catalog import tables, uploads
from briskk_pipeline.images.model import IMAGE_FRAME_COLUMNS, PRODUCT_IMAGE_COLUMNS
from briskk_pipeline.template import PRODUCT_COLUMNS, SKU_COLUMNS

RECEIVED_AT = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def product(product_id: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(PRODUCT_COLUMNS)
    row.update(
        product_id=product_id,
        product_name=f"Tee {product_id}",
        brand="BrandA",
        product_description=f"Cotton tee {product_id}",
        category="Apparel",
        main_image=f"https://img.example.com/{product_id}/main.jpg",
        hsn_code="61091000",
        product_highlights="Soft; breathable",
    )
    row.update(overrides)
    return row


def sku(sku_id: str, product_id: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(SKU_COLUMNS)
    row.update(
        sku_id=sku_id,
        size="M",
        color="Black",
        price="1299.00",
        stock=10,
        facility_id="F1",
        facility_name="Store 1",
        is_disabled=False,
    )
    row.update(overrides)
    row["product_id"] = product_id
    return row


def products_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(PRODUCT_COLUMNS))
    return frame.astype("string")


def skus_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["product_id", *SKU_COLUMNS])
    types = dict.fromkeys(frame.columns, "string")
    types.update(stock="Int64", is_disabled="bool")
    return frame.astype(types)


def images_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=list(IMAGE_FRAME_COLUMNS),
    )
    return frame.astype(
        {
            "sha256": "string",
            "uri": "string",
            "object_key": "string",
            "content_type": "string",
            "format": "string",
            "width": "Int64",
            "height": "Int64",
            "bytes": "Int64",
            "border_white": "Float64",
            "phash": "string",
        }
    )


def product_images_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(PRODUCT_IMAGE_COLUMNS))
    frame = frame.astype(
        {
            "product_id": "string",
            "position": "Int64",
            "source_url": "string",
            "status": "string",
            "reason": "string",
            "sha256": "string",
            "attempts": "Int64",
        }
    )
    frame["last_attempt_at"] = pd.to_datetime(frame["last_attempt_at"], utc=True)
    return frame


def register(
    engine: sa.Engine,
    upload_id: str,
    tenant: str = "BrandA",
    *,
    sha256: str | None = None,
    received_at: datetime = RECEIVED_AT,
    file_name: str = "BrandA.xlsx",
) -> None:
    uploads.register_upload(
        engine,
        upload_id=upload_id,
        tenant=tenant,
        explicit_tenant=tenant,
        file_name=file_name,
        sha256=sha256 or "ab" * 32,
        size_bytes=12345,
        received_at=received_at,
        source="cli",
        archive_uri=f"file:///archive/{tenant}/{upload_id}/{file_name}",
        archive_key=f"archive/{tenant}/{upload_id}/{file_name}",
    )


def dump(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every catalog table, in primary-key order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in tables.metadata.sorted_tables:
            query = sa.select(table).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(row) for row in connection.execute(query)]
    return out


def rows(engine: sa.Engine, table: sa.Table, **where: Any) -> list[dict[str, Any]]:
    query = sa.select(table).where(*(table.c[k] == v for k, v in where.items()))
    query = query.order_by(*table.primary_key.columns)
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(query).mappings()]
