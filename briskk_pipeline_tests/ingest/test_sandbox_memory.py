"""The reading sandbox limits what its child really uses, not what it reserves (Fidelity issue
item 9, Hardening issue item 2).

The child targets below run in the sandbox's forkserver child exactly like the readers do; they
are module-level so the child can import them.
"""

from __future__ import annotations

import datetime
import mmap
import pickle
from pathlib import Path

from openpyxl.styles import PatternFill

from briskk_pipeline.ingest.sandbox import (
    BACKSTOP_FACTOR,
    MB,
    ReadLimits,
    _run_child,
    read_sandboxed,
)
from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline_tests.ingest.test_sandbox import read_guarded
from briskk_pipeline_tests.workbooks import openpyxl_bytes, template_rows


def dated_workbook() -> bytes:
    """Template rows with Excel dates in template columns and 500 formatted empty rows below
    them (a fill and a number format on every template column), as brands' copies of the
    template look after a season of use."""

    def spoil(sheet) -> None:
        for name in ("size", "hsn_code"):
            cell = sheet.cell(row=3, column=COLUMN_NAMES.index(name) + 1)
            cell.value = datetime.datetime(2026, 10, 12)
            cell.number_format = "d-mmm"
        fill = PatternFill("solid", fgColor="FFFF99")
        for row in range(10, 510):
            for column in range(1, len(COLUMN_NAMES) + 1):
                cell = sheet.cell(row=row, column=column)
                cell.fill = fill
                cell.number_format = "@"

    return openpyxl_bytes(template_rows(8), spoil)


def test_a_workbook_with_dates_and_formatted_empty_rows_loads_with_the_default_limit():
    sheet = read_sandboxed(dated_workbook(), "x.xlsx", max_rows=800, limits=ReadLimits())
    assert sheet.row_count == 8  # the 500 formatted rows hold no data
    assert [(p.row, p.column, p.value) for p in sheet.problems] == [
        (3, "hsn_code", "12-Oct"),
        (3, "size", "12-Oct"),
    ]


def _reserve_untouched(gigabytes: int, out) -> None:
    """Map `gigabytes` of private writable memory and touch one page of it (pyarrow's kind of
    reservation), then answer."""
    area = mmap.mmap(-1, gigabytes * 1024 * MB, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    area[0] = 1
    out.send(("names", pickle.dumps(["reserved"])))
    out.close()


def _use(megabytes: int, out) -> None:
    """Write to `megabytes` of memory in 16 MB steps (every page resident), then answer."""
    held = [b"x" * (16 * MB) for _ in range(megabytes // 16)]
    out.send(("names", pickle.dumps([str(len(held))])))
    out.close()


def test_memory_only_reserved_does_not_count():
    limits = ReadLimits(memory_mb=256, seconds=60)
    assert BACKSTOP_FACTOR * limits.memory_mb > 1024  # the reservation is under the backstop
    kind, payload = _run_child(_reserve_untouched, (1,), limits)
    assert (kind, pickle.loads(payload)) == ("names", ["reserved"])


def test_memory_really_used_past_the_limit_kills_the_child():
    limits = ReadLimits(memory_mb=256, seconds=120)
    assert _run_child(_use, (192,), limits)[0] == "names"  # under the limit: answered
    assert _run_child(_use, (1536,), limits) == ("memory", b"")


def test_the_dated_workbook_loads_under_the_tests_address_space_guard(tmp_path: Path):
    # The hostile tests run under a 3 GB address-space cap; the ordinary file still loads.
    assert read_guarded(tmp_path, dated_workbook(), memory_mb=1024) == {"rows": 8}


def test_a_cell_longer_than_excel_allows_is_cut_in_the_reader():
    from briskk_pipeline.ingest.reader import read_upload
    from briskk_pipeline_tests.workbooks import csv_bytes

    rows = template_rows(4)
    rows[2]["product_description"] = "é" * 40_000
    sheet = read_upload(csv_bytes(rows), "BrandA_Briskk_SKU_Template.csv", max_rows=800)
    assert sheet.frame.at[4, "product_description"] == "é" * 32_767
    assert [(p.row, p.column, p.message) for p in sheet.problems] == [
        (
            4,
            "product_description",
            "is 40,000 characters long; a cell holds at most 32,767 (Excel's limit)",
        )
    ]
