"""A header row in words a brand reads: why a file's header is rejected, and what was not read.

- `find_partial_header`: the header row of a sheet that lacks some of the template's marker
  columns (so `sheet.find_header` did not take it), found by the template's columns it does
  have, so the brand hears "required column 'price' is missing" rather than "no header row".
- `header_rejection`: the problems of a header row that cannot be loaded: each duplicated
  column, each missing required column (with the unrecognised header that looks most like it,
  `suggest`), and the headers that were not recognised, each with its column letter.
- `unknown_header_warnings` / `headerless_warnings`: what a loaded file's header left unread,
  a header the template does not have (with what it looks like) or data under no header.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils import get_column_letter

from briskk_pipeline import template
from briskk_pipeline.headers.suggest import Suggestion, normalized, suggest, synonym_forms
from briskk_pipeline.validation.report import Problem, file_problem

# A row with fewer template columns (or their common names) than this is not a header row:
# title rows and instructions hold one or two such words at most.
MIN_HEADER_CELLS: Final = 3


def letter(position: int, offset: int = 0) -> str:
    """Table column `position` (0-based) of a sheet whose table starts at sheet column
    `offset`, as Excel labels it: `0` -> `'A'`."""
    return get_column_letter(position + offset + 1)


def _template_like(cells: list[object], rules: template.HeaderRules | None = None) -> int:
    """How many of `cells` are a template column, a common name of one or an alias in the
    tenant's `rules` (each counted once)."""
    known = {n for names in synonym_forms().values() for n in names}
    return sum(
        1
        for c in cells
        if c is not None
        and (
            template.normalize_header(c) in template.BY_NAME
            or normalized(c) in known
            or (rules is not None and rules.alias_for(c) is not None)
        )
    )


def find_partial_header(
    table: pa.Table, rules: template.HeaderRules | None = None
) -> tuple[int, template.HeaderMatch] | None:
    """The row of `table` (its first rows) with the most template columns or common names of
    them, when that is at least `MIN_HEADER_CELLS`; the first such row on a tie. None when no
    row looks like a header. Matched with the tenant's `rules` (`template.match_headers`)."""
    best: tuple[int, int] | None = None
    for index, row in enumerate(table.to_pylist()):
        count = _template_like(list(row.values()), rules)
        if count >= MIN_HEADER_CELLS and (best is None or count > best[1]):
            best = (index, count)
    if best is None:
        return None
    row = table.slice(best[0], 1).to_pylist()[0]
    return best[0], template.match_headers(list(row.values()), rules)


def unknown_headers(cells: list[object], match: template.HeaderMatch) -> list[tuple[int, str]]:
    """(position, header as written) of each non-blank header that is no template column and
    that the tenant's profile neither aliases nor ignores (`match.claimed`)."""
    return [
        (position, str(cell).strip())
        for position, cell in enumerate(cells)
        if cell is not None
        and position not in match.claimed
        and template.normalize_header(cell)
        and template.normalize_header(cell) not in template.BY_NAME
    ]


def _suggestions(cells: list[object], match: template.HeaderMatch) -> dict[str, Suggestion]:
    """Missing template column -> the unrecognised header that looks most like it."""
    missing = [c for c in template.COLUMN_NAMES if c not in match.positions]
    found = suggest([h for _, h in unknown_headers(cells, match)], missing)
    return {s.column: s for s in found}


def header_rejection(
    cells: list[object], match: template.HeaderMatch, *, offset: int = 0
) -> list[Problem]:
    """The file problems of header row `cells` (as written) whose `match` cannot be loaded.

    One problem per duplicated column, one per missing required column (naming the header
    that looks like it, if any), then one listing the headers not recognised. `offset` is the
    sheet column of `cells[0]` (for column letters). Empty when the header can be loaded.
    """
    problems = [
        file_problem(f"column '{name}' appears more than once in the header row", name)
        for name in match.duplicated
    ]
    if not match.missing_required and not problems:
        return []
    unknown = unknown_headers(cells, match)
    where = {header: position for position, header in unknown}
    suggestions = _suggestions(cells, match)
    for name in match.missing_required:
        message = f"required column '{name}' is missing from the header row"
        hint = suggestions.get(name)
        if hint is not None:
            message += (
                f"; the header '{hint.header}' (column {letter(where[hint.header], offset)}) "
                f"looks like it ({hint.reason}): if it is, rename that header to {name}"
            )
        problems.append(file_problem(message, name))
    if unknown:
        shown = []
        optional = {s.header: s for s in suggestions.values() if s.column not in match.positions}
        for position, header in unknown:
            text = f"'{header}' (column {letter(position, offset)})"
            hint = optional.get(header)
            if hint is not None and hint.column not in match.missing_required:
                text += f", which looks like {hint.column}"
            shown.append(text)
        problems.append(
            file_problem(
                "the header row has columns the template does not have: "
                + "; ".join(shown)
                + " (the template's column names are listed in its 'Description of each "
                "column' sheet)"
            )
        )
    return problems


def unknown_header_warnings(cells: list[object], match: template.HeaderMatch) -> list[str]:
    """A warning per header of a loaded file that is no template column (it was not read),
    naming the missing template column it looks like, if one."""
    suggestions = {s.header: s for s in _suggestions(cells, match).values()}
    warnings = []
    for _, header in unknown_headers(cells, match):
        text = f"column '{header}' is not part of the template and was ignored"
        hint = suggestions.get(header)
        if hint is not None:
            text += (
                f"; it looks like {hint.column} ({hint.reason}): if it is, rename the header "
                f"to {hint.column} and upload again"
            )
        warnings.append(text)
    return warnings


def headerless_warnings(table: pa.Table, header_index: int, *, offset: int = 0) -> list[str]:
    """A warning per column with no header whose cells below the header hold data.

    `table` is the sheet (row i = Excel row i + 1, column j = sheet column `offset` + j). Such
    a column is not read (no template column is named for it), so the brand is told which
    column, how many cells and which rows, never left to lose them silently.
    """
    if header_index >= table.num_rows:
        return []
    header = table.slice(header_index, 1).to_pylist()[0]
    body = table.slice(header_index + 1)
    warnings = []
    for position, cell in enumerate(header.values()):
        if cell is not None and str(cell).strip():
            continue
        column = pc.utf8_trim_whitespace(body.column(position).combine_chunks().cast(pa.string()))
        filled = pc.fill_null(pc.not_equal(column, ""), False).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(filled)
        if rows.size == 0:
            continue
        first, last = header_index + 2 + int(rows[0]), header_index + 2 + int(rows[-1])
        span = f"row {first}" if first == last else f"rows {first}-{last}"
        cells = "cell" if rows.size == 1 else "cells"
        warnings.append(
            f"column {letter(position, offset)} has no header but holds data in "
            f"{rows.size:,} {cells} ({span}): it was not read; give it the template's column "
            "name in the header row if it should be loaded"
        )
    return warnings
