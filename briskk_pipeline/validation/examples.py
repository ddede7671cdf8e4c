"""The template's own example rows are never a brand's products.

The Briskk template ships with four sample products (`template_examples.toml`, copied from the
template with its source named there). A brand that types its rows below them, or forgets to
delete them, would load "Men's Cotton T-Shirt" into its catalog. The rule for a row to be an
example (so that a brand's real product whose id happens to be `prod001` is not caught):

- its product_id or its sku_id is an example's (letter case ignored), **and**
- at least `MIN_SAME_CONTENT` of the example's content cells — product_name,
  product_description, barcode, product_highlights, bullet_points — are the same on the row
  (letter case and runs of spaces ignored).

Each such row is one problem (on its product_id cell), so its product is rejected; the rest of
the file loads.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Final

import pandas as pd

from briskk_pipeline.validation.membership import text_isin
from briskk_pipeline.validation.report import Problem

CONTENT_COLUMNS: Final = (
    "product_name",
    "product_description",
    "barcode",
    "product_highlights",
    "bullet_points",
)
MIN_SAME_CONTENT: Final = 2
_SPACES: Final = re.compile(r"\s+")


def _comparable(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return _SPACES.sub(" ", str(value)).strip().casefold()


@cache
def examples() -> tuple[dict[str, str], ...]:
    """The template's example rows, as `template_examples.toml` lists them."""
    text = resources.files(__package__).joinpath("template_examples.toml").read_text("utf-8")
    return tuple(dict(row) for row in tomllib.loads(text)["example"])


def _by_id() -> dict[str, dict[str, str]]:
    ids: dict[str, dict[str, str]] = {}
    for example in examples():
        ids[example["product_id"].casefold()] = example
        ids[example["sku_id"].casefold()] = example
    return ids


def template_example_rows(typed: pd.DataFrame) -> list[Problem]:
    """A problem for each row of `typed` (indexed by Excel row) that is one of the template's
    example rows by the rule in this module's docstring."""
    ids = _by_id()
    candidates = text_isin(typed["product_id"].str.casefold(), ids) | text_isin(
        typed["sku_id"].str.casefold(), ids
    )
    problems: list[Problem] = []
    for row, cells in typed.loc[candidates].iterrows():
        example = (
            ids.get(str(cells["product_id"]).casefold()) or ids[str(cells["sku_id"]).casefold()]
        )
        same = sum(
            1
            for column in CONTENT_COLUMNS
            if _comparable(cells[column]) is not None
            and _comparable(cells[column]) == _comparable(example[column])
        )
        if same >= MIN_SAME_CONTENT:
            problems.append(
                Problem(
                    row=int(row),  # type: ignore[arg-type]
                    column="product_id",
                    value=None if pd.isna(cells["product_id"]) else str(cells["product_id"]),
                    message=f"this row is the template's own example product "
                    f"'{example['product_name']}' ({example['product_id']} / "
                    f"{example['sku_id']} in the template's sample data), not one of your "
                    "products: delete the template's example rows and upload again",
                )
            )
    return problems
