"""Every finding of an upload reaches its workbook: images not stored (by row and column),
images not fetched, the other rows of a rejected product, announced changes, wrapped text."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from PIL import Image, ImageOps

from briskk_pipeline import template
from briskk_pipeline.reports.announcements import announcement_findings
from briskk_pipeline.reports.findings import Finding, gather
from briskk_pipeline.reports.workbook import PRODUCT_FILL, ROW_FILL, build_report
from briskk_pipeline_tests.harness import make_harness
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

SHEET = "BrandA_Briskk_SKU_Template"
RED, YELLOW = "00FFC7CE", "00FFEB9C"


def column_of(name: str) -> str:
    """The Excel column letter of a template column in `write_xlsx`'s workbooks."""
    return get_column_letter(template.COLUMN_NAMES.index(name) + 1)


def problems_rows(book: openpyxl.Workbook) -> list[tuple[Any, ...]]:
    return [r[:5] for r in book["Problems"].iter_rows(min_row=4, values_only=True) if r[3]]


def report_of(harness: Any, record: dict[str, Any]) -> openpyxl.Workbook:
    assert record["report_uri"] is not None, "the upload has no report"
    data = harness.store.get(f"reports/{record['upload_id']}.xlsx")
    return openpyxl.load_workbook(io.BytesIO(data))


def test_a_404_image_is_a_problems_row_and_a_marked_cell(
    database_url, local_store, tmp_path, http_server
):
    harness = make_harness(database_url, local_store, tmp_path)
    base = http_server.url("/img")
    http_server.serve_image("/img/p0/main.jpg")
    http_server.serve_image("/img/p0/2.jpg", color=(10, 200, 10))
    # /img/p0/1.jpg is not routed: 404
    record = harness.ingest(write_xlsx(tmp_path / "images.xlsx", template_rows(4, image_base=base)))
    assert record["status"] == "succeeded" and record["errors"] == []
    book = report_of(harness, record)  # today: no report ("no problems or warnings")
    url = f"{base}/p0/1.jpg"
    rows = problems_rows(book)
    assert len(rows) == 1
    row, column, value, message, severity = rows[0]
    assert (row, column, value, severity) == (2, "image_1", url, "warning")
    assert "404" in message and message.startswith("image not stored")
    cell = book[SHEET][f"{column_of('image_1')}2"]
    assert cell.value == url
    assert cell.fill.fgColor.rgb == YELLOW
    assert cell.comment is not None and "404" in cell.comment.text
    # the Problems row links to that cell
    link = book["Problems"]["A4"].hyperlink
    assert link is not None and link.location == f"'{SHEET}'!{cell.coordinate}"
    assert "1 warning" in book["Problems"]["A1"].value


def test_an_upload_whose_only_findings_are_images_not_fetched_lists_them_without_a_copy(
    database_url, local_store, tmp_path
):
    """Fetching off: every image slot is listed by row and column, but nothing in a cell is
    wrong, so the brand's sheets are not copied and marked (an 800-row sheet cost a second)."""
    harness = make_harness(database_url, local_store, tmp_path, fetch_images=False)
    record = harness.ingest(write_xlsx(tmp_path / "good.xlsx", template_rows(8)))
    assert record["status"] == "succeeded" and record["errors"] == []
    book = report_of(harness, record)
    rows = problems_rows(book)
    # P000000 (row 2): main_image, image_1, image_2; P000001 (row 6): main_image, image_1
    assert [(r[0], r[1]) for r in rows if r[1]] == [
        (2, "main_image"),
        (2, "image_1"),
        (2, "image_2"),
        (6, "main_image"),
        (6, "image_1"),
    ]
    assert all(r[3].startswith("image not fetched") for r in rows if r[1])
    assert book.sheetnames[0] == "Problems" and SHEET not in book.sheetnames
    assert book["Problems"]["A4"].hyperlink is None  # no copied sheet to link to


def test_images_not_fetched_are_marked_too_when_the_sheets_are_copied_for_an_error(
    database_url, local_store, tmp_path
):
    harness = make_harness(database_url, local_store, tmp_path, fetch_images=False)
    rows = template_rows(8)
    rows[5]["offer_price"] = 5000  # row 7: an error, so the brand's sheet comes back marked
    record = harness.ingest(write_xlsx(tmp_path / "bad.xlsx", rows))
    book = report_of(harness, record)
    assert SHEET in book.sheetnames
    assert book[SHEET][f"{column_of('main_image')}2"].fill.fgColor.rgb == YELLOW
    assert book[SHEET][f"{column_of('offer_price')}7"].fill.fgColor.rgb == RED


