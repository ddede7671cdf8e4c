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

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from briskk_pipeline import template
from briskk_pipeline.ingest.number_formats import (
    FormatCode,
    Reading,
    parse,
    read_cell,
    read_shown,
)
from briskk_pipeline.ingest.structure import Cell, Sheet, SheetStructure
from briskk_pipeline.validation.report import Problem

_WATCHED: Final = frozenset(
    {template.Kind.IDENTIFIER, template.Kind.DECIMAL, template.Kind.MEASURE, template.Kind.INTEGER}
)
# fastexcel's text of a number cell that Excel cannot show as typed (see module docstring).
# fastexcel's text of a General number cell that Excel cannot show as typed: 16 digits or
# more, a code with a decimal part, or a long number that is 1 to 6 digits and then zeros
# (what `1.23457E+12` leaves); and Excel's scientific display kept as text.
_LONG_NUMBER: Final = r"^-?[0-9.]{17,}$|^-?[0-9]{16,}$"
_CODE_DECIMAL: Final = r"^-?[0-9]+\.[0-9]+$"
_SIX_DIGITS_THEN_ZEROS: Final = "|".join(rf"^[1-9][0-9]{{{k}}}0{{{11 - k},}}$" for k in range(6))
_SCIENTIFIC_TEXT: Final = r"(?i)^-?[0-9](\.[0-9]+)?E\+?[0-9]+$"
_SCIENTIFIC_TEXT_RE: Final = re.compile(_SCIENTIFIC_TEXT)
_LONG_NUMBER_RE: Final = re.compile(_LONG_NUMBER)


@dataclass
class _Column:
    """One watched column being rewritten: its values and the cells still to decide."""

    name: str
    values: pa.StringArray
    identifier: bool
    covered: np.ndarray  # rows whose format is known (formatted or ods-displayed)
    slow: dict[int, tuple[str | None, tuple[str, str] | None]]  # row -> (code, ods display)
    changed: bool = False


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
    n = table.num_rows
    columns = {
        position: _Column(
            name=name,
            values=_strings(table.column(position)),
            identifier=template.BY_NAME[name].kind is template.Kind.IDENTIFIER,
            covered=np.zeros(n, dtype=bool),
            slow={},
        )
        for name, position in positions.items()
        if template.BY_NAME[name].kind in _WATCHED and position < table.num_columns
    }
    if not columns:
        return table, []
    for (sheet_column, code), found in structure.number_formats.items():
        column = columns.get(sheet_column - offset)
        if column is not None:
            rows = np.asarray(found, dtype=np.int64)
            _read_formatted(column, rows[(rows > header_index) & (rows < n)], code)
    for (row, sheet_column), display in structure.number_display.items():
        column = columns.get(sheet_column - offset)
        if column is not None and header_index < row < n:
            column.covered[row] = True
            column.slow[row] = (None, display)

    problems: list[Problem] = []
    candidates: list[Cell] = []
    for position, row, text in _candidates(columns, header_index + 1):
        column = columns[position]
        if column.covered[row]:
            continue
        if column.identifier and _SCIENTIFIC_TEXT_RE.fullmatch(text):
            problems.append(_scientific_text_problem(row, column.name, text))
        else:
            candidates.append((row, position + offset))
    if candidates:
        for (row, sheet_column), code in sheet.numeric_formats(candidates).items():
            columns[sheet_column - offset].slow[row] = (code, None)

    for position, column in columns.items():
        problems.extend(_read_slow(column))
        if column.changed:
            table = table.set_column(position, table.column_names[position], column.values)
    return table, sorted(problems, key=lambda p: (p.row or 0, _order(p.column)))


def _read_formatted(column: _Column, rows: np.ndarray, code: str) -> None:
    """Rewrite `rows` of `column` (number cells formatted `code`): the common shapes in one
    vectorised step, every other cell later, one by one (`number_formats.read_cell`).

    The shapes: a zero-padding code (`0000000000000`) on a whole number of at most 15 digits in
    an identifier column is the number padded; a plain decimal code (`0.00`, `#,##0`) on a
    number with no more decimals than it shows leaves a number column's text as it is. The
    tests check both against `read_cell`.
    """
    if len(rows) == 0:
        return
    column.covered[rows] = True
    texts = column.values.take(pa.array(rows))
    fmt = parse(code)
    if column.identifier and fmt.zeros:
        quick = pc.match_substring_regex(texts, r"^[0-9]{1,15}$")
        new = pc.utf8_lpad(texts, fmt.zeros, "0")
    elif not column.identifier and fmt.decimals is not None:
        shape = rf"^-?[0-9]+(\.[0-9]{{1,{fmt.decimals}}})?$" if fmt.decimals else r"^-?[0-9]+$"
        quick = pc.and_(
            pc.match_substring_regex(texts, shape), pc.less_equal(pc.utf8_length(texts), 16)
        )
        new = texts
    else:
        quick = pa.array(np.zeros(len(rows), dtype=bool))
        new = texts
    quick_mask = _mask(quick)
    changed = quick_mask & _mask(pc.not_equal(new, texts))
    if changed.any():
        mask = np.zeros(len(column.values), dtype=bool)
        mask[rows[changed]] = True
        column.values = pc.replace_with_mask(
            column.values, pa.array(mask), new.filter(pa.array(changed))
        )
        column.changed = True
    for row in rows[~quick_mask]:
        column.slow[int(row)] = (code, None)


