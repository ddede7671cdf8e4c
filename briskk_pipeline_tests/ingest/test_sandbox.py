"""Hostile files: none can kill, hang or exhaust the process that reads it (Hardening issue).

Workbooks are small and built by code. Each read that could blow up runs in a subprocess with
its own address-space cap, so a regression of the sandbox fails the test instead of the machine.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from briskk_pipeline.catalog.queries import json_number
from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.ingest.sandbox import ReadLimits, check_package
from briskk_pipeline.validation.report import FileRejected, Problem
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.hostile import rewrite
from briskk_pipeline_tests.workbooks import csv_bytes, openpyxl_bytes, template_rows, write_xlsx

SHEET_PART = "xl/worksheets/sheet1.xml"
GUARD_MB = 3072  # the test's own cap on the process that asks for the read


def workbook() -> bytes:
    """A template workbook with a shared-string table, as Excel writes them (xlsxwriter)."""
    with tempfile.TemporaryDirectory() as folder:
        return write_xlsx(Path(folder) / "w.xlsx", template_rows(8)).read_bytes()


def read_guarded(tmp_path: Path, data: bytes, memory_mb: int = 256, seconds: float = 60) -> dict:
    """`read_sandboxed` in a subprocess capped at GUARD_MB: what it answered, as JSON."""
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data)
    code = f"""
import json, sys
from pathlib import Path
from briskk_pipeline.ingest.sandbox import ReadLimits, read_sandboxed
from briskk_pipeline.validation.report import FileRejected
try:
    sheet = read_sandboxed(Path({str(path)!r}).read_bytes(), "upload.xlsx", max_rows=800,
                           limits=ReadLimits(memory_mb={memory_mb}, seconds={seconds}))
    print(json.dumps({{"rows": sheet.row_count}}))
except FileRejected as rejection:
    print(json.dumps({{"rejected": [p.message for p in rejection.problems]}}))
