"""Deciding what is an image: decoded by Pillow, never by name or header; bombs refused."""

from __future__ import annotations

import functools
import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image

from briskk_pipeline.images.model import NotAnImage
from briskk_pipeline.images.verify import verify_image
from briskk_pipeline_tests.fixtures.http import make_image


@functools.cache
def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of `width`x`height` zero pixels: kilobytes on the wire, gigapixels
    once decoded. Written by hand so making it costs no memory."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("WEBP", "image/webp", "webp"),
        ("GIF", "image/gif", "gif"),
    ],
)
def test_accepted_formats(fmt: str, content_type: str, extension: str) -> None:
    data = make_image(fmt, size=(31, 17))
    verified = verify_image(data)
    assert (verified.format, verified.content_type, verified.extension) == (
        fmt,
        content_type,
        extension,
    )
    assert (verified.width, verified.height, verified.bytes) == (31, 17, len(data))
    assert verified.sha256 == hashlib.sha256(data).hexdigest()


def test_an_animated_gif_is_accepted() -> None:
    frames = [Image.new("P", (10, 10), i) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    assert verify_image(buffer.getvalue()).format == "GIF"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<!DOCTYPE html><html><body>404</body></html>", "not an image"),
        (b"", "not an image"),
        (b'{"error": "not found"}', "not an image"),
        (b"%PDF-1.7\n", "not an image"),
    ],
)
def test_content_that_is_not_an_image(data: bytes, reason: str) -> None:
    with pytest.raises(NotAnImage, match=reason):
        verify_image(data)


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_other_image_formats_are_refused_by_name(fmt: str) -> None:
    with pytest.raises(NotAnImage, match=f"unsupported image format {fmt}"):
        verify_image(make_image(fmt))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_truncated_image_is_refused(fmt: str) -> None:
    data = make_image(fmt, size=(200, 200), color=(10, 200, 30))
    with pytest.raises(NotAnImage, match="not a valid image"):
        verify_image(data[: len(data) // 2])


def test_a_corrupted_png_is_refused() -> None:
    data = bytearray(make_image("PNG", size=(64, 64)))
    data[60:70] = b"\xff" * 10  # inside IDAT: the CRC no longer matches
    with pytest.raises(NotAnImage, match="not a valid image"):
        verify_image(bytes(data))


def test_a_decompression_bomb_far_over_pillows_limit_is_refused() -> None:
    bomb = png_bomb(30_000, 30_000)  # 900 megapixels in about 100 KB
    assert len(bomb) < 200_000
    with pytest.raises(NotAnImage, match="decompression bomb"):
        verify_image(bomb)


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_an_image_pillow_only_warns_about_is_refused() -> None:
    # 100 megapixels: above Pillow's warning threshold (~89.5 Mpx), below its error threshold.
    with pytest.raises(NotAnImage, match="decompression bomb"):
        verify_image(png_bomb(10_000, 10_000))


def test_an_image_over_our_pixel_cap_is_refused_before_decoding() -> None:
    # 64 megapixels: under Pillow's limits, over ours (50 Mpx by default).
    with pytest.raises(NotAnImage, match="8000x8000 pixels is over the limit"):
        verify_image(png_bomb(8_000, 8_000))
    with pytest.raises(NotAnImage, match="over the limit of 1,000 pixels"):
        verify_image(make_image("PNG", size=(50, 50)), max_pixels=1_000)
    assert verify_image(make_image("PNG", size=(10, 10)), max_pixels=1_000).width == 10
