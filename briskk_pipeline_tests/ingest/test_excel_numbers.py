"""Number formats, empty formula results and Strict Open XML, in files written by real writers.

Workbooks come from openpyxl (`cell.number_format`), xlsxwriter (`num_format`), xlwt (.xls)
and LibreOffice (`soffice --headless --convert-to`), so the number formats sit in `styles.xml`
(or the BIFF XF records) exactly where Excel puts them; a few cells are written as raw XML to
hold what only Excel or LibreOffice writes (an empty cached formula result). Every value a
problem quotes is what Excel shows in the cell.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.ingest.sheet import RawSheet
from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline_tests.workbooks import (
    REAL_HEADER,
    openpyxl_bytes,
    template_rows,
)

SHEET = "BrandA_Briskk_SKU_Template"
COL = {name: i + 1 for i, name in enumerate(COLUMN_NAMES)}  # 1-based sheet columns


def read(data: bytes, name: str = "upload.xlsx") -> RawSheet:
    return read_upload(data, name, max_rows=800)


def problems(sheet: RawSheet) -> list[tuple[int | None, str | None, str | None]]:
    return [(p.row, p.column, p.value) for p in sheet.problems]


def formatted(ws: Any, row: int, column: str, value: Any, code: str) -> None:
    cell = ws.cell(row, COL[column])
    cell.value, cell.number_format = value, code


def spoiled_formats(ws: Any) -> None:
    """The issue's cells: a padded barcode and SKU, a two-digit size, a fraction, a percent
    offer price, a computed price, a dollar price, a 19-digit barcode, a hidden value."""
    formatted(ws, 2, "barcode", 12345678905, "0000000000000")
    formatted(ws, 3, "sku_id", 451, "000000")
    formatted(ws, 4, "size", 8, "00")
    formatted(ws, 5, "size", 32.5, "# ?/?")
    formatted(ws, 6, "offer_price", 0.1, "0%")
    formatted(ws, 7, "price", 1159.821428571, "0.00")
    formatted(ws, 7, "offer_price", 999.999, "#,##0.00")
    formatted(ws, 8, "price", 24.99, '"$"#,##0.00')
    formatted(ws, 9, "barcode", 1234567890123456789, "0")
    formatted(ws, 10, "stock", 25, ";;;")
    formatted(ws, 11, "hsn_code", 61091000, "0")
    formatted(ws, 12, "sku_id", 77, '"SKU-"0000')


def test_openpyxl_number_formats_are_read_as_excel_shows_them():
    sheet = read(openpyxl_bytes(template_rows(12), spoiled_formats, sheet_name=SHEET))
    frame = sheet.frame
    assert frame.at[2, "barcode"] == "0012345678905"
    assert frame.at[3, "sku_id"] == "000451"
    assert frame.at[4, "size"] == "08"
    assert frame.at[5, "size"] == "32 1/2"
    assert frame.at[7, "price"] == "1159.82"
    assert frame.at[7, "offer_price"] == "1000"
    assert frame.at[8, "price"] == "$24.99"
    assert frame.at[11, "hsn_code"] == "61091000"
    assert frame.at[12, "sku_id"] == "SKU-0077"
    assert frame.at[3, "barcode"] == "890000100011"  # General: the exact digits, as before
    assert problems(sheet) == [
        (6, "offer_price", "10%"),
        (9, "barcode", "1234567890123460000"),
        (10, "stock", None),
    ]


def test_xlsxwriter_number_formats_are_read_as_excel_shows_them(tmp_path: Path):
    rows = template_rows(8)
    path = tmp_path / "book.xlsx"
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet(SHEET)
    sheet.write_row(0, 0, [REAL_HEADER[c] for c in COLUMN_NAMES])
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, [row[c] for c in COLUMN_NAMES])
    ean = book.add_format({"num_format": "0000000000000"})
    percent = book.add_format({"num_format": "0%"})
    money = book.add_format({"num_format": "[$₹-4009] #,##0.00"})
    euro = book.add_format({"num_format": "[$€-407] #,##0.00"})
    sheet.write_number(1, COL["barcode"] - 1, 12345678905, ean)
    sheet.write_number(2, COL["offer_price"] - 1, 0.15, percent)
    sheet.write_number(3, COL["price"] - 1, 1299.456, money)
    sheet.write_number(4, COL["price"] - 1, 24.99, euro)
    book.close()
    sheet_read = read(path.read_bytes())
    assert sheet_read.frame.at[2, "barcode"] == "0012345678905"
    assert sheet_read.frame.at[4, "price"] == "1299.46"
    assert sheet_read.frame.at[5, "price"] == "€ 24.99"
    assert problems(sheet_read) == [(3, "offer_price", "15%")]


def test_xls_number_formats_are_read_as_excel_shows_them():
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet(SHEET, cell_overwrite_ok=True)
    for c, name in enumerate(COLUMN_NAMES):
        sheet.write(0, c, REAL_HEADER[name])
    for r, row in enumerate(template_rows(4), start=1):
        for c, name in enumerate(COLUMN_NAMES):
            if row[name] is not None:
                sheet.write(r, c, row[name])
    sheet.write(1, COL["barcode"] - 1, 12345678905, xlwt.easyxf(num_format_str="0000000000000"))
    sheet.write(2, COL["offer_price"] - 1, 0.1, xlwt.easyxf(num_format_str="0%"))
    sheet.write(3, COL["hsn_code"] - 1, 6109.1)  # General: a code with a decimal part
    buffer = io.BytesIO()
    book.save(buffer)
    sheet_read = read(buffer.getvalue(), "upload.xls")
    assert sheet_read.frame.at[2, "barcode"] == "0012345678905"
    assert problems(sheet_read) == [(3, "offer_price", "10%"), (4, "hsn_code", "6109.1")]


def test_general_numbers_that_cannot_be_the_typed_code_are_problems():
    def spoil(ws: Any) -> None:
        ws.cell(2, COL["barcode"]).value = 1234570000000  # what 1.23457E+12 leaves
        ws.cell(3, COL["sku_id"]).value = 1001.5  # a code with a decimal part
        ws.cell(4, COL["barcode"]).value = 12345678901234567  # past 15 digits
        ws.cell(5, COL["size"]).value = 7.5  # a size may have a decimal part
        ws.cell(6, COL["barcode"]).value = "8.90123E+12"  # Excel's display, kept as text
        ws.cell(7, COL["barcode"]).value = "0012345678905"  # text: exactly as typed
        ws.cell(8, COL["custom_code"]).value = "12345678901234567890"  # a text code: kept

    sheet = read(openpyxl_bytes(template_rows(8), spoil, sheet_name=SHEET))
    assert problems(sheet) == [
        (2, "barcode", "1.23457E+12"),
        (3, "sku_id", "1001.5"),
        (4, "barcode", "1.23457E+16"),
        (6, "barcode", "8.90123E+12"),
    ]
    assert sheet.frame.at[5, "size"] == "7.5"
    assert sheet.frame.at[7, "barcode"] == "0012345678905"
    assert sheet.frame.at[8, "custom_code"] == "12345678901234567890"


def test_a_merged_formatted_cell_fills_its_range_with_what_it_shows():
    def spoil(ws: Any) -> None:
        formatted(ws, 2, "hsn_code", 6109, "00000000")
        for r in (3, 4, 5):
            ws.cell(r, COL["hsn_code"]).value = None
        ws.merge_cells(
            start_row=2, end_row=5, start_column=COL["hsn_code"], end_column=COL["hsn_code"]
        )

    sheet = read(openpyxl_bytes(template_rows(8), spoil, sheet_name=SHEET))
    assert sheet.frame.loc[2:5, "hsn_code"].tolist() == ["00006109"] * 4
    assert sheet.problems == []


# ------------------------------------------------------------------------ raw sheet XML


def with_cells(data: bytes, cells: dict[str, str]) -> bytes:
    """`data` with the given cells' XML replaced (`{"AC2": '<c r="AC2" ...>...</c>'}`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                for ref, xml in cells.items():
                    pattern = rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'
                    text, count = re.subn(pattern, xml, text, count=1)
                    assert count == 1, ref
                body = text.encode()
            dst.writestr(info, body)
    return out.getvalue()


