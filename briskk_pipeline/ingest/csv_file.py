"""Reading a CSV (or tab-separated text) upload into template rows, header = row 1 as in Excel.

- Encoding: `ingest/text.py` (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252
  with a warning; an unreadable byte rejects the file, naming its row and column).
- Delimiter: comma, semicolon (Excel in European locales) or tab (Excel "Unicode Text"). The
  rule: parse the first `HEADER_SEARCH_ROWS` records with each of them and keep the one that
  makes a row match the template's header (the `HEADER_MARKERS` columns present); if several
  do, the one matching the most template columns, then in the order `,` `;` tab. A file where
  none does is rejected. Fields are otherwise never split on another character, so "1299,50"
  in a `;` file stays "1299,50" (cleaning numbers is validation's job).
- A first line `sep=;` (or `sep=,`, `sep=<tab>`) names the delimiter, as Excel reads it, and
  is not a row: Excel hides it, so the line below it is row 1.
- Cells are then read as Excel shows them (`csv_cells.py`): error text, `="0012345"`, a
  leading apostrophe, dates and scientific notation Excel wrote.
- Quoting as Excel writes it (RFC 4180: `"` quotes, `""` inside quotes). Rows are numbered by
  record, as Excel numbers them when it opens the file: a quoted field holding line breaks is
  still one row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from itertools import islice
from pathlib import PurePath

import pyarrow as pa
import pyarrow.csv as pa_csv

from briskk_pipeline import template
from briskk_pipeline.headers.report import find_partial_header
from briskk_pipeline.ingest.csv_cells import read_as_excel
from briskk_pipeline.ingest.sheet import HEADER_SEARCH_ROWS, RawSheet, find_header, to_raw_sheet
from briskk_pipeline.ingest.text import WINDOWS_1252, DecodedText, decode_text
from briskk_pipeline.profiles import proposals
from briskk_pipeline.validation.report import FileRejected, Problem, file_problem

DELIMITERS: tuple[str, ...] = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_HEAD_CHARS = 1 << 16  # text first parsed to find the header; grows until 10 records fit
_ARROW_BLOCK_BYTES = 16 << 20  # pyarrow's unit of work; one record may not exceed it
_SNIPPET = 30  # characters shown either side of a character a message points at
_SEP_LINE_RE = re.compile(r'"?sep=([^\r\n"])"?\1*(?:\r\n|\n|\r)', re.IGNORECASE)
# The csv module refuses a field over 131,072 characters by default, so a CSV with one 2 MB
# cell "had no header row" (issue 20 item 2): allow what pyarrow allows one record; the
# reader then cuts the cell at Excel's 32,767 with a problem naming it (sheet.py).
csv.field_size_limit(_ARROW_BLOCK_BYTES)


@dataclass(frozen=True)
class Layout:
    """How a CSV file is laid out: its delimiter and header row (0-based record index)."""

    delimiter: str
    header_index: int
    match: template.HeaderMatch
    header: list[str]


def read_csv(data: bytes, file_name: str, rules: template.HeaderRules | None = None) -> RawSheet:
    """Read CSV bytes into a `RawSheet` (tenant claim from the file name, as for a sheet name),
    headers matched with the tenant's `rules` (its brand profile).

    Raises `FileRejected` for an unreadable byte (with its row and column), a file without the
    template's header row in any of `DELIMITERS`, or malformed quoting.
    """
    decoded, delimiter = _without_sep_line(decode_text(data))
    delimiters = (delimiter,) if delimiter else DELIMITERS
    layout = find_layout(decoded.text, rules, delimiters)
    if decoded.bad_byte is not None:
        raise FileRejected([_bad_byte_problem(decoded, layout)])
    if layout is None:
        found = find_partial_layout(decoded.text, rules, delimiters)
        if found is not None:
            rejection = proposals.rejection(list(found.header), found.match)
            if rejection is not None:
                raise rejection
        raise FileRejected(
            [
                file_problem(
                    "the CSV file has no header row with the template's columns (looked for "
                    f"{', '.join(template.HEADER_MARKERS)} in its first {HEADER_SEARCH_ROWS} "
                    "rows, with columns separated by commas, semicolons or tabs)"
                )
            ]
        )
    sheet = to_raw_sheet(
        parse_table(decoded.text, layout),
        layout.header_index,
        layout.match,
        sheet_name=None,
        claim=PurePath(file_name).stem,
    )
    if decoded.encoding == WINDOWS_1252:
        sheet.warnings.insert(0, _windows_1252_warning(decoded.text, layout))
    cells = read_as_excel(sheet.frame)
    sheet.frame = cells.frame
    sheet.problems.extend(cells.problems)
    sheet.warnings.extend(cells.warnings)
    return sheet


def find_layout(
    text: str,
    rules: template.HeaderRules | None = None,
    delimiters: tuple[str, ...] = DELIMITERS,
) -> Layout | None:
    """The delimiter (one of `delimiters`) and header row by the rule in this module's
    docstring, headers matched with the tenant's `rules`, or None."""
    return _best_layout(text, partial(find_header, rules=rules), delimiters)


