"""What readiness needs to know of an image beyond its size: its border and a perceptual hash.

Measured once, on the decoded image, when the image is verified (`images/verify.py`), and kept
in the `images` table with the dimensions and byte count, so no rule ever decodes an image
again. Both are read from one small copy of the image, sampled (nearest pixel) down to a
shorter side of about `SAMPLE_SIDE` pixels: a few hundredths of a millisecond however large
the photo, where a filtered downscale of a 1080 × 1440 photo costs 1-2 ms, a tenth of its
decode (bench/readiness_bench.py measures the whole `product_images` step).

- `border_white`: the share of the border pixels that are near-white (every RGB channel at
  least `NEAR_WHITE`, 245), over a band `BORDER_FRACTION` (1 %) of the shorter side wide, at
  least one sample, on all four sides. A white studio background gives ~1.0, a light grey one
  (Myntra's and Flipkart's apparel rule) 0.0. Transparent pixels count as white (they are laid
  on white first), as marketplaces show them.
- `phash`: `imagehash.phash` (DCT hash, 64 bits, 16 hex digits) of the sampled copy; the hash
  itself reduces it to 32 × 32 with a Lanczos filter. Two hashes a few bits apart are the same
  picture re-encoded, resized or slightly retouched (`near_duplicate_bits` in the rule sets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import imagehash
import numpy as np
from PIL import Image

NEAR_WHITE: Final = 245  # 0..255: at or above on every channel counts as white
BORDER_FRACTION: Final = 0.01
SAMPLE_SIDE: Final = 128


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


def sample(image: Image.Image) -> Image.Image:
    """An RGB copy of `image` whose shorter side is about SAMPLE_SIDE (nearest pixels)."""
    width, height = image.size
    factor = max(1, min(width, height) // SAMPLE_SIDE)
    if factor > 1:
        image = image.resize(
            (max(1, width // factor), max(1, height // factor)), Image.Resampling.NEAREST
        )
    return _rgb(image)


def border_white(image: Image.Image) -> float:
    """The share (0..1) of the border band's pixels whose R, G and B are all >= NEAR_WHITE."""
    pixels = np.asarray(_rgb(image))
    height, width = pixels.shape[:2]
    band = max(1, int(min(width, height) * BORDER_FRACTION))
    inner = pixels[band : max(band, height - band)]
    strips = [
        pixels[:band].reshape(-1, 3),
        pixels[max(band, height - band) :].reshape(-1, 3),
        inner[:, :band].reshape(-1, 3),
        inner[:, max(band, width - band) :].reshape(-1, 3),
    ]
    strip = np.concatenate(strips)
    if strip.size == 0:
        return 0.0
    return float((strip.min(axis=1) >= NEAR_WHITE).mean())


def measure(image: Image.Image) -> ImageFacts:
    """Both facts of a decoded (`load()`ed) image, read from one sampled copy."""
    small = sample(image)
    return ImageFacts(border_white=round(border_white(small), 4), phash=str(imagehash.phash(small)))


def hash_distance(first: str, second: str) -> int:
    """Hamming distance in bits between two `phash` hex strings."""
    return (int(first, 16) ^ int(second, 16)).bit_count()
