"""Text files the way Excel writes them, for the CSV reader's tests.

Excel's "Save As" text formats (measured behaviour, PITFALLS "Reading spreadsheets"): "CSV
(Comma delimited)" is Windows-1252 with CRLF line ends; "CSV UTF-8" adds a UTF-8 byte order
mark; "Unicode Text" is UTF-16 LE with a BOM, tab-separated; European locales separate with
`;`. Fields are quoted only when they hold the separator, a quote or a line break (quotes
doubled), and a cell shows what Excel displayed: TRUE/FALSE, `#N/A`, `12-Oct`, `1.23457E+12`.
A `sep=;` first line is what tools write for Excel to pick the separator.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline_tests.workbooks import REAL_HEADER, template_rows

SAVE_AS = {
    "csv": (",", "cp1252"),
    "csv-utf8": (",", "utf-8-sig"),
    "csv-semicolon": (";", "cp1252"),
    "unicode-text": ("\t", "utf-16"),  # Python's utf-16 writes a BOM in native (LE) order
}


def shown(value: Any) -> str:
    """A cell's text as Excel writes it to CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def excel_text(
    rows: Sequence[dict[str, Any]],
    *,
    save_as: str = "csv",
    columns: Sequence[str] | None = None,
    header: dict[str, str] | None = None,
    sep_line: bool = False,
    extra: Sequence[tuple[str, Sequence[Any]]] = (),
) -> bytes:
    """`rows` (template column -> value) as the bytes of an Excel text file.

    `columns` picks and orders the template columns; `header` renames their headers (default
    the real template's `product_id*` ...); `extra` adds columns (header, values) at the end,
    a header of "" making a column without a header.
    """
    delimiter, encoding = SAVE_AS[save_as]
    names = list(columns or COLUMN_NAMES)
    titles = {**REAL_HEADER, **(header or {})}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if sep_line:
        buffer.write(f"sep={delimiter}\r\n")
    writer.writerow([titles.get(n, n) for n in names] + [h for h, _ in extra])
    for i, row in enumerate(rows):
        writer.writerow([shown(row.get(n)) for n in names] + [shown(v[i]) for _, v in extra])
    return buffer.getvalue().encode(encoding)


DRAGGED = {"facility_id": "fac001", "facility_name": "Store 1", "is_disabled": False}


def excel_csv_of_a_brand() -> bytes:
    """What a brand's Excel in a European locale saves: Windows-1252, `;`, CRLF, a `sep=;`
    line; an error value, a size made a date, a barcode kept with `="…"`, and defaults dragged
    down to row 1001 below 12 SKU rows (rows 2-13)."""
    rows: list[dict[str, Any]] = template_rows(12)
    for row in rows[:4]:
        row["product_name"] = "Kurta en coton brodé"
    rows[0]["barcode"] = '="0012345678905"'  # row 2
    rows[5]["offer_price"] = "#N/A"  # row 7, product P000001
    rows[9]["size"] = "12-Oct"  # row 11, product P000002
    tail = [{c: DRAGGED.get(c) for c in COLUMN_NAMES} for _ in range(988)]  # rows 14-1001
    return excel_text(rows + tail, save_as="csv-semicolon", sep_line=True)