def _without_sep_line(decoded: DecodedText) -> tuple[DecodedText, str | None]:
    """The text without a first line `sep=<c>` and the delimiter `<c>` it names, if it has one.

    Excel reads such a line as the delimiter to split by and does not show it, so the row below
    it is row 1 (tools writing CSV for Excel add it; a cell `sep=;` in A1 saved by Excel comes
    out quoted or followed by empty fields, also accepted).
    """
    found = _SEP_LINE_RE.match(decoded.text)
    if found is None:
        return decoded, None
    cut = found.end()
    bad = decoded.bad_byte
    if bad is not None:
        bad = replace(bad, offset=bad.offset - cut) if bad.offset >= cut else None
    return replace(decoded, text=decoded.text[cut:], bad_byte=bad), found.group(1)


def find_partial_layout(
    text: str,
    rules: template.HeaderRules | None = None,
    delimiters: tuple[str, ...] = DELIMITERS,
) -> Layout | None:
    """Like `find_layout`, for a header row lacking some of the template's marker columns
    (`headers.report.find_partial_header`): its file is rejected, naming what is missing."""
    return _best_layout(text, partial(find_partial_header, rules=rules), delimiters)


def _best_layout(
    text: str,
    finder: Callable[[pa.Table], tuple[int, template.HeaderMatch] | None],
    delimiters: tuple[str, ...] = DELIMITERS,
) -> Layout | None:
    best: Layout | None = None
    for delimiter in delimiters:
        try:
            head = _head(text, delimiter)
        except csv.Error:  # e.g. a field past the size limit: not this delimiter
            continue
        found = finder(records_table(head))
        if found is None:
            continue
        index, match = found
        if best is None or len(match.positions) > len(best.match.positions):
            best = Layout(delimiter, index, match, head[index])
    return best


def parse_table(text: str, layout: Layout) -> pa.Table:
    """Every record of `text` as string columns `c0..cN`, record i in row i.

    pyarrow's CSV parser (C++, 5-10x faster than the csv module here) splits records and
    quotes exactly as the csv module does for the files Excel writes (measured: doubled
    quotes, quoted line breaks, CR, LF and CRLF line ends, stray quotes); it refuses records of
    unequal length, which the csv module pads instead. Whenever pyarrow refuses a file, or its
    header row differs from the one the csv module found, the csv module reads it.
    """
    width = max(len(layout.header), 1)
    names = [f"c{i}" for i in range(width)]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pa_csv.ReadOptions(column_names=names, block_size=_ARROW_BLOCK_BYTES),
            parse_options=pa_csv.ParseOptions(
                delimiter=layout.delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        table = None
    if table is not None and table.num_rows > layout.header_index:
        header = table.slice(layout.header_index, 1).to_pylist()[0]
        if list(header.values()) == layout.header:
            return table
    return records_table(_parse(text, layout.delimiter))


def records_table(records: list[list[str]]) -> pa.Table:
    """Records as an Arrow table of string columns `c0..cN`; short records padded with null."""
    width = max((len(r) for r in records), default=0)
    padding: list[str | None] = [None] * width
    padded = [r if len(r) == width else [*r, *padding[len(r) :]] for r in records]
    columns = list(zip(*padded, strict=True)) if padded else [() for _ in range(width)]
    return pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)})


