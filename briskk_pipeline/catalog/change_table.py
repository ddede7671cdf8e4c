"""The `changes` object of an upload (`catalog/summary.py`) as the human summary's table.

Apart from `summary.py` so that printing a summary imports no SQLAlchemy: a `briskk ingest`
handed to `briskk serve` (handoff/) prints it without importing anything heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def table(changes: Mapping[str, Any]) -> tuple[list[str], list[list[object]]]:
    """The `changes` object as one table for the human summary: headers and rows, one row
    for products and one for SKUs (values cleared counted on the SKU row, across both)."""
    headers = ["", "inserted", "updated", "unchanged", "disabled", "values cleared"]
    p, s = changes["products"], changes["skus"]
    rows: list[list[object]] = [
        ["products", p["inserted"], p["updated"], p["unchanged"], "-", "-"],
        [
            "SKUs",
            s["inserted"],
            s["updated"],
            s["unchanged"],
            s["disabled"],
            changes["values_cleared"],
        ],
    ]
    return headers, rows
