"""The images of one upload that were not stored, and why: `briskk ingest`'s `image_failures`.

One entry per image slot whose outcome is not stored or reused, named the way the brand finds
the cell: the Excel row of the product (its first row, where product columns are read), the
column (`main_image`, `image_1` … `image_8`), the URL as written, the status of this run
(`failed`, `blocked` or `not_fetched`) and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from briskk_pipeline.images.model import ImageOutcome, ImageStatus
from briskk_pipeline.template import IMAGE_COLUMNS

_NOT_STORED = frozenset({ImageStatus.FAILED, ImageStatus.BLOCKED, ImageStatus.NOT_FETCHED})


@dataclass(frozen=True)
class ImageFailure:
    """One image slot of an upload that was not stored. `row` is None when unknown."""

    row: int | None
    column: str
    url: str
    status: str  # failed | blocked | not_fetched
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def image_failures(
    slots: pd.DataFrame,
    outcomes: Mapping[str, ImageOutcome],
    product_rows: Mapping[str, int],
) -> list[ImageFailure]:
    """The slots (`image_slots` frame) whose outcome is failed, blocked or not fetched.

    `product_rows` maps product_id to its first Excel row (`ValidatedRows.product_rows`).
    Ordered by row, then column (main_image first).
    """
    failures: list[tuple[int, ImageFailure]] = []
    for product_id, position, url in zip(
        slots["product_id"].tolist(),
        slots["position"].tolist(),
        slots["source_url"].tolist(),
        strict=True,
    ):
        outcome = outcomes.get(url)
        if outcome is None or outcome.status not in _NOT_STORED:
            continue
        failure = ImageFailure(
            row=product_rows.get(product_id),
            column=IMAGE_COLUMNS[int(position)],
            url=url,
            status=outcome.status.value,
            reason=outcome.reason or outcome.status.value,
        )
        failures.append((int(position), failure))
    failures.sort(key=lambda item: (item[1].row is None, item[1].row or 0, item[0]))
    return [failure for _, failure in failures]
