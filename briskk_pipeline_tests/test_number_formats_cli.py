"""Number formats through `briskk ingest --json` on the real PostgreSQL, then the catalog.

The commonest silent change of the Fidelity issue's second round: a barcode typed as a number
and formatted `0000000000000` shows `0012345678905` in Excel; it must reach the catalog with its
zeros. A percent-formatted offer price (`10%`, stored 0.1) must never load as ₹0.10.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline_tests.fixtures.cli import briskk_json
from briskk_pipeline_tests.workbooks import openpyxl_bytes, template_rows

pytestmark = pytest.mark.e2e
COL = {name: i + 1 for i, name in enumerate(COLUMN_NAMES)}


def test_formatted_numbers_reach_the_catalog_as_excel_shows_them(env, tmp_path: Path):
    def spoil(ws: Any) -> None:
        for r in range(2, 6):  # P000000: padded barcodes, a padded HSN code, rounded prices
            cell = ws.cell(r, COL["barcode"])
            cell.value, cell.number_format = 12345678900 + r, "0000000000000"
            hsn = ws.cell(r, COL["hsn_code"])
            hsn.value, hsn.number_format = 9011111, "00000000"  # coffee, chapter 09
            price = ws.cell(r, COL["price"])
            price.value, price.number_format = 1159.821428571, "#,##0.00"
            ws.cell(r, COL["offer_price"]).value = None
        offer = ws.cell(7, COL["offer_price"])  # P000001: a percent offer price
        offer.value, offer.number_format = 0.1, "0%"

    path = tmp_path / "BrandA_Briskk_SKU_Template.xlsx"
    path.write_bytes(openpyxl_bytes(template_rows(8), spoil))
    result = briskk_json(env, "ingest", str(path))
    assert [(e["row"], e["column"], e["value"]) for e in result["errors"]] == [
        (7, "offer_price", "10%")
    ]
    assert "a percentage" in result["errors"][0]["message"]
    assert (result["products_loaded"], result["products_rejected"]) == (1, 1)

    products = briskk_json(env, "products")
    assert [p["product_id"] for p in products] == ["P000000"]
    product = products[0]
    assert product["hsn_code"] == "09011111"
    skus = sorted(product["skus"], key=lambda s: s["sku_id"])
    assert [s["barcode"] for s in skus] == [f"00{12345678900 + r}" for r in range(2, 6)]
    assert {s["price"] for s in skus} == {1159.82}
