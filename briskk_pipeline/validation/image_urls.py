"""Image URL cells that cannot be used: warnings for their cells, never rejections (SPEC §2).

A product whose `main_image` or `image_1` … `image_8` holds an unusable address (two
addresses, not http/https, no host, …; the rules are `images/urls.py`) still loads; the slot
is recorded `blocked` with the same message by `product_images`. A *missing* `main_image` is
not this: it stays a required-field problem of the schema (`schemas.py`).
"""

from __future__ import annotations

import pandas as pd

from briskk_pipeline.images.urls import UnusableUrl, image_url, plain
from briskk_pipeline.template import IMAGE_COLUMNS
from briskk_pipeline.validation.report import Problem


def image_url_warnings(typed: pd.DataFrame, raw: pd.DataFrame) -> list[Problem]:
    """One warning per product and image column whose address is unusable, at its first row.

    `typed` and `raw` are indexed by Excel row. Plain URLs are passed in bulk (`urls.plain`);
    each other distinct value is read once. Ordered by row, then column.
    """
    verdicts: dict[str, UnusableUrl | None] = {}
    found: list[tuple[int, int, Problem]] = []
    for position, column in enumerate(IMAGE_COLUMNS):
        if column not in typed.columns:
            continue
        cells = typed.loc[typed[column].notna(), ["product_id", column]]
        # the first row of each (product, value): later rows of a product repeat its cell
        firsts = cells[~cells.duplicated()]
        suspect = firsts.loc[~plain(firsts[column]).to_numpy(), column]
        for row, value in zip(suspect.index.tolist(), suspect.tolist(), strict=True):
            if value not in verdicts:
                checked = image_url(str(value))
                verdicts[value] = checked if isinstance(checked, UnusableUrl) else None
            unusable = verdicts[value]
            if unusable is None:
                continue
            shown = raw.at[row, column]
            problem = Problem(
                row=int(row),
                column=column,
                value=None if pd.isna(shown) else str(shown),
                message=unusable.message,
            )
            found.append((int(row), position, problem))
    found.sort(key=lambda item: (item[0], item[1]))
    return [problem for _, _, problem in found]
