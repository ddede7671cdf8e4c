"""What the image subsystem produces: a stored image's facts, one URL's outcome, its errors.

Kept apart from fetching and from the catalog so both `images/` and `catalog/` can import these
types without importing each other's machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

# The frames `product_images` hands to the catalog load: one row per distinct image content,
# and one per image slot of a product (position 0 = main_image, 1..8 = image_1..image_8).
IMAGE_FRAME_COLUMNS: Final[tuple[str, ...]] = (
    "sha256",
    "uri",
    "object_key",
    "content_type",
    "format",
    "width",
    "height",
    "bytes",
    "border_white",
    "phash",
)
PRODUCT_IMAGE_COLUMNS: Final[tuple[str, ...]] = (
    "product_id",
    "position",
    "source_url",
    "status",
    "reason",
    "sha256",
    "attempts",
    "last_attempt_at",
)


class ImageStatus(StrEnum):
    """What happened to one source URL in one run."""

    STORED = "stored"  # downloaded, verified and stored (or found already in the store)
    REUSED = "reused"  # already in the catalog: not downloaded again
    FAILED = "failed"  # could not be fetched or is not an image; retried later
    BLOCKED = "blocked"  # refused before any request (policy, unusable URL); never retried
    # Fetching is off (BRISKK_FETCH_IMAGES=0): nothing was tried. The slot is kept `failed`
    # in the catalog, so `retry_failed_images_job` fetches it once fetching is on again.
    NOT_FETCHED = "not_fetched"

    @property
    def slot_status(self) -> str:
        """The catalog's status for a slot with this outcome: `stored`, `failed` or `blocked`."""
        if self in (ImageStatus.STORED, ImageStatus.REUSED):
            return ImageStatus.STORED.value
        if self is ImageStatus.NOT_FETCHED:
            return ImageStatus.FAILED.value
        return self.value


@dataclass(frozen=True)
class StoredImage:
    """One distinct image content in the object store (a row of the `images` table)."""

    sha256: str
    uri: str
    object_key: str
    content_type: str
    format: str  # Pillow's name: JPEG, PNG, WEBP, GIF
    width: int
    height: int
    bytes: int
    # readiness facts (readiness/image_facts.py): None for images stored before 0012_readiness
    border_white: float | None = None
    phash: str | None = None


@dataclass(frozen=True)
class ImageOutcome:
    """The result for one distinct source URL; the image facts are set when stored or reused."""

    status: ImageStatus
    reason: str | None = None
    image: StoredImage | None = None
    # False when nothing was tried for the URL (reused, or fetching is off): the slot's
    # attempts and last attempt time stay as they were.
    attempted: bool = True

    @property
    def sha256(self) -> str | None:
        return self.image.sha256 if self.image else None

    @property
    def uri(self) -> str | None:
        return self.image.uri if self.image else None

    @property
    def object_key(self) -> str | None:
        return self.image.object_key if self.image else None

    @property
    def content_type(self) -> str | None:
        return self.image.content_type if self.image else None

    @property
    def format(self) -> str | None:
        return self.image.format if self.image else None

    @property
    def width(self) -> int | None:
        return self.image.width if self.image else None

    @property
    def height(self) -> int | None:
        return self.image.height if self.image else None

    @property
    def bytes(self) -> int | None:
        return self.image.bytes if self.image else None


class ImageError(Exception):
    """An image could not be made available; `str(error)` is the reason people see."""

    status: ImageStatus = ImageStatus.FAILED


class ImageFailed(ImageError):
    """Fetching or verifying failed; the URL may work later (it is retried)."""


class NotAnImage(ImageFailed):
    """The bytes are not an accepted image (JPEG, PNG, WebP, GIF), or not safe to decode."""


class OutOfTime(ImageFailed):
    """The upload's image time budget ran out before this URL was done; retried later.

    `attempted` is False when no request was sent for the URL, so its slot's attempt count
    stays as it was.
    """

    def __init__(self, reason: str, *, attempted: bool) -> None:
        super().__init__(reason)
        self.attempted = attempted


class ImageBlocked(ImageError):
    """The URL points somewhere the pipeline must not connect to; no request was sent."""

    status = ImageStatus.BLOCKED
