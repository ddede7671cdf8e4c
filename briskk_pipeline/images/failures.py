"""The images of one upload that were not stored, and why: `briskk ingest`'s `image_failures`.

One entry per image slot whose outcome is not stored or reused, named the way the brand finds
the cell: the Excel row of the product (its first row, where product columns are read), the
column (`main_image`, `image_1` … `image_8`), the URL as written, the status of this run
(`failed`, `blocked` or `not_fetched`) and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from briskk_pipeline.images.model import ImageOutcome, ImageStatus
from briskk_pipeline.template import IMAGE_COLUMNS

_NOT_STORED = frozenset({ImageStatus.FAILED, ImageStatus.BLOCKED, ImageStatus.NOT_FETCHED})
# An upload within the row limit (800 rows, 9 image cells each) has at most 7,200 slots, all
# listed. A bulk load with fetching off would list every slot (125k entries, 40 MB of JSON at
# 100k rows, seconds to build, store and print): past this many the list stops, and a warning
# gives the count (every image's reason stays in `briskk products --json`).
LISTED_LIMIT = 10_000


@dataclass(frozen=True)
class ImageFailure:
    """One image slot of an upload that was not stored. `row` is None when unknown."""

    row: int | None
    column: str
    url: str
    status: str  # failed | blocked | not_fetched
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "url": self.url,
            "status": self.status,
            "reason": self.reason,
        }


def image_failures(
    slots: pd.DataFrame,
    outcomes: Mapping[str, ImageOutcome],
    product_rows: Mapping[str, int],
    limit: int = LISTED_LIMIT,
) -> tuple[list[ImageFailure], int]:
    """The slots (`image_slots` frame) whose outcome is failed, blocked or not fetched, at
    most `limit` of them, and how many there are in all.

    `outcomes` maps a slot's URL to its outcome (a slot without one is not listed).
    `product_rows` maps product_id to its first Excel row (`ValidatedRows.product_rows`).
    Ordered by row, then column (main_image first).
    """
    # status text and reason per distinct URL; outcomes are shared objects (one for every URL
    # not fetched), so each is looked at once: an enum's `.value` costs microseconds each
    seen: dict[int, tuple[str, str] | None] = {}
    not_stored: dict[str, tuple[str, str]] = {}
    for url, outcome in outcomes.items():
        key = id(outcome)
        if key in seen:
            found = seen[key]
        else:
            found = seen[key] = (
                (outcome.status.value, outcome.reason or outcome.status.value)
                if outcome.status in _NOT_STORED
                else None
            )
        if found is not None:
            not_stored[url] = found
    if not not_stored:
        return [], 0
    urls = slots["source_url"]
    # plain dict lookups: pandas' `map` builds an index of the whole dict first (0.12 s for
    # 125k URLs), and its `isin` on arrow strings makes a scalar per value
    listed = np.fromiter((url in not_stored for url in urls.tolist()), bool, len(urls))
    # each product's row looked up once, then spread over its slots
    codes, products = pd.factorize(slots["product_id"].to_numpy()[listed])
    product_row = pd.Series(products).map(product_rows).to_numpy(dtype="float64")[codes]
    unknown = np.isnan(product_row)
    frame = pd.DataFrame(
        {
            "unknown": unknown,
            "row": np.where(unknown, 0, product_row).astype("int64"),
            "position": slots["position"].to_numpy()[listed],
            "url": urls.to_numpy()[listed],
        }
    )
    first = frame.sort_values(["unknown", "row", "position"], kind="stable").head(limit)
    return [
        ImageFailure(None if unknown else int(row), IMAGE_COLUMNS[position], url, *not_stored[url])
        for unknown, row, position, url in zip(
            first["unknown"].tolist(),
            first["row"].tolist(),
            first["position"].tolist(),
            first["url"].tolist(),
            strict=True,
        )
    ], len(frame)


def omitted_warning(listed: int, total: int) -> str | None:
    """The upload warning for a list of image failures cut at `LISTED_LIMIT`, else None."""
    if total <= listed:
        return None
    return (
        f"{total:,} images were not stored; image_failures lists the first {listed:,} "
        "(by row): `briskk products --json` gives every image's reason"
    )
