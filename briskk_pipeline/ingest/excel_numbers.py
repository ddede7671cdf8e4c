"""Number cells of template columns put back as the brand sees them (`number_formats.py`).

fastexcel gives a number cell as its shortest exact text (`12345678905`) without its number
format. The structure scan (`structure.py`) already found the number cells whose format is
neither General, Text nor a date, and their codes; here those of identifier and number columns
are replaced by what the cell shows (`0012345678905`), or become problems. Number cells in
General format need a look only when their text says Excel cannot have kept what was typed
(16 digits or more, a code with a decimal part, a long number of 6 significant digits): those
few are looked up in the sheet (is the cell a number?) and read the same way. A text cell of an
identifier column that holds Excel's scientific display (`8.90123E+12`) is a problem too.

Vectorised where the cells are many: columns are searched with Arrow regexes; Python runs only
on the cells found (formatted or candidate cells of the watched columns).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from briskk_pipeline import template
from briskk_pipeline.ingest.number_formats import FormatCode, Reading, read_cell, read_shown
from briskk_pipeline.ingest.structure import Cell, Sheet, SheetStructure
from briskk_pipeline.validation.report import Problem

_WATCHED: Final = frozenset(
    {template.Kind.IDENTIFIER, template.Kind.DECIMAL, template.Kind.MEASURE, template.Kind.INTEGER}
)
# fastexcel's text of a number cell that Excel cannot show as typed (see module docstring).
_LONG_NUMBER: Final = r"^-?[0-9.]{17,}$|^-?[0-9]{16,}$"
_CODE_DECIMAL: Final = r"^-?[0-9]+\.[0-9]+$"
_SIX_DIGITS_THEN_ZEROS: Final = r"^[1-9][0-9]{0,5}0+$"
_LONG: Final = r"^[0-9]{12,}$"
# Excel's General display of a long number, kept as text (a CSV round trip, a paste).
_SCIENTIFIC_TEXT: Final = r"(?i)^-?[0-9](\.[0-9]+)?E\+?[0-9]+$"


def read_number_cells(
    *,
    sheet: Sheet,
    structure: SheetStructure,
    table: pa.Table,
    positions: dict[str, int],
    header_index: int,
    offset: int,
) -> tuple[pa.Table, list[Problem]]:
    """`table` with the number cells of template columns as Excel shows them, and the problems.

    `positions` maps template column names to table columns (sheet column - `offset`); rows at
    or above `header_index` are not data. Problem rows are Excel row numbers.
    """
    watched = {
        position: name
        for name, position in positions.items()
        if template.BY_NAME[name].kind in _WATCHED and position < table.num_columns
    }
    if not watched:
        return table, []
    n = table.num_rows
    cells: dict[int, dict[int, tuple[str | None, tuple[str, str] | None]]] = defaultdict(dict)
    for (row, sheet_column), code in structure.number_formats.items():
        column = sheet_column - offset
        if column in watched and header_index < row < n:
            cells[column][row] = (code, None)
    for (row, sheet_column), display in structure.number_display.items():
        column = sheet_column - offset
        if column in watched and header_index < row < n:
            cells[column][row] = (None, display)
    problems: list[Problem] = []
    candidates: list[Cell] = []
    for column, name in watched.items():
        body = table.column(column).slice(header_index + 1)
        for row in _rows_matching(body, _candidate_rules(name), header_index + 1):
            if row not in cells[column]:
                candidates.append((row, column + offset))
        if template.BY_NAME[name].kind is template.Kind.IDENTIFIER:
            for row in _rows_matching(body, [(_SCIENTIFIC_TEXT,)], header_index + 1):
                text = table.column(column)[row].as_py()
                problems.append(_scientific_text_problem(row, name, text))
    if candidates:
        for (row, sheet_column), code in sheet.numeric_formats(candidates).items():
            cells[sheet_column - offset][row] = (code, None)

    for column, found in cells.items():
        if not found:
            continue
        name = watched[column]
        values = table.column(column)
        rows: list[int] = []
        texts: list[str | None] = []
        for row, (cell_code, cell_display) in sorted(found.items()):
            text = values[row].as_py()
            reading = _reading(text, cell_code, cell_display, name)
            if reading is None:
                continue
            if reading.problem is not None:
                problems.append(
                    Problem(
                        row=row + 1,
                        column=name,
                        value=reading.shown or None,
                        message=reading.problem,
                    )
                )
            new = reading.text if reading.problem is None else reading.shown
            if new != text:
                rows.append(row)
                texts.append(new)
        if rows:
            table = _replace(table, column, rows, texts)
    return table, sorted(problems, key=lambda p: (p.row or 0, _order(p.column)))


def _reading(
    text: str | None, code: str | None, display: tuple[str, str] | None, name: str
) -> Reading | None:
    """The cell's reading, or None when its text is not a number (nothing to do)."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if display is None:
        return read_cell(value, code, name)
    shown, kind = display
    fmt = FormatCode(
        code="",
        general=False,
        percent=kind == "percentage",
        zeros=0,
        decimals=None,
        fraction="/" in shown,
    )
    return read_shown(value, shown, fmt, name)


def _candidate_rules(name: str) -> list[tuple[str, ...]]:
    """The texts of a General number cell that need a look, for column `name`: each rule is
    patterns that must all match."""
    if template.BY_NAME[name].kind is not template.Kind.IDENTIFIER:
        return [(_LONG_NUMBER,)]
    rules = [(_LONG_NUMBER,), (_SIX_DIGITS_THEN_ZEROS, _LONG)]
    if name != "size":
        rules.append((_CODE_DECIMAL,))
    return rules


def _rows_matching(
    body: pa.ChunkedArray, rules: list[tuple[str, ...]], first_row: int
) -> list[int]:
    """Sheet rows of `body` (which starts at `first_row`) whose text matches any rule."""
    hits = np.zeros(len(body), dtype=bool)
    for rule in rules:
        matches = pc.match_substring_regex(body, rule[0])
        for pattern in rule[1:]:
            matches = pc.and_(matches, pc.match_substring_regex(body, pattern))
        if pc.any(matches).as_py():
            hits |= matches.to_numpy(zero_copy_only=False) == True  # noqa: E712 (nulls)
    return [first_row + int(i) for i in np.flatnonzero(hits)]


def _scientific_text_problem(row: int, name: str, text: str) -> Problem:
    return Problem(
        row=row + 1,
        column=name,
        value=text,
        message=f"the cell holds the text {text}: this is how Excel shows a long number in "
        "scientific notation, and only those digits were kept (the file went through a copy "
        f"or a CSV saved from Excel); format the {name} column as Text and type the code again",
    )


def _replace(table: pa.Table, column: int, rows: list[int], texts: list[str | None]) -> pa.Table:
    values = table.column(column).combine_chunks().cast(pa.string())
    mask = np.zeros(len(values), dtype=bool)
    mask[rows] = True
    replaced = pc.replace_with_mask(values, pa.array(mask), pa.array(texts, pa.string()))
    return table.set_column(column, table.column_names[column], replaced)


def _order(column: str | None) -> int:
    return template.COLUMN_NAMES.index(column) if column in template.COLUMN_NAMES else -1
