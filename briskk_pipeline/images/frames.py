"""From an upload's products to image slots, and from outcomes to the rows the catalog keeps.

`image_slots` lists each product's image slots; `build_frames` turns the outcomes of
`pipeline.process_images` into the `images` and `product_images` frames that the catalog load
writes in the upload's transaction; `count_outcomes` gives the upload's image counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Final

import pandas as pd

from briskk_pipeline.images.model import (
    IMAGE_FRAME_COLUMNS,
    PRODUCT_IMAGE_COLUMNS,
    ImageOutcome,
    ImageStatus,
    StoredImage,
)
from briskk_pipeline.template import IMAGE_COLUMNS

SLOT_COLUMNS: Final = ("product_id", "position", "source_url")


def image_slots(products: pd.DataFrame) -> pd.DataFrame:
    """One row (product_id, position, source_url) per filled image cell of each product.

    Position 0 is `main_image`, 1..8 are `image_1`..`image_8`. Rows repeating a product (one per
    SKU) give its slots once; blank cells give no slot.
    """
    present = [c for c in IMAGE_COLUMNS if c in products.columns]
    positions = {name: IMAGE_COLUMNS.index(name) for name in present}
    long = products.loc[:, ["product_id", *present]].melt(
        id_vars="product_id", var_name="column", value_name="source_url"
    )
    long["source_url"] = long["source_url"].astype("string").str.strip()
    long = long[long["source_url"].notna() & (long["source_url"] != "")]
    slots = pd.DataFrame(
        {
            "product_id": long["product_id"].astype("string"),
            "position": long["column"].map(positions).astype("int16"),
            "source_url": long["source_url"],
        }
    )
    slots = slots.drop_duplicates(["product_id", "position"], keep="first")
    return slots.sort_values(["product_id", "position"], kind="stable").reset_index(drop=True)


def count_outcomes(outcomes: Mapping[str, ImageOutcome]) -> dict[str, int]:
    """`{stored, reused, failed, blocked, not_fetched}` counts of distinct URLs (SPEC §4
    `images`, plus `not_fetched`: fetching was off, so it is not a failure of the URL)."""
    counts = Counter(outcome.status for outcome in outcomes.values())
    return {status.value: counts.get(status, 0) for status in ImageStatus}


def _utc(now: datetime) -> pd.Timestamp:
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    return pd.Timestamp(now).tz_convert("UTC")


def build_frames(
    slots: pd.DataFrame,
    outcomes: Mapping[str, ImageOutcome],
    now: datetime,
    previous_attempts: Mapping[tuple[str, int], int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `images` rows (one per distinct sha256) and `product_images` rows of `slots`.

    A slot's status is `stored` for stored and reused URLs. `attempts` counts downloads tried
    for the slot: `previous_attempts[(product_id, position)]` plus one when this run tried
    (stored, failed, blocked). A reused slot, or any slot while fetching is off, tried nothing:
    it keeps its previous count and has no `last_attempt_at` (null: the load keeps the value it
    already has), so re-running an upload rewrites no slot.
    """
    previous = previous_attempts or {}
    stamp = _utc(now)
    images: dict[str, StoredImage] = {}
    # Column lists filled in one pass over plain lists: an upload of 25k products has 100k+
    # slots, and itertuples plus a dict per row cost a second there.
    product_ids = slots["product_id"].tolist()
    positions = [int(position) for position in slots["position"].tolist()]
    urls = slots["source_url"].tolist()
    statuses: list[str] = []
    reasons: list[str | None] = []
    shas: list[str | None] = []
    attempts: list[int] = []
    attempted_at: list[pd.Timestamp] = []
    # Outcomes are shared (one object for every URL not fetched): what a slot takes from its
    # outcome is worked out once per outcome; enum lookups cost microseconds each.
    facts: dict[int, tuple[str, str | None, str | None, bool]] = {}
    for product_id, position, url in zip(product_ids, positions, urls, strict=True):
        outcome = outcomes.get(url)
        if outcome is None:
            raise KeyError(f"no outcome for image URL {url!r} of product {product_id!r}")
        known = facts.get(id(outcome))
        if known is None:
            if outcome.image is not None:
                images.setdefault(outcome.image.sha256, outcome.image)
            known = facts[id(outcome)] = (
                ImageStatus.STORED.value
                if outcome.image
                else ImageStatus(outcome.status).slot_status,
                outcome.reason,
                outcome.sha256,
                outcome.attempted and outcome.status is not ImageStatus.REUSED,
            )
        status, reason, sha, tried = known
        before = previous.get((product_id, position), 0) if previous else 0
        statuses.append(status)
        reasons.append(reason)
        shas.append(sha)
        attempts.append(before + 1 if tried else before)
        attempted_at.append(stamp if tried else pd.NaT)
    rows = {
        "product_id": product_ids,
        "position": positions,
        "source_url": urls,
        "status": statuses,
        "reason": reasons,
        "sha256": shas,
        "attempts": attempts,
        "last_attempt_at": attempted_at,
    }
    image_frame = pd.DataFrame(
        [[getattr(image, c) for c in IMAGE_FRAME_COLUMNS] for image in images.values()],
        columns=list(IMAGE_FRAME_COLUMNS),
    ).astype(
        {
            **{c: "string" for c in IMAGE_FRAME_COLUMNS[:5]},
            "width": "int64",
            "height": "int64",
            "bytes": "int64",
            "border_white": "Float64",
            "phash": "string",
        }
    )
    slot_frame = pd.DataFrame(rows, columns=list(PRODUCT_IMAGE_COLUMNS)).astype(
        {
            "product_id": "string",
            "position": "int16",
            "source_url": "string",
            "status": "string",
            "reason": "string",
            "sha256": "string",
            "attempts": "int64",
        }
    )
    slot_frame["last_attempt_at"] = pd.to_datetime(slot_frame["last_attempt_at"], utc=True)
    return image_frame, slot_frame
