"""Pure functions between the validated products and the catalog load: slots, frames, counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest

from briskk_pipeline.images.frames import build_frames, count_outcomes, image_slots
from briskk_pipeline.images.model import (
    IMAGE_FRAME_COLUMNS,
    PRODUCT_IMAGE_COLUMNS,
    ImageOutcome,
    ImageStatus,
    StoredImage,
)
from briskk_pipeline.template import IMAGE_COLUMNS

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def image(sha: str, fmt: str = "PNG") -> StoredImage:
    return StoredImage(
        sha256=sha,
        uri=f"s3://bucket/images/{sha}.png",
        object_key=f"images/{sha}.png",
        content_type="image/png",
        format=fmt,
        width=10,
        height=20,
        bytes=123,
    )


def products(rows: list[dict[str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["product_id", *IMAGE_COLUMNS]).astype("string")


def test_image_slots_lists_filled_cells_by_position() -> None:
    frame = products(
        [
            {"product_id": "P1", "main_image": "https://a/1.jpg", "image_2": "https://a/3.jpg"},
            {"product_id": "P1", "main_image": "https://a/1.jpg", "image_2": "https://a/3.jpg"},
            {"product_id": "P2", "main_image": "https://a/1.jpg", "image_8": " https://b/9.jpg "},
            {"product_id": "P3"},
        ]
    )
    slots = image_slots(frame)
    assert list(slots.columns) == ["product_id", "position", "source_url"]
    assert slots.to_dict("records") == [
        {"product_id": "P1", "position": 0, "source_url": "https://a/1.jpg"},
        {"product_id": "P1", "position": 2, "source_url": "https://a/3.jpg"},
        {"product_id": "P2", "position": 0, "source_url": "https://a/1.jpg"},
        {"product_id": "P2", "position": 8, "source_url": "https://b/9.jpg"},
    ]
    assert str(slots["product_id"].dtype) == "string"
    assert str(slots["source_url"].dtype) == "string"


def test_image_slots_of_no_products_is_empty() -> None:
    slots = image_slots(products([]))
    assert slots.empty and list(slots.columns) == ["product_id", "position", "source_url"]


def test_build_frames_one_image_row_per_sha_and_one_slot_row_per_slot() -> None:
    slots = pd.DataFrame(
        {
            "product_id": ["P1", "P1", "P2", "P2", "P3"],
            "position": [0, 1, 0, 1, 0],
            "source_url": ["u/a", "u/b", "u/a", "u/c", "u/d"],
        }
    )
    outcomes = {
        "u/a": ImageOutcome(ImageStatus.STORED, image=image("aa")),
        "u/b": ImageOutcome(ImageStatus.REUSED, image=image("bb")),
        "u/c": ImageOutcome(ImageStatus.FAILED, reason="HTTP 404 Not Found"),
        "u/d": ImageOutcome(ImageStatus.BLOCKED, reason="blocked: 10.0.0.1 (private address)"),
    }
    images, slot_rows = build_frames(slots, outcomes, NOW, previous_attempts={("P2", 1): 2})

    assert list(images.columns) == list(IMAGE_FRAME_COLUMNS)
    assert sorted(images["sha256"]) == ["aa", "bb"]
    assert images.set_index("sha256").loc["aa", "uri"] == "s3://bucket/images/aa.png"
    assert list(slot_rows.columns) == list(PRODUCT_IMAGE_COLUMNS)
    records = slot_rows.astype(object).where(slot_rows.notna(), None).to_dict("records")
    stamp = pd.Timestamp(NOW)
    assert records == [
        dict(product_id="P1", position=0, source_url="u/a", status="stored", reason=None,
             sha256="aa", attempts=1, last_attempt_at=stamp),
        # reused: nothing was tried in this run, so no new attempt is counted
        dict(product_id="P1", position=1, source_url="u/b", status="stored", reason=None,
             sha256="bb", attempts=0, last_attempt_at=None),
        dict(product_id="P2", position=0, source_url="u/a", status="stored", reason=None,
             sha256="aa", attempts=1, last_attempt_at=stamp),
        dict(product_id="P2", position=1, source_url="u/c", status="failed",
             reason="HTTP 404 Not Found", sha256=None, attempts=3, last_attempt_at=stamp),
        dict(product_id="P3", position=0, source_url="u/d", status="blocked",
             reason="blocked: 10.0.0.1 (private address)", sha256=None, attempts=1,
             last_attempt_at=stamp),
    ]  # fmt: skip
    dtype = slot_rows["last_attempt_at"].dtype
    assert isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC"


def test_build_frames_of_no_slots_has_the_columns() -> None:
    slots = pd.DataFrame({"product_id": [], "position": [], "source_url": []})
    images, slot_rows = build_frames(slots, {}, NOW)
    assert images.empty and list(images.columns) == list(IMAGE_FRAME_COLUMNS)
    assert slot_rows.empty and list(slot_rows.columns) == list(PRODUCT_IMAGE_COLUMNS)


def test_build_frames_wants_an_aware_time_and_an_outcome_for_every_slot() -> None:
    slots = pd.DataFrame({"product_id": ["P1"], "position": [0], "source_url": ["u/a"]})
    with pytest.raises(ValueError, match="timezone-aware"):
        build_frames(slots, {"u/a": ImageOutcome(ImageStatus.FAILED, "x")}, datetime(2025, 1, 1))
    with pytest.raises(KeyError, match="u/a"):
        build_frames(slots, {}, NOW)
    ist = timezone(timedelta(hours=5, minutes=30))
    _, rows = build_frames(
        slots, {"u/a": ImageOutcome(ImageStatus.FAILED, "x")}, NOW.astimezone(ist)
    )
    assert rows["last_attempt_at"].iloc[0] == pd.Timestamp(NOW)


def test_count_outcomes_has_every_key() -> None:
    assert count_outcomes({}) == {
        "stored": 0,
        "reused": 0,
        "failed": 0,
        "blocked": 0,
        "not_fetched": 0,
    }
    outcomes = {
        "a": ImageOutcome(ImageStatus.STORED, image=image("aa")),
        "b": ImageOutcome(ImageStatus.STORED, image=image("bb")),
        "c": ImageOutcome(ImageStatus.BLOCKED, "no"),
    }
    assert count_outcomes(outcomes) == {
        "stored": 2,
        "reused": 0,
        "failed": 0,
        "blocked": 1,
        "not_fetched": 0,
    }
