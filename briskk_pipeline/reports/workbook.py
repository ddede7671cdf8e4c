"""The annotated workbook: the brand's own file back with every problem marked.

- xlsx/xlsm: the brand's workbook opened with openpyxl (not read-only, so their sheets,
  column order, styles and values stay as they were), saved as .xlsx (macros are dropped).
- CSV, .xls, .ods, or an xlsx openpyxl cannot open: a fresh workbook with the same rows and
  cells, every value written as the text the brand sent.
- A file that cannot be read at all: the Problems sheet alone.

In the data sheet each bad cell is filled (red: error, yellow: warning, blue: a note of what
the load changed) and carries a comment with the message; every other cell of a row with an
error gets a light fill, and every row of a rejected product that has no error of its own a
lighter one, with "rejected because of row N" in a comment on its first cell. The Problems
sheet comes first; a dry run's Changes sheet comes last. Cells are located by matching the
data sheet's header row again (`template.match_headers`), so marks land on the brand's own
columns whatever their order; rows are the Excel rows the problems name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import PurePath
from typing import Any, Final

import fastexcel
import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from briskk_pipeline import template
from briskk_pipeline.readiness.sheet import write_readiness
from briskk_pipeline.reports.columns_sheet import COLUMNS_SHEET, needs_columns_sheet, write_columns
from briskk_pipeline.reports.findings import Finding
from briskk_pipeline.reports.sheets import (
    CHANGES_SHEET,
    PROBLEMS_SHEET,
    set_inert,
    write_changes,
    write_problems,
)
from briskk_pipeline.reports.styles import StyleCache
from briskk_pipeline.safe_text import for_workbook

CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUTHOR: Final = "Briskk"
HEADER_SEARCH_ROWS: Final = 10  # as the reader (`ingest/sheet.py`)
_ZIP_MAGIC, _OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CELL_FILL = {
    "error": PatternFill("solid", fgColor="FFC7CE"),
    "warning": PatternFill("solid", fgColor="FFEB9C"),
    "note": PatternFill("solid", fgColor="DDEBF7"),
}
_WORST = ("error", "warning", "note")
ROW_FILL: Final = "FDE9E7"  # the other cells of a row with an error
PRODUCT_FILL: Final = "FEF4F3"  # the rows of a rejected product without an error of their own
_ROW_FILL = PatternFill("solid", fgColor=ROW_FILL)
_PRODUCT_FILL = PatternFill("solid", fgColor=PRODUCT_FILL)


def report_key(upload_id: str) -> str:
    """Where an upload's report is kept in the object store, beside the archive."""
    return f"reports/{upload_id}.xlsx"


def build_report(
    data: bytes,
    file_name: str,
    *,
    findings: Sequence[Finding],
    summary: str,
    sheet_name: str | None = None,
    changes: Sequence[Mapping[str, Any]] | None = None,
    changes_summary: str = "",
    copy_sheets: bool = True,
    rejected_with: Mapping[int, int | None] | None = None,
    readiness: Iterable[Mapping[str, Any]] | None = None,
    rules: template.HeaderRules | None = None,
    header_rules: Sequence[Mapping[str, Any]] = (),
    profile_version: int = 0,
) -> bytes:
    """The annotated workbook as .xlsx bytes.

    `data`/`file_name`: the archived original. `sheet_name`: the data sheet the reader used
    (None: found again by the reader's rule). `summary`: the Problems sheet's first line.
    `changes` (dry runs): the Changes sheet's rows, see `catalog/changes.collect_changes`.
    `copy_sheets=False` (a file far over the row limit, where openpyxl would spend a minute
    copying it): the Problems and Changes sheets alone, without the brand's sheets.
    `rejected_with`: Excel row -> the row whose error rejected its product (None: not named),
    for rows rejected with their product (`ValidatedRows.rejected_with`).
    `readiness`: the upload's verdicts (`readiness.store.upload_verdicts`, or its stream
    `iter_upload_verdicts`, read once) for the Readiness sheet, before a Changes sheet.
    for rows rejected with their product (`ValidatedRows.rejected_with`). `rules`: the
    tenant's brand profile the reader matched headers with (so aliased columns are found and
    marked); `header_rules` (`RawSheet.header_rules`) read with profile `profile_version`: a
    "Columns" sheet when the profile read a header (`columns_sheet.py`).
    """
    workbook = _open(data, file_name) if copy_sheets else _empty_workbook()
    for title in (PROBLEMS_SHEET, CHANGES_SHEET, COLUMNS_SHEET):  # a re-uploaded report's
        if title in workbook.sheetnames and title != sheet_name:
            del workbook[title]
    sheet = _data_sheet(workbook, sheet_name, rules)
    cells = _mark(sheet, findings, rejected_with or {}, rules) if sheet is not None else {}
    problems = write_problems(
        workbook,
        findings,
        summary,
        data_sheet=sheet.title if sheet is not None else None,
        cells=cells,
    )
    write_readiness(workbook, readiness or [])  # marketplace readiness (readiness/sheet.py)
    if changes is not None:
        write_changes(workbook, changes, changes_summary)
    if needs_columns_sheet(header_rules):
        write_columns(workbook, header_rules, profile_version)
    for other in workbook.worksheets:
        other.sheet_view.tabSelected = other is problems
    workbook.active = 0
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------- opening


