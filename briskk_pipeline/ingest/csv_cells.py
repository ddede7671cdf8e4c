"""CSV cells read as Excel shows them: the marks Excel and the tools around it leave in text.

A CSV written by Excel holds what its cells *showed*, not what they held: an error cell is the
text `#N/A`, a size Excel turned into a date is `12-Oct`, a long number is `1.23457E+12`. Tools
that write CSV for Excel use Excel's own tricks: `="0012345"` (a formula whose text keeps the
zeros) and a leading apostrophe typed to mean "keep this as text". Each is read the way the
xlsx reader reads the same cell (`excel_cells.py`), so a brand hears the same thing whatever
format it saved in. The rules, per cell of a template column (text already trimmed):

1. **Error text** — exactly one of Excel's error values (`cell_errors.ERRORS`: `#N/A`, `#REF!`,
   `#VALUE!`, `#DIV/0!`, `#NAME?`, `#NUM!`, `#NULL!`, `#GETTING_DATA`, and Excel 365's
   `#SPILL!`, `#CALC!`, `#FIELD!`, `#BLOCKED!`, `#CONNECT!`, `#BUSY!`, `#UNKNOWN!`, `#PYTHON!`)
   or LibreOffice's `Err:NNN`, in any column: the problem xlsx error cells get; the cell
   becomes empty (the problem rejects its row).
2. **Formula text** — `="…"` (the whole cell): the text between the quotes (`""` is one `"`),
   which is what Excel shows for it. No warning: this is the value.
3. **Leading apostrophe** — in an identifier or number column, `'0012345` is read as
   `0012345` with a warning: Excel does not write the apostrophe it hides, so one in a CSV was
   typed to keep the zeros (Excel would show it). Text columns keep it (`'90s Classic Tee`).
4. **Dates** — in an identifier or number column (none holds a date), text as Excel displays a
   date: `d-mmm` / `dd-mmm` (`12-Oct`, `03-Feb`), `mmm-yy` (`Oct-12`), `d-mmm-yy`,
   `d-mmm-yyyy`, with the month as Excel writes it (`Jan`…`Dec`, first letter capital), or a
   full date `d/m/yyyy`, `m/d/yyyy`, `yyyy-mm-dd`, `d-m-yyyy`, `d.m.yyyy`: the problem the xlsx
   reader reports for a date cell, quoting the text.
5. **Scientific notation** — in an identifier column, a number as Excel's General format
   shows a long one (`1.23457E+12`, `8.90123E+11`: a mantissa, `E`, a signed exponent of two or
   more digits): a problem saying the digits are lost (Excel saved only what it showed).

Vectorised with Arrow's regex kernels on each column; Python runs only for the matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from briskk_pipeline.ingest.cell_errors import ERROR_TEXT_RE, error_message
from briskk_pipeline.template import BY_NAME, COLUMN_NAMES, Kind
from briskk_pipeline.validation.report import Problem

_FORMULA_TEXT_RE: Final = r'^="(?:[^"]|"")*"$'
_APOSTROPHE_RE: Final = r"^'."
_MONTH: Final = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DATE_RE: Final = (
    rf"^(?:\d{{1,2}}-{_MONTH}(?:-\d{{2}}|-\d{{4}})?|{_MONTH}-\d{{2}}"
    r"|\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}-\d{1,2}-\d{4}|\d{1,2}\.\d{1,2}\.\d{4})$"
)
_SCIENTIFIC_RE: Final = r"^[+-]?\d(?:\.\d+)?E[+-]\d{2,}$"

_IDENTIFIERS: Final = tuple(c for c in COLUMN_NAMES if BY_NAME[c].kind is Kind.IDENTIFIER)
_NUMBERS: Final = tuple(
    c for c in COLUMN_NAMES if BY_NAME[c].kind in (Kind.DECIMAL, Kind.MEASURE, Kind.INTEGER)
)


def date_message(shown: str, column: str) -> str:
    """The message of a cell Excel made a date of (the xlsx reader's words)."""
    return (
        f"Excel turned what was typed here into a date (the cell shows {shown}): format "
        f"the {column} column as Text and type the value again"
    )


@dataclass
class TextCells:
    """What reading a CSV's cells as Excel shows them found (see the module docstring)."""

    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _matches(
    cells: pa.Array, pattern: str, prefixes: tuple[str, ...] = ()
) -> npt.NDArray[np.bool_]:
    """Where `cells` fully match `pattern` (an anchored RE2 regex); when every match must
    start with one of `prefixes`, cells are first tested for those (a few ms for 100k cells,
    where a regex over long text costs ten times that), and the regex runs only if one does."""
    if prefixes and not any(pc.any(pc.starts_with(cells, p)).as_py() for p in prefixes):
        return np.zeros(len(cells), dtype=bool)
    found = pc.fill_null(pc.match_substring_regex(cells, pattern), False)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def read_as_excel(frame: pd.DataFrame) -> TextCells:
    """`frame` (a `RawSheet` frame: trimmed text or NA, indexed by Excel row) with rules 1-3
    applied, and the problems (rules 1, 4, 5) and warnings (rule 3) they found, by cell."""
    result = TextCells(frame)
    changed: dict[str, pd.Series] = {}
    for name in COLUMN_NAMES:
        column = frame[name]
        cells = pa.array(column.array)
        if cells.null_count == len(cells):
            continue
        errors = _matches(cells, ERROR_TEXT_RE, ("#", "Err:"))
        if errors.any():
            for row, shown in column[errors].items():
                result.problems.append(Problem(int(row), name, str(shown), error_message(shown)))
            column = column.mask(errors, pd.NA)
        # Text the brand marked as text (rules 2 and 3) is never a date or a mangled number.
        kept = _matches(cells, _FORMULA_TEXT_RE, ('="',))
        if kept.any():
            inner = column[kept].str.slice(2, -1).str.replace('""', '"', regex=False)
            column = column.mask(kept, inner.where(inner != "", pd.NA))
        if name in _IDENTIFIERS or name in _NUMBERS:
            marked = _matches(cells, _APOSTROPHE_RE, ("'",)) & ~kept
            if marked.any():
                column = _without_apostrophe(column, marked, name, result)
                kept = kept | marked
            cells = pa.array(column.array) if column is not frame[name] else cells
            dates = _matches(cells, _DATE_RE) & ~kept
            for row, shown in column[dates].items():
                result.problems.append(
                    Problem(int(row), name, str(shown), date_message(str(shown), name))
                )
        if name in _IDENTIFIERS:
            scientific = _matches(cells, _SCIENTIFIC_RE) & ~kept
            for row, shown in column[scientific].items():
                result.problems.append(
                    Problem(
                        int(row),
                        name,
                        str(shown),
                        f"Excel showed a long number in scientific notation ({shown}) and saved "
                        "only what it showed, so the rest of its digits are lost: in the "
                        f"original workbook format the {name} column as Text, type or paste "
                        "the full values again and save",
                    )
                )
        if column is not frame[name]:
            changed[name] = column
    if changed:
        result.frame = frame.assign(**changed)
    result.problems.sort(key=lambda p: (p.row or 0, COLUMN_NAMES.index(p.column or "")))
    return result


def _without_apostrophe(
    column: pd.Series, marked: npt.NDArray[np.bool_], name: str, result: TextCells
) -> pd.Series:
    result.warnings.extend(
        str(
            Problem(
                int(row),
                name,
                str(value),
                "the leading apostrophe (Excel's mark for 'keep as text') was removed: "
                f"read as '{str(value)[1:]}'",
            )
        )
        for row, value in column[marked].items()
    )
    return column.mask(marked, column[marked].str.slice(1))
