"""Fidelity through `briskk ingest` on the real PostgreSQL: what a brand's file really holds.

The worst fault of the Fidelity issue: a product whose product cells are merged down its SKU
rows (or typed on the first row only), uploaded after a good upload of the same product, loaded
from its first row alone and disabled its other SKUs. Two uploads each, then the catalog.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from briskk_pipeline.template import COLUMN_NAMES, PRODUCT_COLUMNS
from briskk_pipeline_tests.fixtures.cli import briskk_json
from briskk_pipeline_tests.workbooks import openpyxl_bytes, template_rows

pytestmark = pytest.mark.e2e
COL = {name: i + 1 for i, name in enumerate(COLUMN_NAMES)}


def merged_down(ws):
    """Every product column of P000000 (rows 2-5) merged down its four SKU rows."""
    for name in PRODUCT_COLUMNS:
        for r in (3, 4, 5):
            ws.cell(r, COL[name]).value = None
        ws.merge_cells(start_row=2, end_row=5, start_column=COL[name], end_column=COL[name])


def typed_once(ws):
    """Product columns of P000000 typed on its first row only (product_id included)."""
    for name in PRODUCT_COLUMNS:
        for r in (3, 4, 5):
            ws.cell(r, COL[name]).value = None


def skus_of(products, product_id):
    product = next(p for p in products if p["product_id"] == product_id)
    return {s["sku_id"]: s["is_disabled"] for s in product["skus"]}


@pytest.mark.parametrize(
    ("spoil", "rejected"), [(merged_down, 0), (typed_once, 1)], ids=["merged", "typed-once"]
)
def test_a_second_upload_with_incomplete_product_rows_disables_no_sku(
    env, tmp_path, spoil, rejected
):
    first = tmp_path / "BrandA_Briskk_SKU_Template.xlsx"
    first.write_bytes(openpyxl_bytes(template_rows(8)))
    assert briskk_json(env, "ingest", str(first))["products_loaded"] == 2

    second = tmp_path / "second" / "BrandA_Briskk_SKU_Template.xlsx"
    second.parent.mkdir()
    second.write_bytes(openpyxl_bytes(template_rows(8), spoil))
    result = briskk_json(env, "ingest", str(second))
    assert result["products_rejected"] == rejected
    if rejected:
        assert [(e["row"], e["column"]) for e in result["errors"]] == [
            (3, "product_id"),
            (4, "product_id"),
            (5, "product_id"),
        ]
        assert "belongs to product 'P000000' (in your catalog)" in result["errors"][0]["message"]
        assert not any("cannot move" in e["message"] for e in result["errors"])
    else:
        assert result["errors"] == []

    products = briskk_json(env, "products")
    assert skus_of(products, "P000000") == {f"P000000-{i}": False for i in range(4)}
    product = next(p for p in products if p["product_id"] == "P000000")
    assert product["brand"] == "BrandA"


def test_error_cells_dates_and_uncalculated_formulas_reject_their_product_only(env, tmp_path):
    def spoil(ws):
        na = ws.cell(3, COL["offer_price"])
        na.value, na.data_type = "#N/A", "e"
        date = ws.cell(7, COL["size"])
        date.value, date.number_format = datetime.datetime(2026, 10, 12), "d-mmm"
        ws.cell(11, COL["barcode"]).value = "=A1&B1"

    path = tmp_path / "BrandA_Briskk_SKU_Template.xlsx"
    path.write_bytes(openpyxl_bytes(template_rows(16), spoil))
    result = briskk_json(env, "ingest", str(path))
    assert [(e["row"], e["column"], e["value"]) for e in result["errors"]] == [
        (3, "offer_price", "#N/A"),
        (7, "size", "12-Oct"),
        (11, "barcode", "=A1&B1"),
    ]
    assert (result["products_loaded"], result["products_rejected"]) == (1, 3)
    products = briskk_json(env, "products")
    assert [p["product_id"] for p in products] == ["P000003"]


def test_hidden_rows_load_with_a_warning(env, tmp_path: Path):
    def spoil(ws):
        ws.row_dimensions[5].hidden = True

    path = tmp_path / "BrandA_Briskk_SKU_Template.xlsx"
    path.write_bytes(openpyxl_bytes(template_rows(8), spoil))
    result = briskk_json(env, "ingest", str(path))
    assert result["skus_loaded"] == 8
    assert any(w.startswith("row 5 is hidden in the sheet") for w in result["warnings"])
