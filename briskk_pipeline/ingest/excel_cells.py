"""Each Excel cell read as the brand sees it, or reported: merged ranges, error cells, formulas
that were never calculated, dates Excel made of typed text, hidden rows and columns.

fastexcel reads every cell as text (`dtypes="string"`), which is fast and exact for text,
numbers and booleans but loses what a cell *is*: an error cell (`#N/A`) becomes empty, a date
becomes `2026-10-12 00:00:00`, a formula without a saved value becomes empty, and only the
top-left cell of a merged range holds its value. This module puts back what the brand sees
(the Fidelity rules, README "Upload rules"):

- a merged range's value applies to every cell of the range;
- an error cell is a problem with the error as its value (`#N/A`);
- a formula with no saved value is a problem asking to recalculate and save;
- a date or time in any template column (none of them holds dates) is a problem that quotes
  the date as Excel displays it (`12-Oct`) and says to format the column as Text;
- hidden rows and template columns are loaded, with a warning naming them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from briskk_pipeline import template
from briskk_pipeline.ingest.cell_errors import error_message
from briskk_pipeline.ingest.excel_dates import render
from briskk_pipeline.ingest.structure import Sheet, SheetStructure, column_letters
from briskk_pipeline.validation.report import Problem

# How fastexcel renders a date/time cell read as a string (xlsx/xls: with a time, ods: without).
DATE_TEXT_RE: Final = r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d+)?)?$"

# calamine's error kinds (`CellErrorType`) -> what Excel shows, and what it means in plain words.
EXCEL_ERRORS: Final[dict[str, tuple[str, str]]] = {
    "NA": ("#N/A", "a lookup formula found no match"),
    "Value": ("#VALUE!", "a formula used the wrong kind of value"),
    "Ref": ("#REF!", "a formula points to a cell that was deleted"),
    "Div0": ("#DIV/0!", "a formula divides by zero"),
    "Name": ("#NAME?", "a formula uses a name Excel does not know"),
    "Num": ("#NUM!", "a formula gives an impossible number"),
    "Null": ("#NULL!", "a formula refers to ranges that do not meet"),
    "GettingData": ("#GETTING_DATA", "the cell was still loading data"),
}
_ERROR_KIND_RE: Final = re.compile(r"Error\((\w+)\)")
UNCALCULATED_MESSAGE: Final = (
    "this cell is a formula that was never calculated: open the file in Excel or LibreOffice "
    "and save it again"
)


@dataclass
class CellReport:
    """What reading the cells found: problems per cell and warnings for the summary."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def fill_merged(
    table: pa.Table, merged: Iterable[tuple[int, int, int, int]], offset: int
) -> pa.Table:
    """Give every cell of each merged range the value of the range's top-left cell.

    `table` rows are sheet rows (row 0 = Excel row 1); its column 0 is sheet column `offset`
    (calamine starts at the first used column). Same-column fills are one `take` per column.
    """
    n = table.num_rows
    spans: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for r1, c1, r2, c2 in merged:
        if r1 >= n:
            continue
        for sheet_column in range(c1, c2 + 1):
            column = sheet_column - offset
            if 0 <= column < table.num_columns and (r2 > r1 or column != c1 - offset):
                spans[column].append((r1, min(r2, n - 1), c1 - offset))
    for column, ranges in spans.items():
        values = table.column(column).combine_chunks()
        source = np.arange(n)
        crossing = []
        for r1, r2, source_column in ranges:
            if source_column == column:
                source[r1 + 1 : r2 + 1] = r1
            else:
                crossing.append((r1, r2, source_column))
        values = values.take(pa.array(source))
        if crossing:
            filled = values.to_pylist()
            for r1, r2, source_column in crossing:
                top_left = table.column(source_column)[r1].as_py() if source_column >= 0 else None
                filled[r1 : r2 + 1] = [top_left] * (r2 - r1 + 1)
            values = pa.array(filled, pa.string())
        table = table.set_column(column, table.column_names[column], values)
    return table


def date_candidates(
    table: pa.Table, positions: dict[str, int], first_row: int, offset: int
) -> dict[tuple[int, int], str]:
    """Cells of template columns below the header whose text is fastexcel's date rendering.

    Keys are sheet positions (row, column); values the rendered text. Vectorised: a regex per
    column over Arrow, Python only for the (rare) matches.
    """
    found: dict[tuple[int, int], str] = {}
    for position in positions.values():
        if position >= table.num_columns:
            continue
        body = table.column(position).slice(first_row)
        matches = pc.match_substring_regex(body, DATE_TEXT_RE)
        if not pc.any(matches).as_py():
            continue
        hits = np.flatnonzero(matches.to_numpy(zero_copy_only=False) == True)  # noqa: E712 (nulls)
        for index in hits:
            found[(first_row + int(index), position + offset)] = body[int(index)].as_py()
    return found