def column_letter(name: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(COL[name])


def test_a_formula_that_shows_nothing_is_a_blank_cell_not_uncalculated():
    sub = column_letter("next_sub_category")
    fit = column_letter("fit")
    size = column_letter("size")
    data = with_cells(
        openpyxl_bytes(template_rows(8), sheet_name=SHEET),
        {
            # what Excel and LibreOffice save for =IFERROR(VLOOKUP(...),"") finding nothing
            f"{sub}2": f'<c r="{sub}2" t="str"><f>IFERROR(VLOOKUP(A2,Z:Z,1,0),"")</f><v></v></c>',
            f"{fit}3": f'<c r="{fit}3" t="str"><f>IF(A3="","x","")</f><v/></c>',
            # a formula saved with no value at all: never calculated
            f"{size}4": f'<c r="{size}4"><f>A4&amp;"-S"</f></c>',
            # openpyxl's own formula: a number cell with an empty value, never calculated
            f"{size}5": f'<c r="{size}5"><f>A5</f><v></v></c>',
        },
    )
    sheet = read(data)
    assert (
        sheet.frame.at[2, "next_sub_category"] is None
        or sheet.frame.isna().at[2, "next_sub_category"]
    )
    assert sheet.frame.isna().at[3, "fit"]
    assert [(p.row, p.column, p.value) for p in sheet.problems] == [
        (4, "size", '=A4&"-S"'),
        (5, "size", "=A5"),
    ]
    assert all("never calculated" in p.message for p in sheet.problems)


# ---------------------------------------------------------------------- Strict Open XML

_STRICT = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
        b"http://purl.oclc.org/ooxml/spreadsheetml/main"
    ),
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
        b"http://purl.oclc.org/ooxml/officeDocument/relationships"
    ),
    b"http://schemas.openxmlformats.org/drawingml/2006/main": (
        b"http://purl.oclc.org/ooxml/drawingml/main"
    ),
}


