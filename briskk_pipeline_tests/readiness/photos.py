"""Product photos made by code for the readiness tests: a background, a garment-coloured
block in the middle, optional noise (so JPEG sizes grow like real photos)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

WHITE = (255, 255, 255)
GREY = (200, 200, 200)  # a light grey studio background
NAVY = (20, 40, 110)


def photo(
    size: tuple[int, int],
    background: tuple[int, int, int] = GREY,
    *,
    fmt: str = "JPEG",
    quality: int = 90,
    subject: tuple[int, int, int] = NAVY,
    seed: int = 0,
    speckle: int = 0,
) -> bytes:
    """A photo of `size` (width, height) on `background`, encoded as `fmt`.

    `speckle`: how many random dots to add to the subject (more dots, bigger JPEG); `seed`
    varies them, so two seeds give two different pictures of the same layout.
    """
    width, height = size
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    box = (width // 4, height // 5, width * 3 // 4, height * 4 // 5)
    draw.rectangle(box, fill=subject)
    draw.ellipse((width // 3, height // 3, width // 2, height // 2), fill=(180, 30, 30))
    rng = random.Random(seed)
    for _ in range(speckle):
        x = rng.randrange(box[0], box[2])
        y = rng.randrange(box[1], box[3])
        draw.point((x, y), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    if seed and not speckle:  # a different picture: the subject moves
        shift = width // 8
        draw.rectangle((0 + shift, 0 + shift, shift * 2, shift * 2), fill=(30, 140, 60))
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=quality)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def transparent_png(size: tuple[int, int]) -> bytes:
    """A PNG cut-out: transparent background, an opaque block in the middle."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    width, height = size
    ImageDraw.Draw(image).rectangle(
        (width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=(*NAVY, 255)
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
