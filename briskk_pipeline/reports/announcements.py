"""What the load announces to the brand, read from the upload record's `changes`.

The upload-semantics work (issue 19, "every change is announced") records a `changes` object:
counts of products and SKUs inserted, updated, unchanged, disabled and values cleared, with the
first N of each listed by row, column, old and new value. This module turns whatever of that
the record holds into report findings, so the workbook and the page show it without knowing
its exact keys:

- a key whose value is a number: one count, all counts on one file-level line;
- a key whose value is a list of objects: one finding per object, on its `row`/`column` when
  it names them (then the cell is marked), with `old` -> `new` when given;
- a key whose value is a list of text: one file-level line each.

A dry run's `changes` (a list of products with an `action`, see `catalog/changes.py`) is the
Changes sheet's, not an announcement: a list at the top level is left to that sheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from briskk_pipeline.reports.findings import Finding

SHOWN_VALUE = 80
# Lists announced by their count alone: a row the brand added is no news on its own cell (a
# first upload would otherwise note every row); updates, clears and disables are.
COUNTED_ONLY = frozenset({"inserted"})
# Kinds that alone are no news (rows added or left as they were), and keys that count nothing.
QUIET_KINDS = frozenset({"inserted", "unchanged"})
NOT_COUNTS = frozenset({"shown", "mode"})  # characters of an old or new value quoted in a message


def _words(key: str) -> str:
    return key.replace("_", " ")


def _quote(value: object) -> str:
    if value is None or value == "":
        return "(blank)"
    text = str(value)
    return text if len(text) <= SHOWN_VALUE else text[:SHOWN_VALUE] + "…"


def _item(key: str, item: Mapping[str, Any]) -> Finding:
    row = item.get("row")
    column = item.get("column") or item.get("field")
    parts = [_words(key)]
    for name in ("product_id", "sku_id"):
        if item.get(name) is not None:
            parts.append(f"{name.split('_')[0]} {item[name]}")
    if "old" in item or "new" in item:
        parts.append(f"{_quote(item.get('old'))} -> {_quote(item.get('new'))}")
    if item.get("message"):
        parts.append(str(item["message"]))
    new = item.get("new")
    return Finding(
        row if isinstance(row, int) else None,
        str(column) if column else None,
        None if new is None else str(new),
        ": ".join(parts[:1]) + (": " + ", ".join(parts[1:]) if parts[1:] else ""),
        "note",
    )


def announcement_findings(record: Mapping[str, Any]) -> list[Finding]:
    """The record's announced changes as findings (file-level ones first); [] when none.

    Reads the stored `change_summary` (an upload row, `catalog/summary.py`) or, for a record
    in the SPEC §4 shape, its `changes` object."""
    changes = record.get("change_summary") or record.get("changes")
    if not isinstance(changes, Mapping):
        return []  # absent, or a dry run's product list (the Changes sheet)
    counts: list[str] = []
    news = False  # a change beyond rows added or left as they were
    found: list[Finding] = []
    for key, value in changes.items():
        if isinstance(value, bool) or key in NOT_COUNTS:
            continue
        numbers: list[tuple[tuple[str, ...], float]]
        if isinstance(value, int | float):
            numbers = [((), value)]
        elif isinstance(value, Mapping):
            numbers = [((str(k),), v) for k, v in value.items() if isinstance(v, int | float)]
        else:
            numbers = []
        for names, number in numbers:
            if number:
                counts.append(" ".join(_words(str(n)) for n in (key, *names)) + f" {number:g}")
                news = news or not set((key, *names)) & QUIET_KINDS
        if numbers or key in COUNTED_ONLY:
            continue
        if isinstance(value, Sequence) and not isinstance(value, str):
            for item in value:
                if isinstance(item, Mapping):
                    found.append(_item(str(key), item))
                elif item is not None:
                    found.append(Finding(None, None, None, f"{_words(str(key))}: {item}", "note"))
    if not (news or found):
        return []  # rows added or unchanged only: nothing for the brand to look at
    return [Finding(None, None, None, "Changes: " + ", ".join(counts) + ".", "note"), *found]
