"""Putting verified image bytes into the object store, content-addressed.

The key is `images/<sha256>.<ext>`: the same bytes from any URL, product or tenant land in one
object, and an object that already exists is not written again (one HEAD instead of a PUT).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from briskk_pipeline.images.model import StoredImage
from briskk_pipeline.images.verify import VerifiedImage

if TYPE_CHECKING:
    from briskk_pipeline.resources import ObjectStore

IMAGE_PREFIX = "images"


def object_key(sha256: str, extension: str) -> str:
    return f"{IMAGE_PREFIX}/{sha256}.{extension}"


def stored_image(store: ObjectStore, image: VerifiedImage) -> StoredImage:
    """The catalog facts of `image` as it is (or will be) stored in `store`."""
    key = object_key(image.sha256, image.extension)
    return StoredImage(
        sha256=image.sha256,
        uri=store.uri(key),
        object_key=key,
        content_type=image.content_type,
        format=image.format,
        width=image.width,
        height=image.height,
        bytes=image.bytes,
        border_white=image.border_white,
        phash=image.phash,
    )


def store_image(store: ObjectStore, data: bytes, image: VerifiedImage) -> StoredImage:
    """Write `data` under its content address unless it is already there; return its facts."""
    facts = stored_image(store, image)
    if not store.exists(facts.object_key):
        store.put(facts.object_key, data, image.content_type)
    return facts