def to_strict(data: bytes) -> bytes:
    """A Transitional workbook saved as Strict Open XML: what Excel's "Strict Open XML
    Spreadsheet" changes (ISO/IEC 29500-1 Strict namespaces in every part and relationship
    type, `conformance="strict"` on the workbook). LibreOffice 7.4 cannot write Strict (its
    "Calc Office Open XML" filter writes Transitional namespaces), so code writes it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.endswith((".xml", ".rels")):
                for transitional, strict in _STRICT.items():
                    body = body.replace(transitional, strict)
                body = body.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)
            dst.writestr(info, body)
    return out.getvalue()


def test_a_strict_open_xml_workbook_loads_like_xlsx():
    def spoil(ws: Any) -> None:
        spoiled_formats(ws)
        ws.row_dimensions[4].hidden = True
        ws.cell(5, COL["brand"]).value = None
        ws.merge_cells(start_row=4, end_row=5, start_column=COL["brand"], end_column=COL["brand"])
        ws.cell(2, COL["color"]).value = "#N/A"
        ws.cell(2, COL["color"]).data_type = "e"

    transitional = openpyxl_bytes(template_rows(12), spoil, sheet_name=SHEET)
    strict = to_strict(transitional)
    assert b"purl.oclc.org/ooxml/spreadsheetml/main" in zipfile.ZipFile(io.BytesIO(strict)).read(
        "xl/worksheets/sheet1.xml"
    )
    expected, got = read(transitional), read(strict)
    assert got.frame.equals(expected.frame)
    assert (
        problems(got)
        == problems(expected)
        == [
            (2, "color", "#N/A"),
            (6, "offer_price", "10%"),
            (9, "barcode", "1234567890123460000"),
            (10, "stock", None),
        ]
    )
    assert got.warnings == expected.warnings
    assert any("row 4 is hidden" in w for w in got.warnings)
    assert got.frame.at[5, "brand"] == "BrandA"


# ------------------------------------------------------------------------ LibreOffice


def soffice(source: Path, target: str, out: Path) -> Path:
    """`source` converted by LibreOffice (`--convert-to target`); a missing LibreOffice fails
    the test (CI installs `libreoffice-calc-nogui`), it never skips."""
    binary = shutil.which("soffice")
    assert binary is not None, (
        "LibreOffice (soffice) is needed: apt-get install libreoffice-calc-nogui"
    )
    env = {"HOME": str(out / "home"), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [binary, "--headless", "--convert-to", target, "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        env=env,
        timeout=180,
    )
    converted = out / f"{source.stem}.{target.split(':')[0]}"
    assert converted.is_file(), list(out.iterdir())
    return converted


@pytest.mark.libreoffice
def test_files_libreoffice_saved_keep_formats_and_empty_formula_results(tmp_path: Path):
    def spoil(ws: Any) -> None:
        spoiled_formats(ws)
        ws.cell(2, COL["next_sub_category"]).value = '=IFERROR(VLOOKUP("zz",A1:A3,1,0),"")'

    source = tmp_path / "in" / f"{SHEET}.xlsx"
    source.parent.mkdir()
    source.write_bytes(openpyxl_bytes(template_rows(12), spoil, sheet_name=SHEET))
    assert [p.row for p in read(source.read_bytes()).problems if "never" in p.message] == [2]
    targets = (
        "xlsx:Calc MS Excel 2007 XML",
        "xlsm:Calc MS Excel 2007 VBA XML",
        "xls:MS Excel 97",
        "ods",
    )
    for target in targets:
        out = tmp_path / target.split(":")[0]
        out.mkdir()
        sheet = read(soffice(source, target, out).read_bytes(), f"upload.{out.name}")
        assert sheet.frame.at[2, "barcode"] == "0012345678905", target
        assert sheet.frame.at[3, "sku_id"] == "000451", target
        assert sheet.frame.at[4, "size"] == "08", target
        assert sheet.frame.at[7, "price"] == "1159.82", target
        assert sheet.frame.isna().at[2, "next_sub_category"], target
        found = problems(sheet)
        assert (6, "offer_price", "10%") in found, target
        assert not any("never calculated" in p.message for p in sheet.problems), target


# ------------------------------------------------------------------------------- .xlsb


def xlsb_rows(n: int) -> list[list[Any]]:
    rows: list[list[Any]] = [[REAL_HEADER[c] for c in COLUMN_NAMES]]
    rows += [[row[c] for c in COLUMN_NAMES] for row in template_rows(n)]
    return rows


def test_an_xlsb_workbook_loads_with_formats_merged_ranges_and_hidden_rows():
    from briskk_pipeline_tests.xlsb_writer import write_xlsb

    c = {name: i for i, name in enumerate(COLUMN_NAMES)}  # 0-based
    rows = xlsb_rows(8)
    rows[1][c["barcode"]] = 12345678905
    rows[2][c["offer_price"]] = 0.1
    rows[3][c["hsn_code"]] = 1234567890123456789
    rows[4][c["size"]] = 46307.0  # 12-Oct-2026, a size Excel made a date
    for r in (3, 4):
        rows[r][c["brand"]] = None
    data = write_xlsb(
        rows,
        sheet_name=SHEET,
        formats={
            (1, c["barcode"]): "0000000000000",
            (2, c["offer_price"]): "0%",
            (3, c["hsn_code"]): "0",
            (4, c["size"]): "d-mmm",
        },
        merged=[(2, c["brand"], 4, c["brand"])],
        hidden_rows=[5],
        hidden_columns=[c["fit"]],
    )
    sheet = read(data, "upload.xlsb")
    assert sheet.frame.at[2, "barcode"] == "0012345678905"
    assert sheet.frame.loc[3:5, "brand"].tolist() == ["BrandA"] * 3
    assert problems(sheet) == [
        (3, "offer_price", "10%"),
        (4, "hsn_code", "1234567890123460000"),
        (5, "size", "12-Oct"),
    ]
    assert sheet.warnings == [
        "column fit (S) is hidden in the sheet but was loaded like every other column",
        "row 6 is hidden in the sheet but was loaded like every other row: if you hid it to "
        "remove that SKU, delete the row or set is_disabled to TRUE",
    ]


def test_an_xlsb_written_by_pyxlsbwriter_loads_like_the_same_rows_in_xlsx(tmp_path: Path):
    """A third-party writer's .xlsb (values only: pyxlsbwriter writes no formats or merges)."""
    from pyxlsbwriter import XlsbWriter

    path = tmp_path / "book.xlsb"
    with XlsbWriter(str(path)) as writer:
        writer.add_sheet(SHEET)
        writer.write_sheet(xlsb_rows(8))
    got = read(path.read_bytes(), "upload.xlsb")
    expected = read(openpyxl_bytes(template_rows(8), sheet_name=SHEET))
    assert got.problems == expected.problems == []
    assert got.frame.drop(columns=["is_disabled"]).equals(
        expected.frame.drop(columns=["is_disabled"])
    )


