"""The annotated workbook says how each header was read, and marks cells under aliased
headers (issue 22, item 5)."""

from __future__ import annotations

import io

import openpyxl

from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.profiles.model import Profile
from briskk_pipeline.reports.findings import Finding
from briskk_pipeline.reports.workbook import build_report
from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

PROFILE = Profile(
    version=4,
    header_aliases={"MRP": "price", "Selling Price": "offer_price"},
    ignore_columns=frozenset({"Notes"}),
)


def test_columns_sheet_names_the_rule_of_each_header_and_aliased_cells_are_marked(tmp_path):
    path = write_xlsx(
        tmp_path / "own.xlsx",
        template_rows(4),
        header={"price": "MRP", "offer_price": "Selling Price"},
        extra_columns={"Notes": ["n"] * 4, "Season": ["SS26"] * 4},
    )
    data = path.read_bytes()
    sheet = read_upload(data, "own.xlsx", max_rows=800, rules=PROFILE)
    finding = Finding(3, "price", "1299", "a test finding on price", "warning")
    content = build_report(
        data,
        "own.xlsx",
        findings=[finding],
        summary="test",
        sheet_name=sheet.sheet_name,
        rules=PROFILE,
        header_rules=sheet.header_rules,
        profile_version=PROFILE.version,
    )
    book = openpyxl.load_workbook(io.BytesIO(content))
    columns = book["Columns"]
    assert columns["A1"].value == "How each header of your file was read (brand profile version 4)."
    rows = {r[1]: (r[0], r[2], r[3]) for r in columns.iter_rows(min_row=4, values_only=True)}
    price_letter = openpyxl.utils.get_column_letter(COLUMN_NAMES.index("price") + 1)
    assert rows["MRP"] == (price_letter, "price", "alias from profile v4")
    assert rows["Selling Price"][1:] == ("offer_price", "alias from profile v4")
    assert rows["product_id"][1:] == ("product_id", "template name")
    assert rows["Notes"][1:] == (None, "ignored by profile v4")
    assert rows["Season"][1:] == (None, "not read")
    data_sheet = book[sheet.sheet_name]
    marked = data_sheet[f"{price_letter}3"]
    assert marked.comment is not None and "a test finding on price" in marked.comment.text


def test_no_columns_sheet_for_a_file_with_the_templates_headers(tmp_path):
    path = write_xlsx(tmp_path / "plain.xlsx", template_rows(4))
    data = path.read_bytes()
    sheet = read_upload(data, "plain.xlsx", max_rows=800, rules=PROFILE)
    content = build_report(
        data,
        "plain.xlsx",
        findings=[],
        summary="test",
        header_rules=sheet.header_rules,
        profile_version=4,
    )
    assert "Columns" not in openpyxl.load_workbook(io.BytesIO(content)).sheetnames
