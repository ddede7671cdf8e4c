"""What every reader produces: `RawSheet`, the template rows of one upload as text.

Shared by the Excel and CSV readers: finding the header row among the first rows, and turning
the rows below it into the template's 45 columns of trimmed text (empty -> NA) indexed by the
Excel row number (header = row 1), so problems found later can name the row the brand sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from briskk_pipeline import template
from briskk_pipeline.headers import report as headers
from briskk_pipeline.profiles import proposals
from briskk_pipeline.validation.report import Problem

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
    # The template columns the header row has: a column it lacks changes no stored value
    # (SPEC §2 "Upsert": nothing changes by omission).
    columns: tuple[str, ...] = template.COLUMN_NAMES
    # How each header was read (`header_rules`): `{letter, header, column, rule}`, rule
    # `template` | `alias` | `ignored` | `unknown` (profiles/; the workbook's Columns sheet)
    header_rules: list[dict[str, Any]] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return len(self.frame)


def find_header(
    table: pa.Table, rules: template.HeaderRules | None = None
) -> tuple[int, template.HeaderMatch] | None:
    """The first row of `table` that is a template header row, read with the tenant's header
    `rules` (aliases, ignored headers: `template.match_headers`), and its match."""
    for index, row in enumerate(table.to_pylist()):
        match = template.match_headers(list(row.values()), rules)
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
    offset: int = 0,
) -> RawSheet:
    """The body rows below `header_index` as a `RawSheet`, or `FileRejected` for a header row
    that cannot be loaded (`profiles.proposals.rejection`: a `HeaderRejected` saying what
    the unknown headers look like). `offset` is the sheet column of the table's first column
    (calamine starts at the first used one), for column letters."""
    header_cells = list(table.slice(header_index, 1).to_pylist()[0].values())
    rejection = proposals.rejection(header_cells, match, offset=offset)
    if rejection is not None:
        raise rejection
    body = table.slice(header_index + 1)
    n = body.num_rows
    columns: dict[str, pa.Array] = {}
    problems: list[Problem] = []
    cell_notes: list[Problem] = []
    for name in template.COLUMN_NAMES:
        position = match.positions.get(name)
        if position is None or position >= body.num_columns:
            columns[name] = pa.nulls(n, pa.string())
            continue
        column = pc.utf8_trim_whitespace(body.column(position).combine_chunks().cast(pa.string()))
        column = _without_control_characters(column, name, header_index, cell_notes)
        column = _cut_overlong(column, name, header_index, problems)
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
    warnings = headers.unknown_header_warnings(header_cells, match)
    warnings.extend(headers.headerless_warnings(table, header_index, offset=offset))
    warnings.extend(str(note) for note in cell_notes)
    if claim is None and sheet_name is not None:
        claim = template.tenant_claim(sheet_name)
    elif claim is not None:
        claim = template.tenant_claim(claim)
    return RawSheet(
        frame=frame,
        sheet_name=sheet_name,
        tenant_claim=claim,
        warnings=warnings,
        problems=problems,
        columns=tuple(n for n in template.COLUMN_NAMES if n in match.positions),
        header_rules=header_rules(header_cells, match, offset=offset),
    )


def header_rules(
    cells: list[object], match: template.HeaderMatch, *, offset: int = 0
) -> list[dict[str, Any]]:
    """How each non-blank header of `cells` was read, in sheet order: `letter` (Excel's
    column), `header` (as written), `column` (the template column, None when not read) and
    `rule`: `template` (its own name), `alias` (the tenant's profile), `ignored` (the
    profile's ignore list) or `unknown` (not read; a warning says so)."""
    by_position = {p: c for c, p in match.positions.items()}
    ignored = set(match.ignored)
    rules = []
    for position, cell in enumerate(cells):
        if cell is None or not str(cell).strip():
            continue
        header = str(cell).strip()
        column = by_position.get(position)
        if column is not None:
            rule = "alias" if match.aliased.get(column) == header else "template"
        elif position in match.claimed and header in ignored:
            rule = "ignored"
        else:
            rule = "unknown"
        rules.append(
            {
                "letter": headers.letter(position, offset),
                "header": header,
                "column": column,
                "rule": rule,
            }
        )
    return rules


# C0 control characters other than tab, line feed and carriage return: NUL arrives from CSVs
# and from xlsx's `_x0000_` escape; PostgreSQL refuses NUL in text.
_CONTROL_RE: Final = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
EXCEL_CELL_LIMIT: Final = 32_767  # characters a cell can hold (Excel's specifications)


def _without_control_characters(
    column: pa.StringArray, name: str, header_index: int, notes: list[Problem]
) -> pa.StringArray:
    """The column with control characters removed; a warning for each cell that had some.

    The test runs on the column's byte buffer with numpy (no per-cell work) and finds none in
    almost every file; only then are the cells with one found and cleaned.
    """
    data = column.buffers()[2]
    if data is None:
        return column
    raw = np.frombuffer(data, dtype=np.uint8)
    control = (raw < 32) & (raw != 9) & (raw != 10) & (raw != 13) | (raw == 127)
    if not control.any():
        return column
    hits = pc.match_substring_regex(column, _CONTROL_RE)
    for index in np.flatnonzero(hits.to_numpy(zero_copy_only=False) == True):  # noqa: E712
        value = column[int(index)].as_py()
        notes.append(
            Problem(
                row=header_index + 2 + int(index),
                column=name,
                value=value.encode("unicode_escape").decode("ascii"),
                message="contained control characters (such as NUL) that cannot be stored; "
                "they were removed",
            )
        )
    return pc.replace_substring_regex(column, _CONTROL_RE, "")


def _cut_overlong(
    column: pa.StringArray, name: str, header_index: int, problems: list[Problem]
) -> pa.StringArray:
    """The column with every cell longer than Excel's 32,767 characters cut to that length,
    and a problem for each (a damaged or hostile file: Excel itself cannot hold such a cell).

    The cut happens in the reader, so no later step (filling product fields down a product's
    rows, comparing them, reports) can multiply a 2 MB cell by the rows of its product; the
    problem rejects the cell's product, quoting the value's start and its full length.
    """
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[: len(column) + 1]
    if len(offsets) < 2 or int(np.diff(offsets).max()) <= EXCEL_CELL_LIMIT:
        return column  # no cell has that many bytes, so none has that many characters
    lengths = pc.utf8_length(column).to_numpy(zero_copy_only=False)
    for index in np.flatnonzero(np.nan_to_num(lengths.astype(float)) > EXCEL_CELL_LIMIT):
        problems.append(
            Problem(
                row=header_index + 2 + int(index),
                column=name,
                value=column[int(index)].as_py(),  # quoted short by Problem
                message=f"is {int(lengths[index]):,} characters long; a cell holds at most "
                f"{EXCEL_CELL_LIMIT:,} (Excel's limit)",
            )
        )
    return pc.utf8_slice_codeunits(column, 0, EXCEL_CELL_LIMIT)


def _any_valid(table: pa.Table) -> pa.Array:
    mask = pa.array([False] * table.num_rows, pa.bool_())
    for column in table.columns:
        mask = pc.or_(mask, pc.is_valid(column))
    return mask
