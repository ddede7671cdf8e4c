"""What the rules read about one product: its attributes, SKUs and image slots with facts.

Built from the frames an upload already has (`validated_rows.products`/`skus`, and
`product_images`' slot and image frames) or from the catalog's tables (`store.py`), so the
rules in `verdict.py` never touch pandas, the database or an image.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

import pandas as pd

from briskk_pipeline.template import IMAGE_COLUMNS, PRODUCT_COLUMNS, SKU_COLUMNS


@dataclass(frozen=True)
class ImageInfo:
    """A stored image's facts (the `images` row); border_white/phash None: not measured."""

    sha256: str
    format: str
    width: int
    height: int
    bytes: int
    border_white: float | None
    phash: str | None


@dataclass(frozen=True)
class Slot:
    """One image slot: position 0 is main_image, 1..8 image_1..image_8."""

    position: int
    status: str  # stored | failed | blocked
    reason: str | None
    image: ImageInfo | None  # set when stored

    @property
    def column(self) -> str:
        return IMAGE_COLUMNS[self.position]


@dataclass(frozen=True)
class ProductFacts:
    """One product as the rules see it; `row` is its first Excel row in the upload (None when
    read from the catalog)."""

    product_id: str
    row: int | None
    attributes: Mapping[str, str | None]
    skus: tuple[Mapping[str, str | None], ...]
    slots: tuple[Slot, ...] = field(default_factory=tuple)

    @cached_property
    def hsn_code(self) -> str | None:
        return self.attributes.get("hsn_code")

    @cached_property
    def stored(self) -> tuple[Slot, ...]:
        """The slots whose image is stored (every image rule reads them, for each channel:
        worked out once; `cached_property` writes the instance's `__dict__`, which a frozen
        dataclass allows)."""
        return tuple(s for s in self.slots if s.status == "stored" and s.image is not None)


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


_NA: Final = pd.NA


def _texts(values: list[object]) -> list[str | None]:
    """`_text` of each value; text, nearly every cell here, is stripped in line (a function
    call per cell was a third of the readiness step for 100,000 SKUs)."""
    return [
        (v.strip() or None) if type(v) is str else None if v is None or v is _NA else _text(v)
        for v in values
    ]


def image_infos(images: pd.DataFrame) -> dict[str, ImageInfo]:
    """sha256 -> facts, from an `images` frame (IMAGE_FRAME_COLUMNS) or table rows."""
    found: dict[str, ImageInfo] = {}
    for sha, fmt, width, height, size, white, phash in zip(
        images["sha256"].tolist(),
        images["format"].tolist(),
        images["width"].tolist(),
        images["height"].tolist(),
        images["bytes"].tolist(),
        images["border_white"].tolist(),
        images["phash"].tolist(),
        strict=True,
    ):
        white_text = _text(white)
        found[str(sha)] = ImageInfo(
            sha256=str(sha),
            format=str(fmt),
            width=int(width),
            height=int(height),
            bytes=int(size),
            border_white=float(white_text) if white_text is not None else None,
            phash=_text(phash),
        )
    return found


def product_facts(
    products: pd.DataFrame,
    skus: pd.DataFrame,
    slots: pd.DataFrame,
    images: Mapping[str, ImageInfo],
    product_rows: Mapping[str, int] | None = None,
) -> list[ProductFacts]:
    """One `ProductFacts` per row of `products`, in order; `slots` has the `product_images`
    columns (product_id, position, status, reason, sha256)."""
    rows = product_rows or {}
    by_product_skus: dict[str, list[dict[str, str | None]]] = {}
    sku_columns = [c for c in ("sku_id", *SKU_COLUMNS) if c in skus.columns]
    sku_values = [_texts(skus[c].tolist()) for c in sku_columns]
    for product_id, *cells in zip(skus["product_id"].tolist(), *sku_values, strict=True):
        by_product_skus.setdefault(str(product_id), []).append(
            dict(zip(sku_columns, cells, strict=True))
        )
    by_product_slots: dict[str, list[Slot]] = {}
    for product_id, position, status, reason, sha in zip(
        slots["product_id"].tolist(),
        slots["position"].tolist(),
        slots["status"].tolist(),
        slots["reason"].tolist(),
        slots["sha256"].tolist(),
        strict=True,
    ):
        sha_text = _text(sha)
        by_product_slots.setdefault(str(product_id), []).append(
            Slot(
                position=int(position),
                status=str(status),
                reason=_text(reason),
                image=images.get(sha_text) if sha_text else None,
            )
        )
    columns = [c for c in PRODUCT_COLUMNS if c in products.columns]
    values = [_texts(products[c].tolist()) for c in columns]
    facts: list[ProductFacts] = []
    for product_id, *cells in zip(products["product_id"].tolist(), *values, strict=True):
        key = str(product_id)
        facts.append(
            ProductFacts(
                product_id=key,
                row=rows.get(key),
                attributes=dict(zip(columns, cells, strict=True)),
                skus=tuple(by_product_skus.get(key, ())),
                slots=tuple(sorted(by_product_slots.get(key, ()), key=lambda s: s.position)),
            )
        )
    return facts
