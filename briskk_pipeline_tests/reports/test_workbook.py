"""The annotated workbook, opened with openpyxl: exactly the bad cells marked, the Problems
sheet's rows and links, inert values, CSV uploads, and the corrected file read back."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.reports import sheets
from briskk_pipeline.reports.findings import Finding
from briskk_pipeline.reports.workbook import ROW_FILL, build_report
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.harness import Harness, make_harness
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows, write_xlsx

SHEET = "BrandA_Briskk_SKU_Template"
RED, YELLOW = "00FFC7CE", "00FFEB9C"
INJECTIONS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=y"]


@pytest.fixture
def harness(database_url, local_store, tmp_path) -> Harness:
    return make_harness(database_url, local_store, tmp_path, fetch_images=False)


def findings_for(data: bytes, name: str) -> list[Finding]:
    sheet = read_upload(data, name, max_rows=800)
    result = validate_rows(sheet.frame, read_problems=sheet.problems)
    return [Finding(p.row, p.column, p.value, p.message, "error") for p in result.problems]


def open_report(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def marked(sheet) -> dict[str, tuple[str, str]]:
    """coordinate -> (fill colour, comment) of every commented cell."""
    return {
        c.coordinate: (c.fill.fgColor.rgb, c.comment.text)
        for row in sheet.iter_rows()
        for c in row
        if c.comment is not None
    }


def bad_workbook(tmp_path: Path) -> Path:
    rows = template_rows(12)
    rows[2].update(price=-5, offer_price=None)  # row 4: price (column AF)
    rows[9]["stock"] = "many"  # row 11: stock
    return write_xlsx(tmp_path / "bad.xlsx", rows)


def test_bad_cells_filled_and_commented_problems_sheet_links_to_them(tmp_path):
    path = bad_workbook(tmp_path)
    data = path.read_bytes()
    errors = findings_for(data, path.name)
    message = {f.column: f.message for f in errors}  # as validation words them
    assert [(f.row, f.column) for f in errors] == [(4, "price"), (11, "stock")]
    findings = [Finding(None, None, None, "column 'notes' was ignored", "warning"), *errors]
    findings.insert(2, Finding(7, "image_1", "x", "not a URL", "warning"))
    content = build_report(
        data, path.name, findings=findings, summary="2 products loaded", sheet_name=SHEET
    )
    book = open_report(content)
    assert book.sheetnames == ["Problems", SHEET, "Description of each column", "Instructions"]
    assert book.active.title == "Problems"
    data_sheet = book[SHEET]
    assert marked(data_sheet) == {
        "AF4": (RED, f"Briskk: error: {message['price']}"),
        "AH11": (RED, f"Briskk: error: {message['stock']}"),
        "I7": (YELLOW, "Briskk: warning: not a URL"),
    }
    # the rest of each bad row is lightly marked; other rows keep their look
    assert data_sheet["A4"].fill.fgColor.rgb == "00FDE9E7"
    assert data_sheet["A5"].fill.fill_type is None
    assert data_sheet["A7"].fill.fill_type is None  # a warning does not mark its row
    # the brand's values and column order are untouched
    assert data_sheet["AF4"].value == -5 and data_sheet["A1"].value == "product_id*"
    problems = book["Problems"]
    assert problems["A1"].value == "2 products loaded"
    rows = [[c.value for c in r] for r in problems.iter_rows(min_row=3)]
    assert rows == [
        ["Row", "Column", "Value", "Problem", "Severity"],
        [None, None, None, "column 'notes' was ignored", "warning"],
        [4, "price", "-5", message["price"], "error"],
        [7, "image_1", "x", "not a URL", "warning"],
        [11, "stock", "many", message["stock"], "error"],
    ]
    links = [r[0].hyperlink for r in problems.iter_rows(min_row=4)]
    assert links[0] is None
    assert [link.location for link in links[1:]] == [
        f"'{SHEET}'!AF4",
        f"'{SHEET}'!I7",
        f"'{SHEET}'!AH11",
    ]


def test_values_that_look_like_formulas_come_back_as_text(tmp_path):
    path = bad_workbook(tmp_path)
    findings = [Finding(2, "product_name", v, f"bad {v}", "error") for v in INJECTIONS]
    content = build_report(
        path.read_bytes(), path.name, findings=findings, summary='=HYPERLINK("x")'
    )
    problems = open_report(content)["Problems"]
    assert problems["A1"].data_type == "s" and problems["A1"].value == '=HYPERLINK("x")'
    cells = [r[2] for r in problems.iter_rows(min_row=4)]
    # (XML may turn a stored CR into LF when read back; the cell is text all the same)
    assert [(c.value.replace("\r", "\n"), c.data_type, c.quotePrefix) for c in cells] == [
        (v.replace("\r", "\n"), "s", True) for v in INJECTIONS
    ]


def test_csv_upload_gets_a_workbook_of_its_rows(tmp_path):
    rows = template_rows(8)
    rows[5].update(price=0, offer_price=None)
    for row in rows[4:]:  # product P000001, rows 6 to 9
        row["product_description"] = "=cmd|' /C calc'!A0"
    data = csv_bytes(rows)
    name = "BrandA_Briskk_SKU_Template.csv"
    findings = findings_for(data, name)
    book = open_report(build_report(data, name, findings=findings, summary="s"))
    assert book.sheetnames == ["Problems", "BrandA_Briskk_SKU_Template"]
    sheet = book["BrandA_Briskk_SKU_Template"]
    assert marked(sheet) == {"AF7": (RED, f"Briskk: error: {findings[0].message}")}
    assert sheet["AF7"].value == "0" and sheet["AC2"].value == "890000100004"
    assert sheet["D8"].value == "=cmd|' /C calc'!A0" and sheet["D8"].data_type == "s"


def test_corrected_report_uploads_again_cleanly(tmp_path):
    path = bad_workbook(tmp_path)
    data = path.read_bytes()
    content = build_report(
        data, path.name, findings=findings_for(data, path.name), summary="s", sheet_name=SHEET
    )
    book = open_report(content)
    book[SHEET]["AF4"] = 499
    book[SHEET]["AH11"] = 3
    fixed = io.BytesIO()
    book.save(fixed)
    sheet = read_upload(fixed.getvalue(), "fixed.xlsx", max_rows=800)
    assert sheet.sheet_name == SHEET and sheet.tenant_claim == "BrandA"
    result = validate_rows(sheet.frame)
    assert result.problems == [] and len(result.skus) == 12


def test_problems_sheet_is_never_taken_for_the_data_sheet(tmp_path):
    # An unnamed data sheet: the reader takes the first sheet with a template header, and
    # the Problems sheet (first) holds column names and values that are template markers.
    path = write_xlsx(tmp_path / "plain.xlsx", template_rows(4), sheet_name="Sheet1")
    data = path.read_bytes()
    findings = [
        Finding(r, c, c, "marker names as values", "error")
        for r, c in ((2, "product_id"), (2, "sku_id"), (3, "price"), (3, "stock"))
    ]
    content = build_report(data, path.name, findings=findings, summary="product_id sku_id")
    assert open_report(content).sheetnames[:2] == ["Problems", "Sheet1"]
    assert read_upload(content, "report.xlsx", max_rows=800).sheet_name == "Sheet1"


def test_800_row_report_marks_every_bad_cell(tmp_path):
    """The 800-row case of the issue (its time is measured in bench/report_bench.py)."""
    rows = template_rows(800, realistic=True)
    for i in range(0, 800, 8):
        rows[i].update(price=-1, offer_price=None)
    path = write_xlsx(tmp_path / "big.xlsx", rows)
    data = path.read_bytes()
    findings = findings_for(data, path.name)
    assert len(findings) == 100
    book = open_report(
        build_report(data, path.name, findings=findings, summary="s", sheet_name=SHEET)
    )
    problems = [r for r in book["Problems"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert len(problems) == 100
    data_sheet = book[SHEET]
    price = next(c.column for c in data_sheet[1] if str(c.value).startswith("price"))
    marked = [r for r in range(2, 802) if data_sheet.cell(r, price).comment is not None]
    assert marked == list(range(2, 802, 8))


def test_ingest_with_problems_stores_a_report(harness, tmp_path):
    record = harness.ingest(bad_workbook(tmp_path))
    assert record["report_uri"] is not None
    upload_id = record["upload_id"]
    book = open_report(harness.store.get(f"reports/{upload_id}.xlsx"))
    assert book["Problems"]["A1"].value.startswith("1 product loaded, 2 rejected (8 rows).")
    red = {k for k, (fill, _) in marked(book[SHEET]).items() if fill == RED}
    assert red == {"AF4", "AH11"}


def test_csv_ingest_gets_a_report(harness, tmp_path):
    rows = template_rows(4)
    rows[1]["stock"] = -3
    path = tmp_path / "BrandA_Briskk_SKU_Template.csv"
    path.write_bytes(csv_bytes(rows))
    record = harness.ingest(path)
    book = open_report(harness.store.get(f"reports/{record['upload_id']}.xlsx"))
    sheet = book["BrandA_Briskk_SKU_Template"]
    assert {k for k, (fill, _) in marked(sheet).items() if fill == RED} == {"AH3"}


def test_a_bulk_file_gets_the_problems_sheet_alone(tmp_path):
    path = bad_workbook(tmp_path)
    findings = [Finding(2, "price", "-1", "must be greater than 0", "error")]
    book = open_report(
        build_report(
            path.read_bytes(), path.name, findings=findings, summary="s", copy_sheets=False
        )
    )
    assert book.sheetnames == ["Problems"]
    rows = [r for r in book["Problems"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert [(r[0], r[1], r[2]) for r in rows] == [(2, "price", "-1")]


def test_past_the_sheets_row_limit_the_last_problems_row_counts_the_rest(tmp_path, monkeypatch):
    """Excel opens no sheet past 1,048,576 rows: the Problems sheet lists what fits and says
    how many more there are (the limit made small here; `PROBLEMS_LISTED` is read per call)."""
    monkeypatch.setattr(sheets, "PROBLEMS_LISTED", 5)
    assert sheets.EXCEL_MAX_ROWS - sheets.HEADER_ROW - 1 == 1_048_572  # the real limit
    path = bad_workbook(tmp_path)
    findings = [
        Finding(2 + i, "price", str(i), "must be greater than 0", "warning") for i in range(5)
    ]
    findings += [Finding(9, "stock", "x", "must be a whole number", "error")] * 3
    book = open_report(
        build_report(
            path.read_bytes(), path.name, findings=findings, summary="s", copy_sheets=False
        )
    )
    rows = [r[:5] for r in book["Problems"].iter_rows(min_row=4, values_only=True) if r[3]]
    assert [r[0] for r in rows[:5]] == [2, 3, 4, 5, 6]
    assert len(rows) == 6
    assert rows[5][3] == (
        "… and 3 more problems, not listed: a sheet holds 1,048,576 rows. Fix the ones above "
        "and upload the file again."
    )
    assert rows[5][4] == "error"  # an error is among those not listed


def test_marks_keep_the_brands_own_cell_styles(tmp_path):
    """Marks are applied through `StyleCache`: each cell keeps its own font and number format
    and gains only the fill, also where cells of the same row are styled differently."""
    path = bad_workbook(tmp_path)  # row 4: a bad price
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    sheet["A4"].font = Font(bold=True)
    sheet["B4"].number_format = "0.000"
    sheet["C4"].font = Font(italic=True, color="FF0000FF")
    book.save(path)
    data = path.read_bytes()
    report = open_report(
        build_report(data, path.name, findings=findings_for(data, path.name), summary="s")
    )[SHEET]
    row_fill = "00" + ROW_FILL
    assert (report["A4"].font.b, report["A4"].fill.fgColor.rgb) == (True, row_fill)
    assert (report["B4"].number_format, report["B4"].fill.fgColor.rgb) == ("0.000", row_fill)
    assert report["B4"].font.b is not True
    assert (report["C4"].font.i, report["C4"].font.color.rgb) == (True, "FF0000FF")
    assert report["C4"].fill.fgColor.rgb == row_fill
    assert report["D4"].font.b is not True and report["D4"].font.i is not True
    assert report["A5"].fill.fgColor.rgb != row_fill  # a good row stays as it was
