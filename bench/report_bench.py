"""Time the annotated workbook of an 800-row upload with 100 bad cells (Brand feedback issue).

Prints the best of 5 for `build_report` and, beside it, openpyxl's own load + save of the same
file (the floor for a report that keeps the brand's workbook). Run by hand:

    .venv/bin/python bench/report_bench.py
"""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path

import openpyxl

from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.reports.findings import Finding
from briskk_pipeline.reports.workbook import build_report
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

SHEET = "BrandA_Briskk_SKU_Template"


def main() -> None:
    rows = template_rows(800, realistic=True)
    for i in range(0, 800, 8):
        rows[i].update(price=-1, offer_price=None)
    with tempfile.TemporaryDirectory() as folder:
        path = write_xlsx(Path(folder) / "big.xlsx", rows, sheet_name=SHEET)
        data = path.read_bytes()
    result = validate_rows(read_upload(data, "big.xlsx", max_rows=800).frame)
    findings = [Finding(p.row, p.column, p.value, p.message, "error") for p in result.problems]

    def report() -> None:
        build_report(data, "big.xlsx", findings=findings, summary="s", sheet_name=SHEET)

    def round_trip() -> None:
        openpyxl.load_workbook(io.BytesIO(data)).save(io.BytesIO())

    for label, run in (("build_report", report), ("openpyxl load+save", round_trip)):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        print(f"{label:20s} best {min(times):.3f} s  median {sorted(times)[2]:.3f} s")


if __name__ == "__main__":
    main()