"""

    def cap() -> None:
        limit = GUARD_MB * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=cap,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_good_workbook_reads_through_the_sandbox(tmp_path):
    assert read_guarded(tmp_path, workbook()) == {"rows": 8}


def test_a_shared_string_table_that_lies_about_its_size_is_refused_unread():
    lying = rewrite(
        workbook(),
        "xl/sharedStrings.xml",
        lambda xml: re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', xml),
    )
    with pytest.raises(FileRejected) as refused:
        check_package(lying, ReadLimits())
    assert "claims 4,000,000,000 entries" in refused.value.problems[0].message


def test_a_cell_at_the_last_address_exhausts_only_the_sandbox(tmp_path):
    far = rewrite(
        workbook(),
        SHEET_PART,
        lambda xml: xml.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
        ),
    )
    answer = read_guarded(tmp_path, far, memory_mb=256)
    assert answer["rejected"][0].startswith(
        "reading the workbook needs more than 256 MB of memory (BRISKK_READ_MEMORY_MB)"
    )


def test_a_deflate_bomb_is_refused_by_its_ratio():
    bomb = rewrite(workbook(), "xl/comments1.xml", lambda _: b" " * (40 * 2**20))
    with pytest.raises(FileRejected) as refused:
        check_package(bomb, ReadLimits())
    assert "is compressed" in refused.value.problems[0].message
    assert "xl/comments1.xml" in refused.value.problems[0].message


def test_a_workbook_bigger_than_the_memory_limit_unpacked_is_refused():
    big = rewrite(workbook(), "xl/media/blob.bin", lambda _: bytes(range(256)) * (5 * 2**12))
    with pytest.raises(FileRejected) as refused:
        check_package(big, ReadLimits(memory_mb=4))
    assert "expands to" in refused.value.problems[0].message


def test_xml_with_a_dtd_and_entities_is_refused():
    billion_laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><sst>&lol2;</sst>'
    )
    hostile = rewrite(workbook(), "xl/sharedStrings.xml", lambda _: billion_laughs)
    with pytest.raises(FileRejected) as refused:
        check_package(hostile, ReadLimits())
    assert "declares an XML document type (DTD)" in refused.value.problems[0].message


def test_a_read_that_takes_too_long_is_stopped(tmp_path):
    answer = read_guarded(tmp_path, openpyxl_bytes(template_rows(800)), seconds=0.001)
    assert answer["rejected"] == [
        "reading the file took longer than 0.001 s (BRISKK_READ_SECONDS): save it again from "
        "Excel or LibreOffice, or split it"
    ]


def test_two_sheets_named_like_the_template_are_ambiguous():
    def second_sheet(ws):
        copy = ws.parent.copy_worksheet(ws)
        copy.title = "BrandB_Briskk_SKU_Template"

    with pytest.raises(FileRejected) as refused:
        read_upload(openpyxl_bytes(template_rows(4), second_sheet), "x.xlsx", max_rows=800)
    message = refused.value.problems[0].message
    assert "2 sheets named like the template" in message
    assert "'BrandA_Briskk_SKU_Template', 'BrandB_Briskk_SKU_Template'" in message


# ------------------------------------------------------------------- brand data, not crashes


def test_nul_bytes_in_a_csv_are_removed_with_a_warning():
    rows = template_rows(4)
    rows[1]["product_name"] = "Shirt\x00 blue"
    sheet = read_upload(csv_bytes(rows), "BrandA_Briskk_SKU_Template.csv", max_rows=800)
    assert sheet.frame.at[3, "product_name"] == "Shirt blue"
    assert sheet.warnings == [
        "row 3, column product_name: contained control characters (such as NUL) that cannot "
        "be stored; they were removed (value 'Shirt\\\\x00 blue')"
    ]


def test_an_escaped_nul_in_an_xlsx_is_removed_with_a_warning():
    escaped = rewrite(
        workbook(),
        "xl/sharedStrings.xml",
        lambda xml: xml.replace(b"<t>BrandA</t>", b"<t>Brand_x0000_A</t>", 1),
    )
    sheet = read_upload(escaped, "x.xlsx", max_rows=800)
    assert set(sheet.frame["brand"]) == {"BrandA"}
    assert any("contained control characters" in w for w in sheet.warnings)


def test_a_cell_longer_than_excel_allows_is_a_problem_quoted_short():
    rows = template_rows(4)
    rows[2]["product_description"] = "x" * 40_000
    sheet = read_upload(csv_bytes(rows), "BrandA_Briskk_SKU_Template.csv", max_rows=800)
    assert [(p.row, p.column) for p in sheet.problems] == [(4, "product_description")]
    problem = sheet.problems[0]
    assert (
        problem.message == "is 40,000 characters long; a cell holds at most 32,767 (Excel's limit)"
    )
    assert problem.value == "x" * 200 + "… (40,000 characters in all)"


def test_problem_values_and_messages_are_quoted_short():
    problem = Problem(row=2, column="brand", value="v" * 5000, message="m" * 5000)
    assert len(problem.value or "") < 250 and len(problem.message) < 650


@pytest.mark.parametrize(
    ("column", "value", "ok"),
    [
        ("price", "999999999999.99", True),
        ("price", "1" + "0" * 12, False),
        ("price", "9" * 5001, False),
        ("price", "1.1234567", False),
        ("chest_bust_in", "999999", True),
        ("chest_bust_in", "1000000", False),
    ],
)
def test_numbers_beyond_what_the_catalog_reads_back_are_problems(column, value, ok):
    from briskk_pipeline_tests.validation.test_validate import one_row

    result = validate_rows(one_row(**{column: value}))
    found = [(p.column, p.message) for p in result.problems]
    if ok:
        assert found == []
    else:
        assert found and found[0][0] == column
        assert found[0][1].startswith("is out of range: at most")


def test_no_stored_number_breaks_a_read():
    huge = json_number(Decimal("9" * 5001))  # beyond a float: the exact text
    assert huge == "9" * 5001 and json.loads(json.dumps(huge)) == huge
    assert json_number(Decimal("1" + "0" * 20)) == 1e20
    assert json_number(Decimal("1299.50")) == 1299.5