def _candidates(columns: dict[int, _Column], first_row: int) -> list[tuple[int, int, str]]:
    """(table column, row, text) of the General number cells that need a look (the patterns
    above). Each column is first judged from its Arrow buffers with numpy (no cell 12 bytes
    long or more, no `.`/`E` byte: nothing to look at), so most columns cost no regex at all;
    Python sees only the hits."""
    patterns = {
        True: "|".join((_LONG_NUMBER, _SIX_DIGITS_THEN_ZEROS, _SCIENTIFIC_TEXT, _CODE_DECIMAL)),
        False: "|".join((_LONG_NUMBER, _SIX_DIGITS_THEN_ZEROS, _SCIENTIFIC_TEXT)),
    }
    found: list[tuple[int, int, str]] = []
    for position, column in columns.items():
        values = column.values
        if len(values) <= first_row or values.null_count == len(values):
            continue
        offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)
        offsets = offsets[values.offset + first_row : values.offset + len(values) + 1]
        lengths = np.diff(offsets)
        body = values.slice(first_row)
        if not column.identifier:
            rows = np.flatnonzero(lengths >= 17)  # a number of 16 digits or more
            texts = body.take(pa.array(rows)).to_pylist() if len(rows) else []
            hits = [
                (r, t) for r, t in zip(rows, texts, strict=True) if re.fullmatch(_LONG_NUMBER, t)
            ]
        else:
            data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
            marks = (data == 46) | (data == 69) | (data == 101)  # ".", "E", "e"
            if not marks.any() and not (lengths >= 12).any():
                continue
            matches = pc.match_substring_regex(body, patterns[column.name != "size"])
            rows = _true_rows(matches)
            hits = list(zip(rows, body.take(pa.array(rows)).to_pylist(), strict=True))
        found.extend((position, first_row + int(row), text) for row, text in hits)
    return found


def _true_rows(flags: pa.BooleanArray) -> np.ndarray:
    """The positions where a boolean Arrow array is true (null counts as false), as numpy.

    Through `filter` of an index array, never a boolean `to_numpy` or `indices_nonzero`:
    measured (pyarrow 26), those two grow the process's data segment by 130 MB to 1 GB of
    reservations, which the reading sandbox's `RLIMIT_DATA` counts (PITFALLS, "Measured in
    the third round"); `filter` and an int64 `to_numpy` grow nothing.
    """
    positions = pa.array(np.arange(len(flags), dtype=np.int64))
    return np.asarray(positions.filter(pc.fill_null(flags, False)).to_numpy())


def _mask(flags: pa.BooleanArray) -> np.ndarray:
    """A boolean Arrow array as a numpy mask (null as false), by way of `_true_rows`."""
    mask = np.zeros(len(flags), dtype=bool)
    mask[_true_rows(flags)] = True
    return mask


def _strings(values: pa.ChunkedArray) -> pa.StringArray:
    combined = values.combine_chunks()
    return combined if combined.type == pa.string() else combined.cast(pa.string())


def _read_slow(column: _Column) -> list[Problem]:
    """Each cell left in `column.slow` read by `number_formats` (Python, cell by cell)."""
    if not column.slow:
        return []
    problems: list[Problem] = []
    rows: list[int] = []
    texts: list[str | None] = []
    order = sorted(column.slow)
    old = column.values.take(pa.array(order, pa.int64())).to_pylist()
    for row, text in zip(order, old, strict=True):
        code, display = column.slow[row]
        reading = _reading(text, code, display, column.name)
        if reading is None:
            continue
        if reading.problem is not None:
            problems.append(
                Problem(
                    row=row + 1,
                    column=column.name,
                    value=reading.shown or None,
                    message=reading.problem,
                )
            )
        new = reading.text if reading.problem is None else reading.shown
        if new != text:
            rows.append(row)
            texts.append(new)
    if rows:
        mask = np.zeros(len(column.values), dtype=bool)
        mask[rows] = True
        column.values = pc.replace_with_mask(
            column.values, pa.array(mask), pa.array(texts, pa.string())
        )
        column.changed = True
    return problems


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


def _scientific_text_problem(row: int, name: str, text: str) -> Problem:
    return Problem(
        row=row + 1,
        column=name,
        value=text,
        message=f"the cell holds the text {text}: this is how Excel shows a long number in "
        "scientific notation, and only those digits were kept (the file went through a copy "
        f"or a CSV saved from Excel); format the {name} column as Text and type the code again",
    )


def _order(column: str | None) -> int:
    return template.COLUMN_NAMES.index(column) if column in template.COLUMN_NAMES else -1