def _head(text: str, delimiter: str) -> list[list[str]]:
    """The first `HEADER_SEARCH_ROWS` records, parsing only as much text as they need."""
    size = _HEAD_CHARS
    while True:
        # One record more than needed: it proves the ones before it ended inside `size`.
        records = list(islice(_reader(text[:size], delimiter), HEADER_SEARCH_ROWS + 1))
        if len(records) > HEADER_SEARCH_ROWS or size >= len(text):
            return records[:HEADER_SEARCH_ROWS]
        size *= 8


def _reader(text: str, delimiter: str) -> Iterator[list[str]]:
    # newline="": the csv module sees \r\n, \n and \r inside quoted fields as Excel wrote them.
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _parse(text: str, delimiter: str) -> list[list[str]]:
    try:
        return list(_reader(text, delimiter))
    except csv.Error as error:
        raise FileRejected([file_problem(f"the CSV file is malformed: {error}")]) from error


@dataclass(frozen=True)
class _Cell:
    row: int  # Excel row number (record index + 1)
    column: str  # template column name, the header as written, or the column letter
    snippet: str  # the cell's text around the character, at most 2 * _SNIPPET characters


def _cell_at(text: str, offset: int, layout: Layout | None) -> _Cell:
    """The cell holding character `offset` of `text`, counted in records as Excel counts rows."""
    delimiter = layout.delimiter if layout is not None else ","
    prefix = list(_reader(text[: offset + 1], delimiter))
    row, field = len(prefix), len(prefix[-1]) - 1
    at = len(prefix[-1][-1]) - 1
    record = next(islice(_reader(text, delimiter), row - 1, None))
    value = record[field]
    start, end = max(0, at - _SNIPPET), at + _SNIPPET
    snippet = ("…" if start else "") + value[start:end] + ("…" if end < len(value) else "")
    return _Cell(row, _column_label(field, row, layout), snippet)


def _column_label(field: int, row: int, layout: Layout | None) -> str:
    if layout is not None and row > layout.header_index + 1:
        for name, position in layout.match.positions.items():
            if position == field:
                return name
        if field < len(layout.header) and layout.header[field].strip():
            return layout.header[field].strip()
    return _column_letter(field)


def _column_letter(index: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA': the column as Excel labels it."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _bad_byte_problem(decoded: DecodedText, layout: Layout | None) -> Problem:
    bad = decoded.bad_byte
    assert bad is not None
    cell = _cell_at(decoded.text, bad.offset, layout)
    return Problem(
        row=cell.row,
        column=cell.column,
        value=cell.snippet,
        message=(
            f"the file cannot be read as text: byte 0x{bad.byte:02X} in this cell (shown as "
            f"'\ufffd') {bad.reason}; save the file from Excel as 'CSV UTF-8' and upload again"
        ),
    )


def _windows_1252_warning(text: str, layout: Layout) -> str:
    first = _NON_ASCII.search(text)
    assert first is not None  # a file that is not UTF-8 has a byte >= 0x80
    cell = _cell_at(text, first.start(), layout)
    return (
        f"the file is not UTF-8, so it was read as {WINDOWS_1252} (what Excel's plain 'CSV' "
        f"writes): check that accented letters and symbols read right, e.g. row {cell.row}, "
        f"column {cell.column}: '{cell.snippet}' (save as 'CSV UTF-8' to be sure)"
    )
