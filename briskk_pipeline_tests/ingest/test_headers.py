"""A header row that cannot be loaded names what is missing and what the brand wrote instead;
data under no header is never dropped silently (CSV as Excel writes it, and xlsx)."""

from __future__ import annotations

import pytest
from openpyxl.utils import get_column_letter

from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline.validation.report import FileRejected, Problem
from briskk_pipeline_tests.excel_text import excel_text
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


def rejection(data: bytes, name: str = "BrandA_Briskk_SKU_Template.csv") -> list[Problem]:
    with pytest.raises(FileRejected) as rejected:
        read_upload(data, name, max_rows=800)
    return rejected.value.problems


@pytest.mark.parametrize("save_as", ["csv", "csv-semicolon", "unicode-text"])
def test_missing_price_says_so_and_names_the_header_that_looks_like_it(save_as):
    # A brand's own headers for price and offer_price: the old reader said "no header row
    # with the template's columns" (price is one of the columns it looked for).
    data = excel_text(
        template_rows(4),
        save_as=save_as,
        header={"price": "MRP", "offer_price": "Selling Price"},
    )
    problems = rejection(data)
    letter_of = {name: get_column_letter(i + 1) for i, name in enumerate(COLUMN_NAMES)}
    assert [(p.row, p.column, p.message) for p in problems] == [
        (
            None,
            "price",
            "required column 'price' is missing from the header row; the header 'MRP' "
            f"(column {letter_of['price']}) looks like it (a common name for price): if it "
            "is, rename that header to price",
        ),
        (
            None,
            None,
            "the header row has columns the template does not have: "
            f"'MRP' (column {letter_of['price']}); 'Selling Price' (column "
            f"{letter_of['offer_price']}), which looks like offer_price (the template's column "
            "names are listed in its 'Description of each column' sheet)",
        ),
    ]


def test_missing_markers_in_a_workbook_are_named_too(tmp_path):
    path = write_xlsx(
        tmp_path / "t.xlsx",
        template_rows(2),
        header={"stock": "Qty", "sku_id": "SKU Code"},
        leading_rows=2,
    )
    problems = rejection(path.read_bytes(), "t.xlsx")
    assert [p.column for p in problems] == ["sku_id", "stock", None]
    assert problems[0].message.startswith(
        "required column 'sku_id' is missing from the header row; the header 'SKU Code'"
    )
    assert "'Qty' (column AH) looks like it (a common name for stock)" in problems[1].message


def test_a_missing_column_with_no_look_alike_is_named_alone():
    columns = [c for c in COLUMN_NAMES if c != "color"]
    problems = rejection(excel_text(template_rows(2), columns=columns))
    assert [(p.column, p.message) for p in problems] == [
        ("color", "required column 'color' is missing from the header row")
    ]


def test_a_row_with_too_few_template_words_is_not_a_header():
    data = "Catalog export,,\r\nproduct_id,notes,remarks\r\nP1,x,y\r\n".encode("cp1252")
    problems = rejection(data, "upload.csv")
    assert problems[0].message.startswith("the CSV file has no header row with the template's")


def test_a_loaded_file_warns_of_a_header_that_looks_like_a_missing_optional_column():
    rows = template_rows(2)
    columns = [c for c in COLUMN_NAMES if c != "offer_price"]
    data = excel_text(rows, columns=columns, extra=[("Selling Price", [450, 460])])
    sheet = read_upload(data, "BrandA_Briskk_SKU_Template.csv", max_rows=800)
    assert sheet.warnings == [
        "column 'Selling Price' is not part of the template and was ignored; it looks like "
        "offer_price (a common name for offer_price): if it is, rename the header to "
        "offer_price and upload again"
    ]


@pytest.mark.parametrize("save_as", ["csv", "unicode-text"])
def test_a_column_with_data_but_no_header_is_a_warning(save_as):
    rows = template_rows(3)
    data = excel_text(rows, save_as=save_as, extra=[("", ["a", "", "c"]), ("", ["", "", ""])])
    sheet = read_upload(data, "BrandA_Briskk_SKU_Template.csv", max_rows=800)
    assert sheet.warnings[-1:] == [
        "column AT has no header but holds data in 2 cells (rows 2-4): it was not read; give "
        "it the template's column name in the header row if it should be loaded"
    ]
    assert sum("no header" in w for w in sheet.warnings) == 1  # the empty column says nothing


def test_a_headerless_column_in_a_workbook_is_named_by_its_sheet_letter(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(2), extra_columns={"": [None, 7]})
    sheet = read_upload(path.read_bytes(), "t.xlsx", max_rows=800)
    assert [w for w in sheet.warnings if "no header" in w] == [
        "column AT has no header but holds data in 1 cell (row 3): it was not read; give it "
        "the template's column name in the header row if it should be loaded"
    ]
