"""A vocabulary warning in the annotated workbook: on its first cell and in the Problems sheet."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.reports.findings import gather
from briskk_pipeline.reports.workbook import build_report
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

SHEET = "BrandA_Briskk_SKU_Template"


def test_vocabulary_warning_is_marked_once_in_the_workbook(tmp_path: Path) -> None:
    rows = template_rows(8)
    for row in rows[1:3]:
        row["color"] = "Blu"  # rows 3 and 4
    path = write_xlsx(tmp_path / "book.xlsx", rows, sheet_name=SHEET)
    data = path.read_bytes()
    sheet = read_upload(data, path.name, max_rows=800)
    result = validate_rows(sheet.frame, read_problems=sheet.problems)
    assert result.problems == [] and len(result.cell_warnings) == 1
    findings = gather(result.problems, result.cell_warnings, ())
    book = openpyxl.load_workbook(
        io.BytesIO(build_report(data, path.name, findings=findings, summary="s", sheet_name=SHEET))
    )
    data_sheet = book[SHEET]
    color = next(c.column for c in data_sheet[1] if str(c.value).startswith("color"))
    commented = [r for r in range(2, 10) if data_sheet.cell(r, color).comment is not None]
    assert commented == [3]
    assert "no colour family" in data_sheet.cell(3, color).comment.text
    assert "(rows 3, 4)" in data_sheet.cell(3, color).comment.text
    listed = [r for r in book["Problems"].iter_rows(min_row=1, values_only=True) if "Blu" in r]
    assert len(listed) == 1
