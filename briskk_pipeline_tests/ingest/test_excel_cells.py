"""Every Excel cell read as the brand sees it, or reported: xlsx, xls and ods written by code.

Each kind (merged range, hidden row/column, error cell, formula never calculated, date made of
typed text) has a case that must be reported or filled, and a neighbouring case that must be
left exactly as it was.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from openpyxl.utils import get_column_letter

from briskk_pipeline.ingest.excel_dates import render
from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.ingest.sheet import RawSheet
from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline_tests.workbooks import REAL_HEADER, openpyxl_bytes, template_rows

SHEET = "BrandA_Briskk_SKU_Template"
COL = {name: i + 1 for i, name in enumerate(COLUMN_NAMES)}  # 1-based sheet columns


def xlsx(spoil: Any = None, rows: int = 8) -> bytes:
    """A template workbook written by openpyxl; `spoil(ws)` edits cells before saving."""
    return openpyxl_bytes(template_rows(rows), spoil, sheet_name=SHEET)


def read(data: bytes, name: str = "upload.xlsx") -> RawSheet:
    return read_upload(data, name, max_rows=800)


def problems(sheet: RawSheet) -> list[tuple[int | None, str | None, str | None]]:
    return [(p.row, p.column, p.value) for p in sheet.problems]


def test_a_clean_workbook_has_no_problems_or_warnings():
    sheet = read(xlsx())
    assert sheet.problems == [] and sheet.warnings == []
    assert sheet.frame.at[2, "size"] == "XS" and sheet.frame.at[8, "size"] == "30"


# ------------------------------------------------------------------------------- merged


def test_merged_product_cells_apply_to_every_row_of_the_range():
    def spoil(ws):
        for column in ("product_id", "product_name", "brand"):
            for r in (3, 4, 5):
                ws.cell(r, COL[column]).value = None
            ws.merge_cells(start_row=2, end_row=5, start_column=COL[column], end_column=COL[column])

    sheet = read(xlsx(spoil))
    assert sheet.frame.loc[2:5, "product_id"].tolist() == ["P000000"] * 4
    assert sheet.frame.loc[2:5, "brand"].tolist() == ["BrandA"] * 4
    assert sheet.frame.loc[6:9, "product_id"].tolist() == ["P000001"] * 4  # untouched
    assert sheet.problems == [] and sheet.warnings == []


def test_a_range_merged_across_columns_fills_each_and_says_so():
    def spoil(ws):
        ws.cell(2, COL["sub_category"] + 1).value = None
        ws.merge_cells(
            start_row=2,
            end_row=2,
            start_column=COL["sub_category"],
            end_column=COL["sub_category"] + 1,
        )

    sheet = read(xlsx(spoil))
    assert sheet.frame.at[2, "next_sub_category"] == sheet.frame.at[2, "sub_category"] == "TopWear"
    assert any(
        "merged across the columns sub_category, next_sub_category" in w for w in sheet.warnings
    )


# ------------------------------------------------------------------------------- hidden


def test_hidden_rows_and_columns_load_with_a_warning_naming_them():
    def spoil(ws):
        ws.row_dimensions[4].hidden = True
        ws.row_dimensions[5].hidden = True
        ws.row_dimensions[7].hidden = True
        ws.column_dimensions[get_column_letter(COL["fit"])].hidden = True

    sheet = read(xlsx(spoil))
    assert sheet.row_count == 8  # nothing dropped
    assert (
        "rows 4-5, 7 are hidden in the sheet but were loaded like every other row: if you hid "
        "them to remove those SKUs, delete the rows or set is_disabled to TRUE"
    ) in sheet.warnings
    assert (
        "column fit (S) is hidden in the sheet but was loaded like every other column"
        in sheet.warnings
    )


# ------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("error", "meaning"),
    [
        ("#N/A", "a lookup formula found no match"),
        ("#VALUE!", "a formula used the wrong kind of value"),
        ("#REF!", "a formula points to a cell that was deleted"),
        ("#DIV/0!", "a formula divides by zero"),
        ("#NAME?", "a formula uses a name Excel does not know"),
    ],
)
@pytest.mark.parametrize("column", ["offer_price", "barcode", "product_name"])
def test_a_cached_error_cell_is_a_problem_with_the_error_as_value(error, meaning, column):
    def spoil(ws):
        cell = ws.cell(3, COL[column])
        cell.value = error
        cell.data_type = "e"

    sheet = read(xlsx(spoil))
    assert problems(sheet) == [(3, column, error)]
    assert sheet.problems[0].message == (
        f"the cell shows the Excel error {error} ({meaning}) instead of a value: "
        "fix the formula or type the value"
    )


def test_text_that_looks_like_an_error_is_text():
    def spoil(ws):
        cell = ws.cell(3, COL["product_highlights"])
        cell.value = "#N/A"
        cell.data_type = "s"  # typed as text, not an error (openpyxl guesses "e")

    sheet = read(xlsx(spoil))
    assert sheet.problems == [] and sheet.frame.at[3, "product_highlights"] == "#N/A"


# ----------------------------------------------------------------------------- formulas


def test_a_formula_never_calculated_is_a_problem_and_a_cached_one_is_its_value():
    def spoil(ws):
        ws.cell(4, COL["barcode"]).value = '=CONCAT("0", 12345678901)'  # no cached value
        ws.cell(5, COL["stock"]).value = "=2*5"

    sheet = read(xlsx(spoil))
    assert problems(sheet) == [(4, "barcode", '=CONCAT("0", 12345678901)'), (5, "stock", "=2*5")]
    assert sheet.problems[0].message == (
        "this cell is a formula that was never calculated: open the file in Excel or "
        "LibreOffice and save it again"
    )


# -------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("number_format", "shown"),
    [
        ("d-mmm", "12-Oct"),  # what Excel makes of "10-12" typed in en-US
        ("mmm-yy", "Oct-26"),
        ("dd/mm/yyyy", "12/10/2026"),
        ("mm-dd-yy", "10/12/2026"),  # built-in 14: Excel shows the locale's short date
        ("yyyy-mm-dd", "2026-10-12"),
    ],
)
def test_a_date_in_a_text_column_is_reported_as_excel_shows_it(number_format, shown):
    def spoil(ws):
        cell = ws.cell(6, COL["size"])
        cell.value = datetime.datetime(2026, 10, 12)
        cell.number_format = number_format

    sheet = read(xlsx(spoil))
    assert problems(sheet) == [(6, "size", shown)]
    assert sheet.problems[0].message == (
        f"Excel turned what was typed here into a date (the cell shows {shown}): format the "
        "size column as Text and type the value again"
    )


def test_a_time_in_an_identifier_column_is_reported():
    def spoil(ws):
        cell = ws.cell(2, COL["sku_id"])
        cell.value = datetime.time(10, 30)
        cell.number_format = "h:mm AM/PM"

    assert problems(read(xlsx(spoil))) == [(2, "sku_id", "10:30 AM")]


def test_text_that_looks_like_a_date_is_text():
    def spoil(ws):
        ws.cell(6, COL["size"]).value = "2026-10-12 00:00:00"
        ws.cell(7, COL["size"]).value = "10-12"

        # a date style exists in the workbook, so the date search runs
        other = ws.cell(20, 60)
        other.value = datetime.datetime(2026, 1, 1)
        other.number_format = "d-mmm"

    sheet = read(xlsx(spoil))
    assert sheet.problems == []
    assert sheet.frame.loc[6:7, "size"].tolist() == ["2026-10-12 00:00:00", "10-12"]


def test_numbers_and_booleans_keep_their_exact_text():
    def spoil(ws):
        ws.cell(2, COL["barcode"]).value = 123456789012
        ws.cell(3, COL["size"]).value = 32
        ws.cell(4, COL["price"]).value = 1299.5
        ws.cell(5, COL["is_disabled"]).value = True

    sheet = read(xlsx(spoil))
    assert sheet.problems == []
    assert sheet.frame.at[2, "barcode"] == "123456789012"
    assert sheet.frame.at[3, "size"] == "32"
    assert sheet.frame.at[4, "price"] == "1299.5"
    assert sheet.frame.at[5, "is_disabled"].lower() == "true"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("d-mmm", "12-Oct"),
        ("d-mmm-yy", "12-Oct-26"),
        ("[$-409]d-mmm-yy;@", "12-Oct-26"),
        ("m/d/yy h:mm", "10/12/26 14:05"),
        ("h:mm:ss AM/PM", "2:05:09 PM"),
        ('"Day "d', "Day 12"),
        (None, "12-Oct-2026"),
    ],
)
def test_render_date_formats(code, expected):
    assert render(datetime.datetime(2026, 10, 12, 14, 5, 9), code) == expected


# ------------------------------------------------------------------------- xls and ods


def _xls() -> bytes:
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet(SHEET)
    for c, name in enumerate(COLUMN_NAMES):
        ws.write(0, c, REAL_HEADER[name])
    rows = template_rows(8)
    for r, row in enumerate(rows, start=1):
        for c, name in enumerate(COLUMN_NAMES):
            value = row[name]
            skipped = (r in (1, 2, 3, 4) and name == "product_name") or (r, name) == (5, "size")
            if value is None or skipped:
                continue
            ws.write(r, c, value)
    ws.write_merge(1, 4, COL["product_name"] - 1, COL["product_name"] - 1, rows[0]["product_name"])
    ws.write(
        5, COL["size"] - 1, datetime.datetime(2026, 10, 12), xlwt.easyxf(num_format_str="d-mmm")
    )
    ws.row(6).hidden = True  # Excel row 7
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ods() -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name=SHEET)

    def cell(value: Any, **attributes: Any) -> TableCell:
        if value is None:
            return TableCell(**attributes)
        if isinstance(value, bool) or not isinstance(value, int | float):
            element = TableCell(valuetype="string", **attributes)
        else:
            element = TableCell(valuetype="float", value=value, **attributes)
        element.addElement(P(text=str(value)))
        return element

    header = TableRow()
    for name in COLUMN_NAMES:
        header.addElement(cell(REAL_HEADER[name]))
    table.addElement(header)
    for r, row in enumerate(template_rows(8), start=2):
        element = TableRow(visibility="collapse") if r == 7 else TableRow()
        for name in COLUMN_NAMES:
            if name == "product_name" and r == 2:
                element.addElement(cell(row[name], numberrowsspanned=4))
            elif name == "product_name" and r in (3, 4, 5):
                element.addElement(CoveredTableCell())
            elif name == "size" and r == 6:
                date = TableCell(valuetype="date", datevalue="2026-10-12")
                date.addElement(P(text="12-Oct"))
                element.addElement(date)
            else:
                element.addElement(cell(row[name]))
        table.addElement(element)
    doc.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("make", "name"), [(_xls, "upload.xls"), (_ods, "upload.ods")])
def test_xls_and_ods_merged_hidden_and_dates(make, name):
    sheet = read(make(), name)
    assert (
        sheet.frame.loc[2:5, "product_name"].tolist()
        == ["Men TopWear style 0 in breathable cotton"] * 4
    )
    assert problems(sheet) == [(6, "size", "12-Oct")]
    assert any(w.startswith("row 7 is hidden in the sheet") for w in sheet.warnings)
    assert sheet.frame.at[8, "size"] == "30"  # numbers keep their exact text
