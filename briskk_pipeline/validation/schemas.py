"""Pandera schemas of a cleaned template row, and plain-language messages for their failures.

The schemas check one row at a time (plus offer ≤ price across two columns); rules that span
rows (duplicate SKUs, product columns that disagree, SKUs owned by another product) live in
`rules.py`. Validation is lazy so a brand sees every problem of a file in one pass.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from briskk_pipeline.template import BY_NAME

BARCODE_PATTERN = r"^\d{8,14}$"  # pandera anchors only the start: end with $

OFFER_CHECK = "offer_price_at_most_price"
MESSAGES: dict[str, str] = {
    "not_nullable": "is required but empty",
    "greater_than(0)": "must be greater than 0",
    "greater_than_or_equal_to(0)": "must be 0 or more",
    f"str_matches('{BARCODE_PATTERN}')": "must be 8 to 14 digits",
    OFFER_CHECK: "must not be more than price",
}


def _field(name: str, **checks: Any) -> Any:
    column = BY_NAME[name]
    return pa.Field(nullable=not column.required, description=column.description, **checks)


def _url(name: str) -> Any:
    # Only required-ness here (a missing main_image is a problem of its row): an unusable
    # address is a warning for its cell, never a rejection (SPEC §2), see `image_urls.py`.
    return _field(name)


def _measure(name: str) -> Any:
    return _field(name, ge=0)


class TemplateRow(pa.DataFrameModel):
    """One SKU row of the Briskk SKU template, after cleaning (see `cleaning.py`)."""

    product_id: Series[str] = _field("product_id")
    product_name: Series[str] = _field("product_name")
    brand: Series[str] = _field("brand")
    product_description: Series[str] = _field("product_description")
    category: Series[str] = _field("category")
    sub_category: Series[str] = _field("sub_category")
    next_sub_category: Series[str] = _field("next_sub_category")
    main_image: Series[str] = _url("main_image")
    image_1: Series[str] = _url("image_1")
    image_2: Series[str] = _url("image_2")
    image_3: Series[str] = _url("image_3")
    image_4: Series[str] = _url("image_4")
    image_5: Series[str] = _url("image_5")
    image_6: Series[str] = _url("image_6")
    image_7: Series[str] = _url("image_7")
    image_8: Series[str] = _url("image_8")
    # 4, 6 or 8 digits of the tariff list: readiness/codes.py (a message per kind of fault)
    hsn_code: Series[str] = _field("hsn_code")
    product_highlights: Series[str] = _field("product_highlights")
    fit: Series[str] = _field("fit")
    sleeve: Series[str] = _field("sleeve")
    pattern_type: Series[str] = _field("pattern_type")
    material: Series[str] = _field("material")
    custom_code: Series[str] = _field("custom_code")
    tax_rule_id: Series[str] = _field("tax_rule_id")
    bullet_points: Series[str] = _field("bullet_points")
    neck_type: Series[str] = _field("neck_type")
    sustainability_info: Series[str] = _field("sustainability_info")

    sku_id: Series[str] = _field("sku_id")
    barcode: Series[str] = _field("barcode", str_matches=BARCODE_PATTERN)
    size: Series[str] = _field("size")
    color: Series[str] = _field("color")
    price: Series[float] = _field("price", gt=0)
    offer_price: Series[float] = _field("offer_price", gt=0)
    stock: Series[pd.Int64Dtype] = _field("stock", ge=0)
    facility_id: Series[str] = _field("facility_id")
    facility_name: Series[str] = _field("facility_name")
    chest_bust_in: Series[float] = _measure("chest_bust_in")
    waist_in: Series[float] = _measure("waist_in")
    hips_in: Series[float] = _measure("hips_in")
    front_length_in: Series[float] = _measure("front_length_in")
    across_shoulder_in: Series[float] = _measure("across_shoulder_in")
    to_fit_bust_in: Series[float] = _measure("to_fit_bust_in")
    to_fit_waist_in: Series[float] = _measure("to_fit_waist_in")
    inseam_length_in: Series[float] = _measure("inseam_length_in")
    is_disabled: Series[bool] = _field("is_disabled")

    @pa.dataframe_check(name=OFFER_CHECK)
    def offer_price_at_most_price(cls, df: pd.DataFrame) -> Series[bool]:
        """An offer is a discount: 0 < offer_price ≤ price (blank offer_price is fine)."""
        return df["offer_price"].isna() | df["price"].isna() | (df["offer_price"] <= df["price"])

    class Config:
        strict = False  # the frame's index is the Excel row; extra columns are not ours
        coerce = False  # cleaning already typed every column; coercion would hide problems


def message_for(check: str) -> str:
    return MESSAGES.get(check, f"failed the check {check}")
