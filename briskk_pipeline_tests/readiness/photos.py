"""Product photos made by code for the readiness tests: a plain background, a garment-like
block whose place and shape depend on `seed` (two seeds: two different pictures), and
optional fabric-like noise so JPEG sizes grow like real photos'."""

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
    seed: int = 0,
    noise: float = 0,
) -> bytes:
    """A photo of `size` (width, height) on `background`, encoded as `fmt`.

    `seed` places and shapes the subject (a different seed is a different picture; the same
    seed at another size or quality is the same picture). `noise`: the sigma of Gaussian
    noise laid over the subject (with quality 95+, a 1080 × 1440 JPEG of 500 KB to 1 MB).
    """
    width, height = size
    rng = random.Random(seed)
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    left, top = rng.uniform(0.05, 0.2), rng.uniform(0.05, 0.2)
    right, bottom = rng.uniform(0.8, 0.95), rng.uniform(0.8, 0.95)
    box = (int(width * left), int(height * top), int(width * right), int(height * bottom))
    draw.rectangle(box, fill=NAVY)
    for _ in range(3):  # a print on the garment
        x, y = rng.uniform(left, right), rng.uniform(top, bottom)
        r = rng.uniform(0.03, 0.12)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse(
            (
                int(width * (x - r)),
                int(height * (y - r)),
                int(width * (x + r)),
                int(height * (y + r)),
            ),
            fill=colour,
        )
    if noise:
        region = (box[2] - box[0], box[3] - box[1])
        texture = Image.merge("RGB", [Image.effect_noise(region, noise) for _ in range(3)])
        image.paste(Image.blend(image.crop(box), texture, 0.5), box[:2])
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
