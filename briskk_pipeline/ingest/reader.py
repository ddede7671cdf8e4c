"""Reading an uploaded file (xlsx/xlsm/xls or CSV) into the template's columns, as text.

Everything is read as strings: a barcode typed as text keeps its leading zeros, and numeric
cells arrive in their shortest exact form ("123456789012", "17.5"), never through a float
column that pandas or a type-inferring reader would pick (PITFALLS: inference silently drops
values). Excel goes through fastexcel (Rust calamine, straight to Arrow); formula cells give
their cached value. Every row keeps its Excel row number (header = row 1) as the frame index,
so problems found later can name the row the brand sees.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import PurePath

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from briskk_pipeline import template
from briskk_pipeline.validation.report import FileRejected, file_problem

HEADER_SEARCH_ROWS = 10  # a header row may sit below a few title or blank rows
ROW_INDEX_NAME = "row"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls


@dataclass
class RawSheet:
    """The template rows of one upload: strings or NA, indexed by Excel row number."""

    frame: pd.DataFrame
    sheet_name: str | None
    tenant_claim: str | None
    warnings: list[str] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return len(self.frame)


def read_upload(data: bytes, file_name: str, *, max_rows: int) -> RawSheet:
    """Read an upload, or raise `FileRejected` saying why the whole file cannot be used."""
    if not data:
        raise FileRejected([file_problem("the file is empty")])
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        sheet = _read_excel(data)
    elif PurePath(file_name).suffix.lower() in (".csv", ".txt") or _looks_like_text(data):
        sheet = _read_csv(data, file_name)
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


# ---------------------------------------------------------------------------------- Excel


def _read_excel(data: bytes) -> RawSheet:
    try:
        reader = fastexcel.read_excel(data)
    except Exception as error:  # fastexcel raises its own hierarchy for every kind of damage
        raise FileRejected(
            [file_problem(f"the file could not be opened as an Excel workbook ({error})")]
        ) from error
    names = list(reader.sheet_names)
    named = [n for n in names if template.tenant_claim(n) is not None]
    candidates = named or names
    best: tuple[str, pa.Table, int, template.HeaderMatch] | None = None
    for name in candidates:
        # Load the whole sheet once: calamine parses every row of a sheet even when asked
        # for a few (measured: 10 rows of a 100k-row sheet cost as much as all of them).
        table = _load(reader, name)
        found = _find_header(table.slice(0, HEADER_SEARCH_ROWS))
        if found is not None:
            best = (name, table, *found)
            break
    if best is None:
        if named:
            raise FileRejected(
                [
                    file_problem(
                        f"sheet '{named[0]}' has no header row with the template's columns "
                        f"(looked for {', '.join(template.HEADER_MARKERS)} in its first "
                        f"{HEADER_SEARCH_ROWS} rows)"
                    )
                ]
            )
        raise FileRejected(
            [
                file_problem(
                    "no sheet looks like the Briskk SKU template: expected a sheet named "
                    "'<Tenant>_Briskk_SKU_Template' or a header row with "
                    f"{', '.join(template.HEADER_MARKERS)} (sheets found: {', '.join(names)})"
                )
            ]
        )
    name, table, header_index, match = best
    return _to_raw_sheet(table, header_index, match, sheet_name=name)


def _load(reader: fastexcel.ExcelReader, sheet: str) -> pa.Table:
    # header_row=None + skip_rows=0: row i of the table is Excel row i + 1, blanks included.
    loaded = reader.load_sheet(
        sheet,
        header_row=None,
        skip_rows=0,
        dtypes="string",
        schema_sample_rows=None,
    )
    return pa.Table.from_batches([loaded.to_arrow()])


def _find_header(table: pa.Table) -> tuple[int, template.HeaderMatch] | None:
    for index, row in enumerate(table.to_pylist()):
        match = template.match_headers(list(row.values()))
        if match.is_template:
            return index, match
    return None


# ------------------------------------------------------------------------------------ CSV


def _read_csv(data: bytes, file_name: str) -> RawSheet:
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
    found = _find_header(_records_table(records[:HEADER_SEARCH_ROWS]))
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
    return _to_raw_sheet(_records_table(records), header_index, match, sheet_name=None, claim=stem)


def _records_table(records: list[list[str]]) -> pa.Table:
    width = max((len(r) for r in records), default=0)
    columns = [[r[i] if i < len(r) else None for r in records] for i in range(width)]
    return pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)})


# --------------------------------------------------------------------------------- shared


def _to_raw_sheet(
    table: pa.Table,
    header_index: int,
    match: template.HeaderMatch,
    *,
    sheet_name: str | None,
    claim: str | None = None,
) -> RawSheet:
    if match.duplicated:
        raise FileRejected(
            [
                file_problem(f"column '{name}' appears more than once in the header row", name)
                for name in match.duplicated
            ]
        )
    if match.missing_required:
        raise FileRejected(
            [
                file_problem(f"required column '{name}' is missing from the header row", name)
                for name in match.missing_required
            ]
        )
    body = table.slice(header_index + 1)
    n = body.num_rows
    columns: dict[str, pa.Array] = {}
    for name in template.COLUMN_NAMES:
        position = match.positions.get(name)
        if position is None or position >= body.num_columns:
            columns[name] = pa.nulls(n, pa.string())
            continue
        column = pc.utf8_trim_whitespace(body.column(position).combine_chunks().cast(pa.string()))
        columns[name] = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
    cleaned = pa.table(columns)
    # Excel row numbers: header is row header_index + 1, the first body row one below it.
    rows = pa.array(np.arange(header_index + 2, header_index + 2 + n, dtype=np.int64))
    non_empty = _any_valid(cleaned)
    if not pc.all(non_empty).as_py():  # filtering 45 string columns costs; most files need none
        cleaned = cleaned.filter(non_empty)
        rows = rows.filter(non_empty)
    frame = cleaned.to_pandas()
    frame.index = pd.Index(rows.to_numpy(), name=ROW_INDEX_NAME)
    warnings = [
        f"column '{name}' is not part of the template and was ignored" for name in match.unknown
    ]
    if claim is None and sheet_name is not None:
        claim = template.tenant_claim(sheet_name)
    elif claim is not None:
        claim = template.tenant_claim(claim)
    return RawSheet(frame=frame, sheet_name=sheet_name, tenant_claim=claim, warnings=warnings)


def _any_valid(table: pa.Table) -> pa.Array:
    mask = pa.array([False] * table.num_rows, pa.bool_())
    for column in table.columns:
        mask = pc.or_(mask, pc.is_valid(column))
    return mask