def report_cells(
    *,
    sheet: Sheet,
    structure: SheetStructure,
    table: pa.Table,
    errors: Iterable[tuple[int, int, str]],
    positions: dict[str, int],
    header_index: int,
    offset: int,
) -> CellReport:
    """Problems for error cells, uncalculated formulas and date cells of template columns.

    `errors` are fastexcel's `CellError`s as (table row, table column, detail); `positions` maps
    template column names to table columns; rows above or at `header_index` are not data.
    """
    report = CellReport()
    name_of = {position: name for name, position in positions.items()}
    found: dict[tuple[int, int], Problem] = {}

    def add(row: int, column: int, value: str, message: str) -> None:
        name = name_of.get(column)
        if row > header_index and name is not None and (row, column) not in found:
            found[(row, column)] = Problem(row=row + 1, column=name, value=value, message=message)

    for row, column, detail in errors:
        kind = _ERROR_KIND_RE.search(detail)
        shown, meaning = EXCEL_ERRORS.get(kind.group(1) if kind else "", (detail, "an error"))
        add(
            row,
            column,
            shown,
            f"the cell shows the Excel error {shown} ({meaning}) instead of a value: "
            "fix the formula or type the value",
        )
    for (row, sheet_column), formula in structure.uncalculated.items():
        add(row, sheet_column - offset, formula, UNCALCULATED_MESSAGE)
    for (row, sheet_column), shown in structure.errors.items():  # ods error cells
        add(row, sheet_column - offset, shown, error_message(shown))

    candidates = (
        date_candidates(table, positions, header_index + 1, offset)
        if structure.may_have_dates
        else {}
    )
    if candidates:
        sheet.resolve_dates(candidates, structure)
    for (row, sheet_column), text in candidates.items():
        if (row, sheet_column) in structure.not_dates:
            continue
        shown = structure.date_display.get((row, sheet_column)) or render(
            datetime.fromisoformat(text), structure.date_format.get((row, sheet_column))
        )
        column = sheet_column - offset
        add(
            row,
            column,
            shown,
            f"Excel turned what was typed here into a date (the cell shows {shown}): format "
            f"the {name_of.get(column)} column as Text and type the value again",
        )
    report.problems = sorted(found.values(), key=lambda p: (p.row or 0, _order(p.column)))
    report.warnings = _hidden_columns_warnings(structure, positions, offset)
    return report


def hidden_rows_warning(structure: SheetStructure, excel_rows: Iterable[int]) -> str | None:
    """A warning naming the loaded data rows (Excel numbers) that are hidden in the sheet."""
    hidden = [r + 1 for r in structure.hidden_among(r - 1 for r in excel_rows)]
    if not hidden:
        return None
    one = len(hidden) == 1
    return (
        f"{_plural(len(hidden), 'row')} {_spans(hidden)} {'is' if one else 'are'} hidden in the "
        f"sheet but {'was' if one else 'were'} loaded like every other row: if you hid "
        f"{'it' if one else 'them'} to remove {'that SKU' if one else 'those SKUs'}, delete "
        f"the {_plural(len(hidden), 'row')} or set is_disabled to TRUE"
    )


def _hidden_columns_warnings(
    structure: SheetStructure, positions: dict[str, int], offset: int
) -> list[str]:
    hidden = [
        f"{name} ({column_letters(position + offset)})"
        for name, position in positions.items()
        if position + offset in structure.hidden_columns
    ]
    if not hidden:
        return []
    one = len(hidden) == 1
    return [
        f"{_plural(len(hidden), 'column')} {', '.join(hidden)} {'is' if one else 'are'} hidden "
        f"in the sheet but {'was' if one else 'were'} loaded like every other column"
    ]


def merged_across_warnings(
    merged: Iterable[tuple[int, int, int, int]],
    positions: dict[str, int],
    header_index: int,
    offset: int,
) -> list[str]:
    """Warnings for merged ranges in data rows that span several template columns."""
    name_of = {position + offset: name for name, position in positions.items()}
    warnings = []
    for r1, c1, r2, c2 in merged:
        names = [name_of[c] for c in range(c1, c2 + 1) if c in name_of]
        if r2 > header_index and len(names) > 1:
            cells = f"{column_letters(c1)}{r1 + 1}:{column_letters(c2)}{r2 + 1}"
            warnings.append(
                f"cells {cells} are merged across the columns {', '.join(names)}: the merged "
                "value was read into each of them"
            )
    return warnings


def _order(column: str | None) -> int:
    return template.COLUMN_NAMES.index(column) if column in template.COLUMN_NAMES else -1


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


def _spans(numbers: list[int]) -> str:
    """`[3, 4, 5, 9]` -> `'3-5, 9'`."""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts)
