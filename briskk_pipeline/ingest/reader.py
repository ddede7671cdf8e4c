"""Reading an uploaded file (xlsx/xlsm/xls or CSV) into the template's columns, as text.

Everything is read as strings: a barcode typed as text keeps its leading zeros, and numeric
cells arrive in their shortest exact form ("123456789012", "17.5"), never through a float
column that pandas or a type-inferring reader would pick (PITFALLS: inference silently drops
values). Excel goes through fastexcel (Rust calamine, straight to Arrow: `excel.py`), CSV
through the csv module (`csv_file.py`); both end in `sheet.to_raw_sheet`. Every row keeps its
Excel row number (header = row 1) as the frame index, so problems found later can name the row
the brand sees.
"""

from __future__ import annotations

from pathlib import PurePath

from briskk_pipeline.ingest.csv_file import read_csv
from briskk_pipeline.ingest.excel import read_excel
from briskk_pipeline.ingest.sheet import HEADER_SEARCH_ROWS, ROW_INDEX_NAME, RawSheet
from briskk_pipeline.validation.report import FileRejected, file_problem

__all__ = ["HEADER_SEARCH_ROWS", "ROW_INDEX_NAME", "RawSheet", "read_upload"]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls


def read_upload(data: bytes, file_name: str, *, max_rows: int) -> RawSheet:
    """Read an upload, or raise `FileRejected` saying why the whole file cannot be used."""
    if not data:
        raise FileRejected([file_problem("the file is empty")])
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        sheet = read_excel(data)
    elif PurePath(file_name).suffix.lower() in (".csv", ".txt") or _looks_like_text(data):
        sheet = read_csv(data, file_name)
    else:
        raise FileRejected(
            [
                file_problem(
                    "the file is neither an Excel workbook (.xlsx, .xlsm, .xls) nor a CSV file"
                )
            ]
        )
    if sheet.row_count == 0:
        raise FileRejected([file_problem("the sheet has a header row but no product rows")])
    if sheet.row_count > max_rows:
        raise FileRejected(
            [
                file_problem(
                    f"the file has {sheet.row_count} rows; at most {max_rows} rows are accepted "
                    "per upload: split it into several files, keeping all SKUs of a product "
                    "in the same file"
                )
            ]
        )
    return sheet


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    return b"\x00" not in head
