"""The annotated workbook's Readiness sheet: one row per product, one column per channel,
`ready` or the failing rules in words (with the image slot or cell each one is about).

Written by `reports.workbook.build_report` when the upload has verdicts
(`store.upload_verdicts`); it comes after the brand's sheets and before a dry run's Changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Final

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from briskk_pipeline.readiness.rulesets import rule_sets
from briskk_pipeline.reports.sheets import set_inert
from briskk_pipeline.reports.styles import StyleCache

READINESS_SHEET: Final = "Readiness"
READY: Final = "ready"
_READY_FILL: Final = PatternFill("solid", fgColor="E2EFDA")
_NOT_READY_FILL: Final = PatternFill("solid", fgColor="FFEB9C")
_HEADER_ROW: Final = 3  # row 1: the summary line; row 2: blank
_WRAP: Final = Alignment(wrap_text=True, vertical="top")


def failure_words(failure: Mapping[str, Any]) -> str:
    """One failing rule as the sheet shows it: `image_2: image_2 is PNG; …` reads twice, so the
    slot or cell is named only when the message does not start with it."""
    message = str(failure["message"])
    column = failure.get("column")
    if column and not message.startswith(str(column)):
        return f"{column}: {message}"
    return message


def _ready_style(cell: Any) -> None:
    cell.fill, cell.alignment = _READY_FILL, _WRAP


def _failed_style(cell: Any) -> None:
    cell.fill, cell.alignment = _NOT_READY_FILL, _WRAP


def write_readiness(
    workbook: Workbook, verdicts: Iterable[Mapping[str, Any]], *, position: int | None = None
) -> Worksheet | None:
    """Add the Readiness sheet for `verdicts` (rows of `store.upload_verdicts`, or the
    stream of `store.iter_upload_verdicts`, by product then channel); None when there are
    none. A sheet of that name from a re-uploaded report is replaced.

    `verdicts` is read once, each row kept only as its cell's text: the 150,000 verdict rows
    of a 25,000-product upload, held as dicts with their failures, took about 370 MB.
    """
    names = {c: r.name for c, r in rule_sets().items()}
    products: dict[str, dict[str, Any]] = {}
    ready: Counter[str] = Counter()
    seen: set[str] = set()
    for v in verdicts:
        channel = str(v["channel"])
        seen.add(channel)
        entry = products.setdefault(str(v["product_id"]), {"row": v["row"], "cells": {}})
        if v["ready"]:
            ready[channel] += 1
        entry["cells"][v["channel"]] = (
            READY if v["ready"] else "\n".join(failure_words(f) for f in v["failures"])
        )
    if not products:
        return None
    if READINESS_SHEET in workbook.sheetnames:
        del workbook[READINESS_SHEET]
    sheet = workbook.create_sheet(READINESS_SHEET, position)
    channels = sorted(seen)
    sheet.cell(1, 1).value = "Marketplace readiness: " + ", ".join(
        f"{names.get(c, c)} {ready[c]} of {len(products)} products ready" for c in channels
    )
    sheet.cell(1, 1).font = Font(bold=True)
    headers = ["product_id", "row", *(names.get(c, c) for c in channels)]
    for col, title in enumerate(headers, start=1):
        cell = sheet.cell(_HEADER_ROW, col)
        cell.value = title
        cell.font = Font(bold=True)
    styles = StyleCache()  # openpyxl looks a style up on every assignment: set once, copied
    for offset, (product_id, entry) in enumerate(products.items(), start=1):
        row = _HEADER_ROW + offset
        set_inert(sheet.cell(row, 1), product_id)  # never a formula, as on every sheet we add
        sheet.cell(row, 2).value = entry["row"]
        for col, channel in enumerate(channels, start=3):
            cell = sheet.cell(row, col)
            text = entry["cells"].get(channel)
            if text is None:
                continue
            styles.restyle(cell, text == READY, _ready_style if text == READY else _failed_style)
            set_inert(cell, text)
    sheet.freeze_panes = sheet.cell(_HEADER_ROW + 1, 3)
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 6
    for col in range(3, 3 + len(channels)):
        sheet.column_dimensions[sheet.cell(_HEADER_ROW, col).column_letter].width = 48
    return sheet