def test_the_column_wise_shortcuts_read_what_read_cell_reads():
    """The vectorised shapes of `excel_numbers._read_formatted` against the cell-by-cell rule."""
    import random

    from briskk_pipeline.ingest.number_formats import read_cell

    rng = random.Random(5)
    cases = {
        "barcode": ("0000000000000", lambda: rng.randrange(10**13)),
        "sku_id": ("000000", lambda: rng.choice((rng.randrange(10**6), rng.randrange(10**9)))),
        "price": (
            "#,##0.00",
            lambda: rng.choice((rng.randrange(1, 10**5), rng.randrange(1, 10**7) / 1000)),
        ),
        "stock": ("#,##0", lambda: rng.choice((rng.randrange(10**4), rng.randrange(10**5) / 10))),
        "waist_in": ("0.0", lambda: rng.randrange(1, 10**4) / 100),
    }
    values = {name: [make() for _ in range(40)] for name, (_, make) in cases.items()}

    def spoil(ws: Any) -> None:
        for name, (code, _) in cases.items():
            for r, value in enumerate(values[name], start=2):
                formatted(ws, r, name, value, code)

    sheet = read(openpyxl_bytes(template_rows(40), spoil, sheet_name=SHEET))
    for name, (code, _) in cases.items():
        for r, value in enumerate(values[name], start=2):
            reading = read_cell(value, code, name)
            expected = reading.text if reading.problem is None else reading.shown
            assert sheet.frame.at[r, name] == expected, (name, value)