def _empty_workbook() -> Workbook:
    workbook = Workbook()
    del workbook[workbook.sheetnames[0]]
    return workbook


def _open(data: bytes, file_name: str) -> Workbook:
    if data.startswith(_ZIP_MAGIC):
        try:
            return openpyxl.load_workbook(io.BytesIO(data))
        except Exception:  # openpyxl raises many kinds on damaged or non-xlsx zips (ods)
            pass  # fall through to rebuilding the cells from what calamine reads
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        rebuilt = _from_excel(data)
        if rebuilt is not None:
            return rebuilt
        return _empty_workbook()
    return _from_csv(data, file_name)


def _from_excel(data: bytes) -> Workbook | None:
    """Every sheet of an .xls/.ods (or a damaged xlsx) as text cells; None if unreadable."""
    try:
        reader = fastexcel.read_excel(data)
        sheets = [
            (name, reader.load_sheet(name, header_row=None, dtypes="string").to_arrow())
            for name in reader.sheet_names
        ]
    except Exception:  # fastexcel raises its own hierarchy for every kind of damage
        return None
    workbook = Workbook()
    del workbook[workbook.sheetnames[0]]
    for name, batch in sheets:
        sheet = workbook.create_sheet(name[:31])
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for c, values in enumerate(columns, start=1):
            for r, value in enumerate(values, start=1):
                if value not in (None, ""):
                    set_inert(sheet.cell(r, c), value)
    return workbook


def _csv_title(file_name: str) -> str:
    stem = PurePath(file_name).stem
    if stem and len(stem) <= 31 and not any(ch in stem for ch in "[]:*?/\\'"):
        return stem  # keeps the tenant claim of a `<Tenant>_Briskk_SKU_Template.csv`
    return "Data"


def _from_csv(data: bytes, file_name: str) -> Workbook:
    text = data.decode("utf-8-sig", errors="replace")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new Workbook has one sheet
    sheet.title = _csv_title(file_name)
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        records = [[line] for line in text.splitlines()]
    for r, record in enumerate(records, start=1):
        for c, value in enumerate(record, start=1):
            if value != "":
                set_inert(sheet.cell(r, c), value)
    return workbook


# ----------------------------------------------------------------------------- marking


def _data_sheet(
    workbook: Workbook, sheet_name: str | None, rules: template.HeaderRules | None = None
) -> Worksheet | None:
    """The reader's sheet: the one it used, else its rule (named sheet, else a header)."""
    sheets = [s for s in workbook.worksheets if isinstance(s, Worksheet)]
    if sheet_name is not None:
        for sheet in sheets:
            if sheet.title == sheet_name:
                return sheet
    named = [s for s in sheets if template.tenant_claim(s.title) is not None]
    for sheet in named or sheets:
        if _header(sheet, rules) is not None:
            return sheet
    return named[0] if named else None


