"""The sheets Briskk adds to a report: "Problems" (first) and "Changes" (dry runs, last).

Every value is written inert: text that a spreadsheet could take for a formula (starting with
`=`, `+`, `-`, `@`, tab or CR: OWASP "CSV injection") is stored as a text cell with Excel's
quote prefix, never as a formula.

Neither sheet can be taken for the template's data sheet when the report is uploaded again
(the reader takes the first sheet whose header row holds the four `template.HEADER_MARKERS`):
their headers hold no template column name; a Problems row holds at most two cells that are
not ours (column name and value), so it can never hold four markers; Changes goes after the
data sheet, so the data sheet is found first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Final

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from briskk_pipeline.reports.findings import Finding
from briskk_pipeline.reports.styles import StyleCache
from briskk_pipeline.safe_text import for_workbook

PROBLEMS_SHEET: Final = "Problems"
CHANGES_SHEET: Final = "Changes"
FORMULA_TRIGGERS: Final[tuple[str, ...]] = ("=", "+", "-", "@", "\t", "\r")
PROBLEMS_HEADER: Final = ("Row", "Column", "Value", "Problem", "Severity")
CHANGES_HEADER: Final = ("Product", "Action", "SKU", "Field", "Old value", "New value")
HEADER_ROW: Final = 3  # row 1: the summary line; row 2: blank
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_SEVERITY_FILL = {
    "error": PatternFill("solid", fgColor="FFC7CE"),
    "warning": PatternFill("solid", fgColor="FFEB9C"),
    "note": PatternFill("solid", fgColor="DDEBF7"),
}
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
PROBLEMS_WIDTHS: Final = (8, 18, 40, 70, 10)  # characters; Problem and Value wrap
SUMMARY_LINE_CHARS: Final = 140  # the summary cell spans A:E (146 characters wide)
EXCEL_MAX_ROWS: Final = 1_048_576  # rows in a worksheet (Excel's specifications and limits)
# findings listed on the Problems sheet: its rows below the header, less one for the line that
# counts the rest
PROBLEMS_LISTED: Final = EXCEL_MAX_ROWS - HEADER_ROW - 1


def set_inert(cell: Cell, value: object) -> None:
    """Write `value` so that it can never run as a formula (see the module docstring); text
    openpyxl would refuse is written with visible escapes (`safe_text.for_workbook`)."""
    if isinstance(value, str):
        value = for_workbook(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"  # openpyxl reads a leading '=' as a formula otherwise
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited


def _header(sheet: Worksheet, titles: Sequence[str], widths: Sequence[int]) -> None:
    for col, (title, width) in enumerate(zip(titles, widths, strict=True), start=1):
        cell = sheet.cell(HEADER_ROW, col, title)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)


def write_problems(
    workbook: Workbook,
    findings: Sequence[Finding],
    summary: str,
    *,
    data_sheet: str | None,
    cells: Mapping[tuple[int, str | None], str],
) -> Worksheet:
    """The first sheet: the summary line, then one row per finding linking to its cell.

    `cells` maps (row, column) to the coordinate marked in the data sheet (`B12`); a finding
    without one links to its row's first cell, a file-level finding links nowhere. Past
    `PROBLEMS_LISTED` findings (a sheet holds 1,048,576 rows) the last row says how many more
    there are instead of listing them: Excel will not open a sheet longer than that.
    """
    sheet = workbook.create_sheet(PROBLEMS_SHEET, 0)
    _summary(sheet, summary, len(PROBLEMS_HEADER))
    _header(sheet, PROBLEMS_HEADER, PROBLEMS_WIDTHS)
    styles = StyleCache()
    unlisted = max(0, len(findings) - PROBLEMS_LISTED)
    if unlisted:
        findings = [
            *findings[:PROBLEMS_LISTED],
            Finding(
                None,
                None,
                None,
                f"… and {unlisted:,} more problems, not listed: a sheet holds "
                f"{EXCEL_MAX_ROWS:,} rows. Fix the ones above and upload the file again.",
                "error"
                if any(f.severity == "error" for f in findings[PROBLEMS_LISTED:])
                else "warning",
            ),
        ]
    for r, finding in enumerate(findings, start=HEADER_ROW + 1):
        values = (finding.row, finding.column, finding.value, finding.message, finding.severity)
        link = (
            cells.get((finding.row, finding.column), f"A{finding.row}")
            if finding.row is not None and data_sheet is not None
            else None
        )
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(r, col)
            linked = link is not None
            styles.restyle(
                cell,
                (col, finding.severity, linked),
                partial(_problems_style, severity=finding.severity, linked=linked),
            )
            set_inert(cell, value)  # after the style: a formula-like text adds its quote prefix
        if link is not None and data_sheet is not None:
            cell = sheet.cell(r, 1)
            cell.hyperlink = Hyperlink(
                ref=cell.coordinate, location=f"{quote_sheetname(data_sheet)}!{link}"
            )
    # printed (or saved as PDF): landscape, the table's width on one page
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    if findings:
        sheet.auto_filter.ref = f"A{HEADER_ROW}:E{HEADER_ROW + len(findings)}"
    return sheet


def _problems_style(cell: Cell, severity: str, linked: bool) -> None:
    """A Problems cell's style: Value and Problem wrapped, the rest top-aligned, Severity
    filled by severity; a Row that links to its cell is in Excel's named "Hyperlink" style
    (a named style replaces the cell's whole style, alignment included)."""
    cell.alignment = _WRAP if cell.column in (3, 4) else _TOP
    if cell.column == 5:
        cell.fill = _SEVERITY_FILL[severity]
    if cell.column == 1 and linked:
        cell.style = "Hyperlink"


def _summary(sheet: Worksheet, summary: str, columns: int) -> None:
    """Row 1: the summary, merged over the table's columns and wrapped, its height set for its
    lines (Excel does not grow a merged row by itself; LibreOffice does)."""
    cell = sheet.cell(1, 1)
    set_inert(cell, summary)
    cell.font = Font(bold=True, size=12)
    cell.alignment = _WRAP
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    lines = max(1, -(-len(summary) // SUMMARY_LINE_CHARS))
    sheet.row_dimensions[1].height = 17 * lines + 4


def write_changes(workbook: Workbook, changes: Sequence[Mapping[str, Any]], summary: str) -> None:
    """The last sheet of a dry run's report: per product its action, changed fields, SKUs."""
    sheet = workbook.create_sheet(CHANGES_SHEET)
    _summary(sheet, summary, len(CHANGES_HEADER))
    _header(sheet, CHANGES_HEADER, (20, 12, 24, 22, 30, 30))
    rows: list[tuple[Any, ...]] = []
    for change in changes:
        product = change["product_id"]
        rows.append((product, change["action"], None, None, None, None))
        rows += [(product, None, None, f, old, new) for f, (old, new) in change["fields"].items()]
        for sku in change["skus"]:
            rows.append((product, sku["action"], sku["sku_id"], None, None, None))
            rows += [
                (product, None, sku["sku_id"], f, old, new)
                for f, (old, new) in sku.get("fields", {}).items()
            ]
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        for col, value in enumerate(values, start=1):
            if value is not None:
                set_inert(sheet.cell(r, col), value)
        if values[1] is not None:
            sheet.cell(r, 2).font = _BOLD
