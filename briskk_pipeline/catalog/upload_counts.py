"""The image counts of an upload record (SPEC §4), shared by its writers and readers."""

from __future__ import annotations

from typing import Final

# SPEC §4's four, plus `not_fetched` (fetching was off: not a failure of the URL)
IMAGE_COUNT_KEYS: Final[tuple[str, ...]] = ("stored", "reused", "failed", "blocked", "not_fetched")


def zero_images() -> dict[str, int]:
    """Every image count at 0."""
    return dict.fromkeys(IMAGE_COUNT_KEYS, 0)
