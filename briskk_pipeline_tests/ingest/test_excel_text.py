"""Excel's leftovers in text files, read as Excel shows them (Fidelity issue, second round).

Every file is written the way Excel writes it (`excel_text.py`: Windows-1252 "CSV", "CSV
UTF-8", `;` in European locales, UTF-16 "Unicode Text" with tabs, CRLF, a `sep=` line) holding
what Excel wrote for what it showed: error values, dates made of sizes, long numbers in
scientific notation, and the text tricks tools use for Excel (`="0012345"`, an apostrophe).
The .ods cases are written by LibreOffice itself.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.ingest.sheet import RawSheet
from briskk_pipeline_tests.excel_text import excel_text
from briskk_pipeline_tests.workbooks import openpyxl_bytes, template_rows

NAME = "BrandA_Briskk_SKU_Template.csv"
SAVE_AS = ["csv", "csv-utf8", "csv-semicolon", "unicode-text"]


def read(data: bytes, name: str = NAME) -> RawSheet:
    return read_upload(data, name, max_rows=800)


def cells(sheet: RawSheet) -> list[tuple[int | None, str | None, str | None]]:
    return [(p.row, p.column, p.value) for p in sheet.problems]


@pytest.mark.parametrize("save_as", SAVE_AS)
@pytest.mark.parametrize(
    ("shown", "meaning"),
    [
        ("#N/A", "a lookup formula found no match"),
        ("#REF!", "a formula points to a cell that was deleted"),
        ("#VALUE!", "a formula used the wrong kind of value"),
        ("#DIV/0!", "a formula divides by zero"),
        ("#NAME?", "a formula uses a name Excel does not know"),
        ("#NUM!", "a formula gives an impossible number"),
        ("#NULL!", "a formula refers to ranges that do not meet"),
        ("#GETTING_DATA", "the cell was still loading data"),
        ("#SPILL!", "a formula's results would overwrite other cells"),
        ("#CALC!", "a formula could not be calculated"),
    ],
)
def test_error_values_excel_wrote_are_error_cells(save_as, shown, meaning):
    rows = template_rows(4)
    rows[1]["offer_price"] = shown  # row 3
    rows[2]["product_description"] = shown  # row 4: any template column
    sheet = read(excel_text(rows, save_as=save_as))
    assert cells(sheet) == [(3, "offer_price", shown), (4, "product_description", shown)]
    # the words of an xlsx error cell (excel_cells.py)
    assert sheet.problems[0].message == (
        f"the cell shows the Excel error {shown} ({meaning}) instead of a value: "
        "fix the formula or type the value"
    )
    assert pd.isna(sheet.frame.at[3, "offer_price"])


def test_error_text_inside_other_text_is_text():
    rows = template_rows(2)
    rows[0]["product_name"] = "Kurta #N/A edition"
    rows[1]["custom_code"] = "#N/A1"
    sheet = read(excel_text(rows))
    assert sheet.problems == []
    assert sheet.frame.at[2, "product_name"] == "Kurta #N/A edition"


@pytest.mark.parametrize("save_as", SAVE_AS)
@pytest.mark.parametrize(
    ("column", "shown"),
    [
        ("size", "12-Oct"),  # "10-12" typed, shown d-mmm
        ("size", "3-Feb"),
        ("size", "03-Feb"),
        ("size", "Oct-12"),  # "Oct 12" or "10/2012" typed, shown mmm-yy
        ("size", "12-Oct-26"),
        ("sku_id", "12/10/2026"),
        ("product_id", "2026-10-12"),
        ("barcode", "12.10.2026"),
        ("stock", "1-Jan"),
    ],
)
def test_dates_excel_made_of_codes_are_the_date_problem(save_as, column, shown):
    rows = template_rows(4)
    rows[2][column] = shown  # row 4
    sheet = read(excel_text(rows, save_as=save_as))
    assert cells(sheet) == [(4, column, shown)]
    assert sheet.problems[0].message == (
        f"Excel turned what was typed here into a date (the cell shows {shown}): format the "
        f"{column} column as Text and type the value again"
    )
    assert sheet.frame.at[4, column] == shown  # the value quoted is what Excel showed


@pytest.mark.parametrize(
    ("column", "text"),
    [
        ("color", "Oct-12"),  # text columns may hold anything
        ("product_name", "12-Oct"),
        ("size", "12-oct"),  # Excel writes its month names capitalised: typed text
        ("size", "10-12"),  # Excel left it alone (a Text column): the size the brand typed
        ("size", "M-L"),
    ],
)
def test_text_that_is_not_an_excel_date_stays(column, text):
    rows = template_rows(4)
    rows[2][column] = text
    sheet = read(excel_text(rows))
    assert sheet.problems == []
    assert sheet.frame.at[4, column] == text


@pytest.mark.parametrize("save_as", SAVE_AS)
def test_formula_text_is_what_excel_shows(save_as):
    rows = template_rows(4)
    rows[0]["barcode"] = '="0012345678905"'
    rows[1]["sku_id"] = '="00451"'
    rows[2]["size"] = '="12-Oct"'  # written as text on purpose: not a date
    rows[3]["product_name"] = '="Kurta ""Classic"""'
    sheet = read(excel_text(rows, save_as=save_as))
    assert sheet.problems == []
    assert sheet.frame.at[2, "barcode"] == "0012345678905"
    assert sheet.frame.at[3, "sku_id"] == "00451"
    assert sheet.frame.at[4, "size"] == "12-Oct"
    assert sheet.frame.at[5, "product_name"] == 'Kurta "Classic"'