def test_every_row_of_a_rejected_product_is_marked_with_the_row_that_rejected_it(
    database_url, local_store, tmp_path
):
    harness = make_harness(database_url, local_store, tmp_path, fetch_images=False)
    rows = template_rows(12)
    rows[5]["offer_price"] = 5000  # row 7: P000001 (rows 6-9) is rejected
    record = harness.ingest(write_xlsx(tmp_path / "bad.xlsx", rows))
    assert record["products_rejected"] == 1 and record["rows_rejected"] == 4
    sheet = report_of(harness, record)[SHEET]
    offer = column_of("offer_price")
    assert sheet[f"{offer}7"].fill.fgColor.rgb == RED
    assert sheet["B7"].fill.fgColor.rgb == "00" + ROW_FILL
    product_id = column_of("product_id")
    for row in (6, 8, 9):  # today: left as they were, as if loaded
        assert sheet[f"B{row}"].fill.fgColor.rgb == "00" + PRODUCT_FILL
        note = sheet[f"{product_id}{row}"].comment
        assert note is not None and "rejected because of row 7" in note.text
    assert sheet["B5"].fill.fill_type is None and sheet["B10"].fill.fill_type is None
    assert sheet[f"{product_id}10"].comment is None


def test_problems_sheet_wraps_the_summary_and_messages(tmp_path):
    path = write_xlsx(tmp_path / "b.xlsx", template_rows(4))
    long = "must not be more than price; " * 8
    findings = [Finding(3, "offer_price", "5000", long, "error")]
    book = openpyxl.load_workbook(
        io.BytesIO(build_report(path.read_bytes(), path.name, findings=findings, summary=long))
    )
    problems = book["Problems"]
    assert problems["A1"].alignment.wrap_text
    assert "A1:E1" in {str(r) for r in problems.merged_cells.ranges}
    assert problems.row_dimensions[1].height > 20  # room for the lines it wraps to
    assert problems["D4"].alignment.wrap_text and problems["C4"].alignment.wrap_text
    assert 60 <= problems.column_dimensions["D"].width <= 90


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (None, []),
        ([{"product_id": "P1", "action": "new", "fields": {}, "skus": []}], []),  # dry run
        (
            {
                "skus_updated": 2,
                "values_cleared": [{"row": 4, "column": "fit", "old": "Regular", "new": None}],
            },
            [
                (None, None, "Changes: skus updated 2."),
                (4, "fit", "values cleared: Regular -> (blank)"),
            ],
        ),
    ],
)
def test_announced_changes_of_the_record_become_notes(changes, expected):
    found = announcement_findings({"changes": changes})
    assert [(f.row, f.column, f.message) for f in found] == expected
    assert all(f.severity == "note" for f in found)
    in_order = gather([], [], [], announcements=found)
    assert [f.message for f in in_order] == [e[2] for e in expected]


def test_an_upload_without_any_finding_has_no_report(
    database_url, local_store, tmp_path, http_server
):
    harness = make_harness(database_url, local_store, tmp_path)
    base = http_server.url("/img")
    for name in ("main", "1", "2"):
        http_server.serve_image(f"/img/p0/{name}.jpg", color=(1, 2, len(name)))
    record = harness.ingest(write_xlsx(tmp_path / "good.xlsx", template_rows(4, image_base=base)))
    assert record["warnings"] == [] and record["image_failures"] == []
    assert record["report_uri"] is None


@pytest.mark.skipif(
    os.environ.get("BRISKK_SCREENSHOT") != "1" or shutil.which("soffice") is None,
    reason="draws the README's picture: BRISKK_SCREENSHOT=1 and LibreOffice (soffice) needed",
)
def test_problems_sheet_picture(database_url, local_store, tmp_path, http_server):
    """The README's picture of a Problems sheet: a rejected product, a 404 image, an ignored
    column, rendered by LibreOffice (PDF) and pdftoppm (PNG) into docs/screenshots/."""
    harness = make_harness(database_url, local_store, tmp_path)
    base = http_server.url("/img")
    for p in range(3):
        for name in ("main", "1", "2"):
            if (p, name) != (0, "1"):  # row 2 image_1: 404
                http_server.serve_image(f"/img/p{p}/{name}.jpg", color=(p * 60, len(name), 5))
    rows = template_rows(12, image_base=base)
    rows[5]["offer_price"] = 5000  # row 7: P000001 (rows 6-9) rejected
    rows[9]["stock"] = "many"  # row 11: P000002 rejected too
    path = write_xlsx(tmp_path / "summer-catalogue.xlsx", rows, extra_columns={"notes": ["x"] * 12})
    book = report_of(harness, harness.ingest(path))
    for name in book.sheetnames[1:]:
        del book[name]
    only = tmp_path / "problems.xlsx"
    book.save(only)
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(only)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    target = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "problems-sheet"
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "110",
            "-singlefile",
            str(tmp_path / "problems.pdf"),
            str(target),
        ],
        check=True,
        timeout=60,
    )
    picture = target.with_suffix(".png")
    with Image.open(picture) as page:  # the page's used part, with a margin
        box = ImageOps.invert(page.convert("RGB")).getbbox()
        assert box is not None
        page.crop((box[0] - 20, box[1] - 20, box[2] + 20, box[3] + 20)).save(picture)
    assert picture.stat().st_size > 10_000
