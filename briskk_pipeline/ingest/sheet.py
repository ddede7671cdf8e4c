"""What every reader produces: `RawSheet`, the template rows of one upload as text.

Shared by the Excel and CSV readers: finding the header row among the first rows, and turning
the rows below it into the template's 45 columns of trimmed text (empty -> NA) indexed by the
Excel row number (header = row 1), so problems found later can name the row the brand sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from briskk_pipeline import template
from briskk_pipeline.validation.report import FileRejected, Problem, file_problem

HEADER_SEARCH_ROWS = 10  # a header row may sit below a few title or blank rows
ROW_INDEX_NAME = "row"


@dataclass
class RawSheet:
    """The template rows of one upload: strings or NA, indexed by Excel row number.

    `problems` are cells the reader could already tell are wrong (e.g. an Excel error cell):
    validation reports them first, for their row and column. `warnings` are file-level notes
    for the upload's summary (ignored columns, hidden rows, ...).
    """

    frame: pd.DataFrame
    sheet_name: str | None
    tenant_claim: str | None
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return len(self.frame)


def find_header(table: pa.Table) -> tuple[int, template.HeaderMatch] | None:
    for index, row in enumerate(table.to_pylist()):
        match = template.match_headers(list(row.values()))
        if match.is_template:
            return index, match
    return None


def to_raw_sheet(
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
