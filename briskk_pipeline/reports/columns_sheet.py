"""The report's "Columns" sheet: how each header of the brand's file was read (issue 22).

One row per non-blank header of the data sheet, in the file's order: its column letter, the
header as written, the template column it was read as, and the rule that decided it:
`template name`, `alias from profile vN` (the tenant's brand profile), `ignored by profile vN`,
or `not read` (neither the template nor the profile knows it). Written only when the profile
read some header (an alias or an ignored one): a file read by the template's names alone has
its unread headers in the Problems sheet's warnings already.

It cannot be taken for the data sheet when the report is uploaded again: a row holds at most
one template column name (the reader looks for four, `template.HEADER_MARKERS`), and the
report's own sheets are dropped from a re-uploaded report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.workbook import Workbook

from briskk_pipeline.reports.sheets import set_inert

COLUMNS_SHEET: Final = "Columns"
HEADER: Final = ("Column", "Your header", "Read as", "Rule")
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")


def rule_words(rule: str, version: int) -> str:
    """A `RawSheet.header_rules` rule in words (`alias` -> `alias from profile v3`)."""
    return {
        "template": "template name",
        "alias": f"alias from profile v{version}",
        "ignored": f"ignored by profile v{version}",
    }.get(rule, "not read")


def needs_columns_sheet(rules: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the brand profile read any header of `rules` (module docstring)."""
    return any(r["rule"] in ("alias", "ignored") for r in rules)


def write_columns(workbook: Workbook, rules: Sequence[Mapping[str, Any]], version: int) -> None:
    """Append the Columns sheet for `rules` (`RawSheet.header_rules`) read with profile
    `version`."""
    sheet = workbook.create_sheet(COLUMNS_SHEET)
    sheet.append([f"How each header of your file was read (brand profile version {version})."])
    sheet.append([])
    sheet.append(list(HEADER))
    for cell in sheet[3]:
        cell.font, cell.fill = _BOLD, _HEADER_FILL
    for row, rule in enumerate(rules, start=4):
        values = (
            rule["letter"],
            rule["header"],
            rule["column"] or "",
            rule_words(rule["rule"], version),
        )
        for col, value in enumerate(values, start=1):
            set_inert(sheet.cell(row, col), value)  # a header may start with `=`
    for letter, width in zip("ABCD", (8, 32, 24, 28), strict=True):
        sheet.column_dimensions[letter].width = width
