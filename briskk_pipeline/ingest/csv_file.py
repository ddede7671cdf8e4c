"""Reading a CSV upload into template rows (header = row 1, as in Excel)."""

from __future__ import annotations

import csv
import io
from pathlib import PurePath

import pyarrow as pa

from briskk_pipeline import template
from briskk_pipeline.ingest.sheet import HEADER_SEARCH_ROWS, RawSheet, find_header, to_raw_sheet
from briskk_pipeline.validation.report import FileRejected, file_problem


def read_csv(data: bytes, file_name: str) -> RawSheet:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRejected(
            [
                file_problem(
                    f"the CSV file is not UTF-8 text (byte {error.start} cannot be read); "
                    "save it as 'CSV UTF-8' and upload again"
                )
            ]
        ) from error
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise FileRejected([file_problem(f"the CSV file is malformed: {error}")]) from error
    found = find_header(records_table(records[:HEADER_SEARCH_ROWS]))
    if found is None:
        raise FileRejected(
            [
                file_problem(
                    "the CSV file has no header row with the template's columns "
                    f"(looked for {', '.join(template.HEADER_MARKERS)})"
                )
            ]
        )
    header_index, match = found
    stem = PurePath(file_name).stem
    return to_raw_sheet(records_table(records), header_index, match, sheet_name=None, claim=stem)


def records_table(records: list[list[str]]) -> pa.Table:
    width = max((len(r) for r in records), default=0)
    columns = [[r[i] if i < len(r) else None for r in records] for i in range(width)]
    return pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)})
