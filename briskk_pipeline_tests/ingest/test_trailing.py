"""Rows below the last product holding only dragged-down defaults are not data (`trailing.py`):
they do not count toward the row limit and make one warning, not a problem per cell."""

from __future__ import annotations

from typing import Any

import pytest

from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline.validation.report import FileRejected
from briskk_pipeline_tests.excel_text import excel_text
from briskk_pipeline_tests.workbooks import openpyxl_bytes, template_rows

COL = {name: i + 1 for i, name in enumerate(COLUMN_NAMES)}


def defaults(n: int, **values: Any) -> list[dict[str, Any]]:
    """`n` rows holding only `values` (the other cells empty)."""
    return [{c: values.get(c) for c in COLUMN_NAMES} for _ in range(n)]


DRAGGED = {
    "facility_id": "fac001",
    "facility_name": "Store 1",
    "is_disabled": False,
    "brand": "BrandA",
}


@pytest.mark.parametrize("save_as", ["csv", "unicode-text"])
def test_dragged_defaults_below_the_products_are_ignored_with_one_warning(save_as):
    rows = template_rows(8) + defaults(992, **DRAGGED)  # rows 10-1001
    sheet = read_upload(excel_text(rows, save_as=save_as), "x.csv", max_rows=800)
    assert list(sheet.frame.index) == list(range(2, 10))
    assert sheet.problems == []
    assert sheet.warnings[-1] == (
        "rows 10-1001 below the last product hold no product_id, sku_id or barcode, only "
        "values repeated from the rows above (in brand, facility_id, facility_name, "
        "is_disabled): they are not products and were ignored"
    )


def test_an_excel_fill_series_and_a_false_default_are_defaults():
    rows = template_rows(4)
    for row in rows:
        row["is_disabled"] = None
    tail = defaults(5, is_disabled="FALSE")
    for i, row in enumerate(tail):
        row["facility_id"] = f"fac{2 + i:03d}"  # fac001 dragged: fac002, fac003, ...
        row["stock"] = rows[-1]["stock"] if i else None  # dragged from the last product
    sheet = read_upload(excel_text(rows + tail), "x.csv", max_rows=800)
    assert list(sheet.frame.index) == [2, 3, 4, 5]
    assert sheet.warnings[-1].startswith("rows 6-10 below the last product")


def test_a_row_with_a_new_value_is_data_and_its_drags_are_not():
    rows = template_rows(4)
    tail = defaults(4, **DRAGGED)
    tail[0]["product_name"] = "Linen Kurta"  # row 6: typed, a product without its keys
    tail[1]["product_name"] = "Linen Kurta"  # rows 7-9: dragged down from row 6
    tail[2]["product_name"] = "Linen Kurta"
    sheet = read_upload(excel_text(rows + tail), "x.csv", max_rows=800)
    assert list(sheet.frame.index) == [2, 3, 4, 5, 6]
    assert sheet.warnings[-1].startswith("rows 7-9 below the last product")


def test_rows_between_products_are_never_dropped():
    rows = template_rows(8)
    gap = defaults(1, **DRAGGED)
    sheet = read_upload(excel_text(rows[:4] + gap + rows[4:]), "x.csv", max_rows=800)
    assert 6 in sheet.frame.index
    assert not any("below the last product" in w for w in sheet.warnings)


def test_a_row_with_only_a_barcode_is_data():
    rows = template_rows(4) + defaults(1, barcode="8901234567890")
    sheet = read_upload(excel_text(rows), "x.csv", max_rows=800)
    assert list(sheet.frame.index) == [2, 3, 4, 5, 6]


def test_a_dragged_lookup_showing_na_in_a_workbook_is_not_data():
    def spoil(ws):
        for r in range(6, 1006):
            ws.cell(r, COL["facility_id"]).value = "fac001"
            na = ws.cell(r, COL["hsn_code"])
            na.value, na.data_type = "#N/A", "e"

    sheet = read_upload(openpyxl_bytes(template_rows(4), spoil), "x.xlsx", max_rows=800)
    assert list(sheet.frame.index) == [2, 3, 4, 5]
    assert sheet.problems == []
    assert sheet.warnings[-1] == (
        "rows 6-1005 below the last product hold no product_id, sku_id or barcode, only values "
        "repeated from the rows above (in facility_id): they are not products and were ignored"
    )


def test_the_row_limit_counts_data_rows_only():
    rows = template_rows(800) + defaults(200, **DRAGGED)
    assert read_upload(excel_text(rows), "x.csv", max_rows=800).row_count == 800
    with pytest.raises(FileRejected, match="the file has 801 rows"):
        read_upload(excel_text(template_rows(801)), "x.csv", max_rows=800)
