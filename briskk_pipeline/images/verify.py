"""Deciding whether downloaded bytes are an image we accept, by decoding them with Pillow.

The file extension and the server's Content-Type are never trusted: an HTML error page served
as `photo.png` is common. The bytes are identified among JPEG, PNG, WebP and GIF only, checked
with `verify()`, then opened again and fully decoded with `load()` (verify leaves the image
unusable and does not catch every truncation). Dimensions are checked against a pixel cap
before any pixel is decoded, so a small file that would expand to gigabytes (a decompression
bomb) is refused. Decoding then waits for its pixels in the shared `PixelBudget` (limits.py),
so the memory held by decoding workers together stays bounded.

The cap is ours and lower than Pillow's `MAX_IMAGE_PIXELS`, so anything Pillow would merely
warn about (`DecompressionBombWarning`) is refused here as an error; Pillow's own error above
twice its limit is refused too. We do not flip the process-wide warnings filter for this:
`warnings.catch_warnings` is not thread-safe and images are verified on many threads.
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from dataclasses import dataclass
from io import BytesIO
from typing import Final

from PIL import Image, UnidentifiedImageError

from briskk_pipeline.images.limits import PixelBudget, TimeBudget
from briskk_pipeline.images.model import ImageError, NotAnImage
from briskk_pipeline.readiness.image_facts import measure

# Pillow format name -> (content type, file extension for the object key)
ACCEPTED_FORMATS: Final[dict[str, tuple[str, str]]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
DEFAULT_MAX_PIXELS: Final = 50_000_000  # 50 megapixels: far beyond any product photo


@dataclass(frozen=True)
class VerifiedImage:
    """Facts about bytes that decoded as an accepted image."""

    format: str
    content_type: str
    extension: str
    width: int
    height: int
    bytes: int
    sha256: str
    # measured on the decoded pixels for marketplace readiness (readiness/image_facts.py)
    border_white: float | None = None
    phash: str | None = None


def _identify_other(data: bytes) -> str | None:
    """The format Pillow sees when not limited to ours (BMP, TIFF…), for a clearer message."""
    try:
        with Image.open(BytesIO(data)) as image:
            return image.format
    except Exception:  # any failure just means "not an image at all"
        return None


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise NotAnImage(f"not an image: invalid dimensions {width}x{height}")
    if width * height > max_pixels:
        raise NotAnImage(
            f"refused: {width}x{height} pixels is over the limit of {max_pixels:,} pixels "
            "(possible decompression bomb)"
        )


def verify_image(
    data: bytes,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    *,
    pixels: PixelBudget | None = None,
    budget: TimeBudget | None = None,
) -> VerifiedImage:
    """Decode `data` fully; return its facts or raise `NotAnImage` with a plain reason.

    With `pixels`, the decode holds width × height of that budget (read from the header
    first), waiting for it at most until `budget` runs out (then `OutOfTime`).
    """
    accepted = list(ACCEPTED_FORMATS)
    try:
        with Image.open(BytesIO(data), formats=accepted) as image:
            found = str(image.format)
            width, height = image.size
            _check_pixels(width, height, max_pixels)
            image.verify()  # checks structure and checksums; decodes no pixels
        held = pixels.hold(width * height, budget) if pixels else nullcontext()
        with held, Image.open(BytesIO(data), formats=[found]) as image:
            if image.size != (width, height):
                raise NotAnImage(f"not a valid {found} image: its size changed on re-reading")
            image.load()
            facts = measure(image)  # while the pixels are held: never decoded again
    except ImageError:
        raise
    except UnidentifiedImageError:
        other = _identify_other(data)
        if other is not None:
            raise NotAnImage(
                f"unsupported image format {other}: only JPEG, PNG, WebP and GIF are accepted"
            ) from None
        start = data[:16].decode("ascii", "replace")
        raise NotAnImage(
            f"not an image: the content is not JPEG, PNG, WebP or GIF (starts with {start!r})"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise NotAnImage(f"refused: possible decompression bomb ({error})") from None
    except Exception as error:  # Pillow raises many types on hostile or broken data
        raise NotAnImage(f"not a valid image: {type(error).__name__}: {error}") from None
    content_type, extension = ACCEPTED_FORMATS[found]
    return VerifiedImage(
        format=found,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        border_white=facts.border_white,
        phash=facts.phash,
    )
