"""Reading real and generated workbooks and CSVs into template rows, as text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline.validation.report import FileRejected
from briskk_pipeline_tests.workbooks import (
    REAL_HEADER,
    Formula,
    Text,
    csv_bytes,
    template_rows,
    write_xlsx,
)

REAL_TEMPLATE = Path(__file__).resolve().parents[3] / "shared/samples/briskk-sku-template.xlsx"


def read(path: Path, max_rows: int = 800):
    return read_upload(path.read_bytes(), path.name, max_rows=max_rows)


def test_real_template_reads_as_text_with_row_numbers():
    sheet = read(REAL_TEMPLATE)
    frame = sheet.frame
    assert sheet.sheet_name == "Sample fields and data"
    assert sheet.tenant_claim is None
    assert list(frame.columns) == list(COLUMN_NAMES)
    assert list(frame.index) == [2, 3, 4, 5]
    assert frame["product_id"].tolist() == ["prod001", "prod002", "prod003", "prod004"]
    assert frame["barcode"].tolist() == [
        "123456789012",
        "987654321098",
        "112233445566",
        "556677889900",
    ]
    assert frame.at[3, "size"] == "32"
    assert frame.at[2, "facility_name"] == "Store 1"  # trailing space trimmed
    assert frame.at[2, "hsn_code"] == "61091000"
    assert frame.at[2, "front_length_in"] == "27"
    assert frame.at[2, "across_shoulder_in"] == "17.5"
    assert pd.isna(frame.at[2, "image_3"])  # empty cell is null, not ""
    assert sheet.warnings == []


def test_messy_workbook_keeps_every_value(tmp_path):
    rows = template_rows(4)
    rows[0]["barcode"] = Text("012345678905")  # leading zero typed as text
    rows[1]["price"] = Text("1,299.00")  # number typed as text
    rows[1]["offer_price"] = Text("1,099.00")
    rows[2]["facility_name"] = "Store 1 "  # trailing space
    rows[3]["is_disabled"] = Formula("=FALSE()", False)
    rows[0]["size"] = 32
    path = write_xlsx(
        tmp_path / "messy.xlsx", rows, blank_formatted_rows=500, leading_rows=0, extra_sheets=True
    )
    sheet = read(path)
    frame = sheet.frame
    assert sheet.sheet_name == "BrandA_Briskk_SKU_Template"
    assert sheet.tenant_claim == "BrandA"
    assert len(frame) == 4  # the 500 formatted empty rows are not rows
    assert frame.at[2, "barcode"] == "012345678905"
    assert frame.at[3, "price"] == "1,299.00"
    assert frame.at[4, "facility_name"] == "Store 1"
    assert frame.at[5, "is_disabled"] == "false"
    assert frame.at[2, "size"] == "32"
    assert frame.at[3, "barcode"] == "890000100011"  # a 12-digit number stays exact


def test_header_below_title_rows_keeps_excel_row_numbers(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(2), leading_rows=2)
    frame = read(path).frame
    assert list(frame.index) == [4, 5]  # header on row 3


def test_blank_rows_in_the_middle_are_skipped_but_numbering_holds(tmp_path):
    rows = template_rows(3)
    rows.insert(1, {})  # an empty row 3
    path = write_xlsx(tmp_path / "t.xlsx", rows)
    frame = read(path).frame
    assert list(frame.index) == [2, 4, 5]


def test_headers_match_ignoring_case_spaces_and_stars(tmp_path):
    header = {n: f"  {n.upper()}* " for n in COLUMN_NAMES}
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(1), header=header)
    assert read(path).frame.at[2, "sku_id"] == "P000000-0"


def test_column_order_does_not_matter(tmp_path):
    columns = list(reversed(COLUMN_NAMES))
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(1), columns=columns)
    frame = read(path).frame
    assert frame.at[2, "product_id"] == "P000000"
    assert frame.at[2, "stock"] is not None


def test_unknown_column_is_ignored_with_a_warning(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(2), extra_columns={"Notes": ["a", "b"]})
    sheet = read(path)
    assert sheet.warnings == ["column 'Notes' is not part of the template and was ignored"]
    assert "Notes" not in sheet.frame.columns


def test_optional_columns_may_be_absent(tmp_path):
    columns = [c for c in COLUMN_NAMES if c not in ("fit", "is_disabled")]
    frame = read(write_xlsx(tmp_path / "t.xlsx", template_rows(1), columns=columns)).frame
    assert pd.isna(frame.at[2, "fit"])


def test_template_sheet_is_found_among_other_sheets_by_name(tmp_path):
    path = write_xlsx(
        tmp_path / "t.xlsx", template_rows(1), sheet_name="brandb_briskk_sku_template"
    )
    sheet = read(path)
    assert sheet.tenant_claim == "brandb"


@pytest.mark.parametrize("bom", [False, True], ids=["utf8", "utf8-bom"])
def test_csv_with_and_without_bom(bom):
    rows = template_rows(2)
    rows[0]["barcode"] = "012345678905"
    data = csv_bytes(rows, bom=bom)
    sheet = read_upload(data, "BrandA_Briskk_SKU_Template.csv", max_rows=800)
    assert list(sheet.frame.index) == [2, 3]
    assert sheet.frame.at[2, "product_id"] == "P000000"  # BOM not glued to the first header
    assert sheet.frame.at[2, "barcode"] == "012345678905"
    assert sheet.tenant_claim == "BrandA"


def test_csv_empty_fields_are_null():
    rows = template_rows(1)
    sheet = read_upload(csv_bytes(rows), "x.csv", max_rows=800)
    assert pd.isna(sheet.frame.at[2, "custom_code"])
    assert sheet.tenant_claim is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: b"", "the file is empty"),
        (lambda tmp: b"\x89PNG\r\n\x1a\n\x00\x00", "this file is an image (PNG)"),
        (lambda tmp: b"PK\x03\x04garbage-zip", "could not be opened as an Excel workbook"),
        (lambda tmp: b"a,b\n1,2\n", "no header row with the template's columns"),
        (lambda tmp: "product_id,sku_id\n".encode("utf-16"), "no header row"),
        (lambda tmp: b"product_id,sku\xff\n", "no header row"),
    ],
    ids=[
        "empty",
        "png",
        "broken-zip",
        "not-template-csv",
        "utf16-not-template",
        "cp1252-not-template",
    ],
)
def test_unusable_files_are_rejected_whole(tmp_path, make, message):
    with pytest.raises(FileRejected) as rejected:
        read_upload(make(tmp_path), "upload.bin", max_rows=800)
    assert message in str(rejected.value)
    assert all(p.row is None for p in rejected.value.problems)


def test_missing_required_column_rejects_file(tmp_path):
    columns = [c for c in COLUMN_NAMES if c not in ("color", "brand")]
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(2), columns=columns)
    with pytest.raises(FileRejected) as rejected:
        read(path)
    assert [(p.column, p.message) for p in rejected.value.problems] == [
        ("brand", "required column 'brand' is missing from the header row"),
        ("color", "required column 'color' is missing from the header row"),
    ]


def test_duplicated_column_rejects_file(tmp_path):
    path = write_xlsx(
        tmp_path / "t.xlsx", template_rows(1), extra_columns={REAL_HEADER["price"]: [10]}
    )
    with pytest.raises(FileRejected, match="column 'price' appears more than once"):
        read(path)


def test_more_rows_than_the_limit_rejects_file(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(801), extra_sheets=False)
    with pytest.raises(FileRejected, match="the file has 801 rows; at most 800"):
        read(path)
    assert len(read(path, max_rows=801).frame) == 801


def test_header_without_rows_is_rejected(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", [], blank_formatted_rows=20)
    with pytest.raises(FileRejected, match="no product rows"):
        read(path)


def test_workbook_without_a_template_sheet_is_rejected(tmp_path):
    import xlsxwriter

    path = tmp_path / "other.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("Sales").write_row(0, 0, ["month", "revenue"])
    workbook.close()
    with pytest.raises(FileRejected, match=r"no sheet looks like the Briskk SKU template.*Sales"):
        read(path)