def _header(
    sheet: Worksheet, rules: template.HeaderRules | None = None
) -> tuple[int, dict[str, int]] | None:
    """(Excel row of the header, template column -> 1-based Excel column), if found."""
    rows = sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True)
    for r, values in enumerate(rows, start=1):
        match = template.match_headers(list(values), rules)
        if match.is_template:
            return r, {name: p + 1 for name, p in match.positions.items()}
    return None


def _mark(
    sheet: Worksheet,
    findings: Sequence[Finding],
    rejected_with: Mapping[int, int | None],
    rules: template.HeaderRules | None = None,
) -> dict[tuple[int, str | None], str]:
    """Fill and comment each finding's cell; light-fill the rest of rows with errors and the
    rows rejected with their product.

    Returns (row, column) -> coordinate of each marked cell, for the Problems sheet's links.
    """
    found = _header(sheet, rules)
    positions = found[1] if found is not None else {}
    width = max(positions.values(), default=sheet.max_column)
    notes: dict[tuple[int, int], list[Finding]] = {}
    bad_rows: set[int] = set()
    for finding in findings:
        if finding.row is None:
            continue
        if finding.severity == "error":
            bad_rows.add(finding.row)
        col = positions.get(finding.column or "")
        if col is not None:
            notes.setdefault((finding.row, col), []).append(finding)
    tints = {row: _PRODUCT_FILL for row in rejected_with if row not in bad_rows}
    tints.update({row: _ROW_FILL for row in bad_rows})
    styles = StyleCache()  # the brand's cells keep their own styles, with our fill
    for row, fill in tints.items():
        for col in range(1, width + 1):
            if (row, col) not in notes:
                cell = sheet.cell(row, col)
                if not isinstance(cell, MergedCell):
                    styles.restyle(cell, fill.fgColor.rgb, partial(_fill, fill=fill))
    ours: set[str] = set()  # cells commented by this report (a re-upload has older ones)
    for row, because in rejected_with.items():
        if row in bad_rows:
            continue
        text = (
            f"rejected because of row {because} (another row of this product)"
            if because is not None
            else "rejected with its product (see the Problems sheet)"
        )
        _comment(_anchor(sheet, row, positions.get("product_id", 1)), text, ours)
    marked: dict[tuple[int, str | None], str] = {}
    for (row, col), here in notes.items():
        cell = _anchor(sheet, row, col)
        worst = min((f.severity for f in here), key=_WORST.index)
        styles.restyle(cell, worst, partial(_fill, fill=_CELL_FILL[worst]))
        _comment(cell, "\n".join(f"{f.severity}: {f.message}" for f in here), ours)
        for finding in here:
            marked[(row, finding.column)] = cell.coordinate
    return marked


def _fill(cell: Any, fill: PatternFill) -> None:
    cell.fill = fill


def _comment(cell: Any, text: str, ours: set[str]) -> None:
    """Our comment on `cell`, after the brand's own comment if it has one (an older Briskk
    comment, from a report uploaded again, is replaced; one of this report is added to)."""
    mine = f"{AUTHOR}: {text}"
    theirs = cell.comment.text if cell.comment is not None else ""
    if cell.coordinate in ours:
        mine = f"{theirs}\n{text}"
    elif theirs and not theirs.startswith(f"{AUTHOR}:"):
        mine = f"{theirs}\n---\n{mine}"
    ours.add(cell.coordinate)
    mine = for_workbook(mine)  # a message may quote text openpyxl refuses (safe_text)
    cell.comment = Comment(mine, AUTHOR, height=60 + 20 * mine.count("\n"), width=300)


def _anchor(sheet: Worksheet, row: int, col: int) -> Any:
    """The cell itself, or the top-left cell of the merged range it belongs to."""
    cell = sheet.cell(row, col)
    if isinstance(cell, MergedCell):
        for merged in sheet.merged_cells.ranges:
            if cell.coordinate in merged:
                return sheet.cell(merged.min_row, merged.min_col)
    return cell
