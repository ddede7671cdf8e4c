"""Reading an uploaded file (xlsx/xlsm/xls or CSV) into the template's columns, as text.

Everything is read as strings: a barcode typed as text keeps its leading zeros, and numeric
cells arrive in their shortest exact form ("123456789012", "17.5"), never through a float
column that pandas or a type-inferring reader would pick (PITFALLS: inference silently drops
values). What the file is comes from its bytes (`sniff.py`). Excel goes through fastexcel
(Rust calamine, straight to Arrow: `excel.py`), CSV through the csv module (`csv_file.py`,
decoded by `text.py`); both end in `sheet.to_raw_sheet`. Every row keeps its Excel row number
(header = row 1) as the frame index, so problems found later can name the row the brand sees.
"""

from __future__ import annotations

from briskk_pipeline import template
from briskk_pipeline.ingest.csv_file import read_csv
from briskk_pipeline.ingest.excel import read_excel
from briskk_pipeline.ingest.sheet import HEADER_SEARCH_ROWS, ROW_INDEX_NAME, RawSheet
from briskk_pipeline.ingest.sniff import Kind, sniff
from briskk_pipeline.ingest.trailing import not_data_rows, not_data_warning
from briskk_pipeline.validation.report import FileRejected, file_problem

__all__ = ["HEADER_SEARCH_ROWS", "ROW_INDEX_NAME", "RawSheet", "read_upload"]


def read_upload(
    data: bytes, file_name: str, *, max_rows: int, rules: template.HeaderRules | None = None
) -> RawSheet:
    """Read an upload, or raise `FileRejected` saying why the whole file cannot be used.

    The format is judged from the bytes (`sniff`), never from the file name: a CSV renamed
    .xlsx is read as CSV, and an HTML page or a PDF renamed .xls or .csv is rejected with a
    message saying what it really is. Headers are matched with the tenant's `rules` (its
    brand profile, `profiles.model.Profile`). Rows below the last product that hold only
    dragged-down defaults are not data (`trailing.py`): removed, with a warning, before the
    row limit.
    """
    if not data:
        raise FileRejected([file_problem("the file is empty")])
    if sniff(data) is Kind.EXCEL:
        sheet = read_excel(data, rules)
    else:
        sheet = read_csv(data, file_name, rules)
    _drop_rows_that_are_not_data(sheet)
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


def _drop_rows_that_are_not_data(sheet: RawSheet) -> None:
    """Remove the rows below the last product that hold only defaults (`trailing.py`), their
    cells' problems with them, and say so in one warning."""
    reported = [(p.row, p.column) for p in sheet.problems]
    mask = not_data_rows(sheet.frame, reported)
    if not mask.any():
        return
    rows = [int(r) for r in sheet.frame.index[mask]]
    sheet.warnings.append(not_data_warning(sheet.frame, rows))
    sheet.frame = sheet.frame.loc[~mask]
    dropped = set(rows)
    sheet.problems = [p for p in sheet.problems if p.row not in dropped]