def test_a_typed_apostrophe_keeps_the_zeros_with_a_warning():
    rows = template_rows(4)
    rows[0]["barcode"] = "'0012345678905"
    rows[1]["size"] = "'10-12"  # the apostrophe kept Excel from making a date
    rows[2]["product_name"] = "'90s Classic Tee"  # text: the apostrophe is the brand's
    sheet = read(excel_text(rows))
    assert sheet.problems == []
    assert sheet.frame.at[2, "barcode"] == "0012345678905"
    assert sheet.frame.at[3, "size"] == "10-12"
    assert sheet.frame.at[4, "product_name"] == "'90s Classic Tee"
    assert [w for w in sheet.warnings if "apostrophe" in w] == [
        "row 2, column barcode: the leading apostrophe (Excel's mark for 'keep as text') was "
        "removed: read as '0012345678905' (value \"'0012345678905\")",
        "row 3, column size: the leading apostrophe (Excel's mark for 'keep as text') was "
        "removed: read as '10-12' (value \"'10-12\")",
    ]


@pytest.mark.parametrize("save_as", SAVE_AS)
@pytest.mark.parametrize(
    ("column", "shown"),
    [("barcode", "8.90123E+11"), ("barcode", "1.23457E+12"), ("sku_id", "1E+15")],
)
def test_scientific_notation_in_an_identifier_means_lost_digits(save_as, column, shown):
    rows = template_rows(4)
    rows[1][column] = shown
    sheet = read(excel_text(rows, save_as=save_as))
    assert cells(sheet) == [(3, column, shown)]
    assert sheet.problems[0].message == (
        f"Excel showed a long number in scientific notation ({shown}) and saved only what it "
        "showed, so the rest of its digits are lost: in the original workbook format the "
        f"{column} column as Text, type or paste the full values again and save"
    )


@pytest.mark.parametrize("save_as", ["csv", "csv-semicolon", "unicode-text"])
def test_a_sep_line_is_not_a_row(save_as):
    rows = template_rows(4)
    rows[2]["offer_price"] = "#N/A"
    rows[3]["product_name"] = "Linen Kurta, naturally dyed"  # the delimiter inside: quoted
    data = excel_text(rows, save_as=save_as, sep_line=True)
    sheet = read(data)
    assert list(sheet.frame.index) == [2, 3, 4, 5]  # header is row 1, as Excel shows it
    assert cells(sheet) == [(4, "offer_price", "#N/A")]
    assert sheet.frame.at[5, "product_name"] == "Linen Kurta, naturally dyed"


def test_a_sep_line_decides_the_delimiter():
    # Every field of this file also splits on commas; "sep=;" says the file is split by ";".
    rows = template_rows(2)
    for row in rows:
        row["product_description"] = "Soft, light, breathable"
    data = excel_text(rows, save_as="csv-semicolon", sep_line=True)
    sheet = read(data)
    assert sheet.frame.at[2, "product_description"] == "Soft, light, breathable"


def test_windows_1252_crlf_with_quoted_line_breaks_numbers_rows_as_excel():
    rows = template_rows(8)
    rows[0]["product_description"] = "Résumé of the style:\r\nsoft, light\r\nbreathable"
    rows[5]["barcode"] = "#N/A"  # row 7, below a cell holding two line breaks
    data = excel_text(rows, save_as="csv", sep_line=True)
    assert data.count(b"\r\n") == 1 + 1 + 8 + 2  # sep, header, rows, breaks inside a cell
    sheet = read(data)
    assert cells(sheet) == [(7, "barcode", "#N/A")]
    assert sheet.frame.at[2, "product_description"].startswith("Résumé of the style:")
    assert sheet.warnings[0].startswith("the file is not UTF-8, so it was read as Windows-1252")


# ----------------------------------------------------------------------- .ods by LibreOffice


def soffice() -> str:
    found = shutil.which("soffice")
    assert found, "LibreOffice (soffice) is needed: apt-get install -y libreoffice-calc-nogui"
    return found


def libreoffice_ods(xlsx: bytes, tmp_path: Path) -> bytes:
    """`xlsx` opened, recalculated and saved as .ods by LibreOffice itself."""
    source = tmp_path / "BrandA_Briskk_SKU_Template.xlsx"
    source.write_bytes(xlsx)
    subprocess.run(
        [
            soffice(),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return source.with_suffix(".ods").read_bytes()


def test_ods_error_cells_written_by_libreoffice_are_error_cells(tmp_path):
    col = {name: i + 1 for i, name in enumerate(template_rows(1)[0])}

    def spoil(ws):
        ws.cell(3, col["offer_price"]).value = "=NA()"
        ws.cell(4, col["offer_price"]).value = "=1/0"
        ws.cell(5, col["custom_code"]).value = '=VLOOKUP("x",AZ1:BA2,2,0)'

    ods = libreoffice_ods(openpyxl_bytes(template_rows(8), spoil), tmp_path)
    sheet = read(ods, "catalog.ods")
    assert cells(sheet) == [
        (3, "offer_price", "#N/A"),
        (4, "offer_price", "#DIV/0!"),
        (5, "custom_code", "#N/A"),
    ]
    assert sheet.problems[1].message == (
        "the cell shows the Excel error #DIV/0! (a formula divides by zero) instead of a "
        "value: fix the formula or type the value"
    )
