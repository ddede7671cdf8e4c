"""What the report tells a brand: one `Finding` per Problems-sheet row, and the summary line.

Findings come from validation (`Problem`s: errors reject their product, cell warnings do not)
and from the upload's record (file-level warnings such as ignored columns, and the load's own:
big price moves, blank cells over stored values, mass disabling; see `catalog/changes.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from briskk_pipeline.validation.report import Problem

Severity = Literal["error", "warning", "note"]  # note: an announcement, nothing wrong


@dataclass(frozen=True)
class Finding:
    """One row of the Problems sheet. `row` is the Excel row (header = 1); None = file-level.

    `about_content` False: the finding names a cell but nothing in it is wrong (an image not
    fetched because fetching is off on the server): listed by row and column like the rest,
    but on its own it is no reason to copy and mark the brand's sheets.
    """

    row: int | None
    column: str | None
    value: str | None
    message: str
    severity: Severity
    about_content: bool = True


def gather(
    problems: Iterable[Problem],
    cell_warnings: Iterable[Problem],
    record_warnings: Iterable[str],
    image_failures: Iterable[Mapping[str, Any]] = (),
    announcements: Iterable[Finding] = (),
) -> list[Finding]:
    """Errors and warnings, file-level first, then by row (errors before warnings in a row).

    `record_warnings` are the upload record's warnings: the cell warnings rendered as text are
    among them (`validated_rows` puts them there) and are not repeated. `image_failures` are
    the record's `image_failures` (`{row, column, url, status, reason}`, see
    `images/failures.py`): each is a warning on its cell (an image never rejects its product).
    `announcements` say what the load did (`announcements.announcement_findings`).
    """
    cell = list(cell_warnings)
    rendered = {str(w) for w in cell}
    found = [Finding(p.row, p.column, p.value, p.message, "error") for p in problems]
    found += [Finding(w.row, w.column, w.value, w.message, "warning") for w in cell]
    found += [Finding(None, None, None, w, "warning") for w in record_warnings if w not in rendered]
    found += [image_finding(f) for f in image_failures]
    found += announcements
    order = {id(f): i for i, f in enumerate(found)}
    return sorted(
        found,
        key=lambda f: (f.row is not None, f.row or 0, f.severity != "error", order[id(f)]),
    )


IMAGE_STATUS_WORDS: dict[str, str] = {
    "failed": "image not stored",
    "blocked": "image address refused",
    "not_fetched": "image not fetched",
}


def image_finding(failure: Mapping[str, Any]) -> Finding:
    """One image slot not stored as a warning on its cell: the URL is the value, the message
    says what happened (`failed`, `blocked` or `not_fetched`) and why."""
    status = str(failure.get("status") or "failed")
    reason = str(failure.get("reason") or status)
    words = IMAGE_STATUS_WORDS.get(status, f"image {status}")
    # a not-fetched reason already starts with "not fetched: …"
    message = reason if reason.startswith(words.removeprefix("image ")) else f"{words}: {reason}"
    if not message.startswith("image"):
        message = f"image {message}"
    url = failure.get("url")
    return Finding(
        failure.get("row"),
        str(failure.get("column") or "") or None,
        None if url is None else str(url),
        message,
        "warning",
        about_content=status != "not_fetched",  # fetching was off: nothing wrong in the cell
    )


def change_counts(changes: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Products per action (`new`, `changed`, `unchanged`, `rejected`) and SKUs per action."""
    products = Counter(str(c["action"]) for c in changes)
    skus = Counter(f"skus_{s['action']}" for c in changes for s in c["skus"])
    keys = ("new", "changed", "unchanged", "rejected", "skus_new", "skus_changed", "skus_disabled")
    return {k: products.get(k, 0) + skus.get(k, 0) for k in keys}


def summary_line(
    record: Mapping[str, Any], findings: Sequence[Finding], data_sheet: str | None
) -> str:
    """One line: what happened to the upload and what the brand should do next.

    `record` is the upload record (`catalog.uploads.get_upload`): status, counts, `dry_run`
    and `changes`.
    """
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    notes = len(findings) - errors - warnings
    cells = sum(1 for f in findings if f.severity == "error" and f.row is not None)
    loaded, rejected = record["products_loaded"], record["products_rejected"]
    rows = record["rows_rejected"]
    where = f"in sheet '{data_sheet}'" if data_sheet else "in your file"
    if record["dry_run"]:
        listed = record.get("changes")
        counts = change_counts(listed if isinstance(listed, list) else [])
        head = (
            f"Dry run, nothing was changed: {_n(loaded, 'product')} would load "
            f"({counts['new']} new, "
            f"{counts['changed']} changed, {counts['unchanged']} unchanged), {rejected} "
            f"rejected ({_n(rows, 'row')}); {_n(counts['skus_disabled'], 'SKU')} would be disabled "
            "(sheet 'Changes')."
        )
    elif record.get("status") == "needs_review":  # issue 19: held, not rejected
        why = "; ".join(record.get("review_reasons") or [])
        head = (
            "Held for review: nothing was loaded yet. The changes below go further than your "
            f"catalog's limits allow ({why}); Briskk will approve or decline them."
        )
    elif loaded == 0:
        head = (
            "Nothing was loaded: the file was rejected."
            if not rejected
            else (
                f"Nothing was loaded: all {_n(rejected, 'product')} were rejected "
                f"({_n(rows, 'row')})."
            )
        )
    else:
        head = f"{_n(loaded, 'product')} loaded, {rejected} rejected ({_n(rows, 'row')})."
    if errors:
        fix = (
            f" Fix the {errors} problem{'s' if errors != 1 else ''} below"
            + (
                f" ({cells} marked red {where}; click a row number to go to its cell)"
                if cells
                else ""
            )
            + ", then upload this file again (this sheet is ignored)."
        )
    else:
        fix = " No errors to fix."
    if warnings:
        fix += f" Check the {warnings} warning{'s' if warnings != 1 else ''} (yellow)."
    if notes:
        fix += f" {notes} note{'s' if notes != 1 else ''} (blue) say what the load changed."
    return head + fix


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
