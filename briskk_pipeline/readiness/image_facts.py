"""What readiness needs to know of an image beyond its size: its border and a perceptual hash.

Measured once, on the decoded image, when the image is verified (`images/verify.py`), and kept
in the `images` table with the dimensions and byte count, so no rule ever decodes an image
again. Both measurements are cheap next to the decode (bench/readiness_bench.py):

- `border_white`: the share of the border pixels that are near-white (every RGB channel at
  least `NEAR_WHITE`, 245), over a band `BORDER_FRACTION` (1 %) of the shorter side wide, at
  least one pixel, on all four sides. A white studio background gives ~1.0, a light grey one
  (Myntra's and Flipkart's apparel rule) ~0.0. Transparent pixels count as white (they are laid
  on white first), as marketplaces show them.
- `phash`: `imagehash.phash` (DCT hash, 64 bits, 16 hex digits) of the image reduced by an
  integer factor to a shorter side of at least `HASH_SIDE` pixels first, which keeps the cost
  flat however large the photo; two hashes a few bits apart are the same picture re-encoded,
  resized or slightly retouched (`near_duplicate_bits` in the rule sets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import imagehash
import numpy as np
from PIL import Image

NEAR_WHITE: Final = 245  # 0..255: at or above on every channel counts as white
BORDER_FRACTION: Final = 0.01
HASH_SIDE: Final = 128
_REDUCIBLE: Final = frozenset({"L", "LA", "RGB", "RGBA", "CMYK"})  # Image.reduce's modes


@dataclass(frozen=True)
class ImageFacts:
    """`border_white` in 0..1; `phash` as 16 hex digits."""

    border_white: float
    phash: str


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def border_white(image: Image.Image) -> float:
    """The share (0..1) of the border band's pixels whose R, G and B are all >= NEAR_WHITE."""
    width, height = image.size
    band = max(1, int(min(width, height) * BORDER_FRACTION))
    band_w, band_h = min(band, width), min(band, height)
    boxes = [
        (0, 0, width, band_h),  # top
        (0, height - band_h, width, height),  # bottom
        (0, band_h, band_w, height - band_h),  # left, without the corners counted twice
        (width - band_w, band_h, width, height - band_h),  # right
    ]
    pixels = [
        np.asarray(_rgb(image.crop(box))).reshape(-1, 3)
        for box in boxes
        if box[2] > box[0] and box[3] > box[1]
    ]
    strip = np.concatenate(pixels)
    if strip.size == 0:
        return 0.0
    return float((strip.min(axis=1) >= NEAR_WHITE).mean())


def perceptual_hash(image: Image.Image) -> str:
    """`imagehash.phash` of `image` reduced to a shorter side of at least HASH_SIDE pixels."""
    factor = max(1, min(image.size) // HASH_SIDE)
    if image.mode not in _REDUCIBLE:
        image = _rgb(image)
    small = image.reduce(factor) if factor > 1 else image
    return str(imagehash.phash(_rgb(small)))


def measure(image: Image.Image) -> ImageFacts:
    """Both facts of a decoded (`load()`ed) image."""
    return ImageFacts(border_white=round(border_white(image), 4), phash=perceptual_hash(image))


def hash_distance(first: str, second: str) -> int:
    """Hamming distance in bits between two `phash` hex strings."""
    return (int(first, 16) ^ int(second, 16)).bit_count()
