"""Checks of an upload's codes at validation time: HSN codes, barcode check digits, GST rates.

Run by `validation.validate.validate_rows` on the typed rows (indexed by Excel row):

- `hsn_code` against the tariff list (`hsn.py`): a code that is not a heading, sub-heading or
  tariff item is a problem (its product is rejected); a 4- or 6-digit heading or sub-heading
  is a warning (truncated), once per product.
- `barcode` check digits (`gtin.py`), for barcodes the schema accepted (8–14 digits): a code
  that is not a valid GTIN-8/12/13/14 is a warning, and a problem for a tenant whose settings
  make barcodes strict (`settings.ReadinessSettings.strict_barcodes`).
- `tax_rule_id` against the GST rate the HSN code and the SKU's price per piece imply
  (`gst.py`; the offer price when there is one, the sale value): a warning on each SKU row
  where they differ.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Final

import pandas as pd

from briskk_pipeline.readiness.gst import implied_rate, named_rate
from briskk_pipeline.readiness.gtin import gtin_problem
from briskk_pipeline.readiness.hsn import HsnCheck, HsnStatus, check_hsn
from briskk_pipeline.validation.report import Problem

_SCHEMA_BARCODE: Final = re.compile(r"^\d{8,14}$")  # what the schema lets through


@dataclass
class CodeFindings:
    """Problems (reject their product) and cell warnings (the row still loads)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _price(offer: object, price: object) -> Decimal | None:
    for value in (offer, price):
        text = _text(value)
        if text is not None:
            try:
                return Decimal(text)
            except InvalidOperation:
                continue
    return None


def _rupees(amount: Decimal) -> str:
    """`2,999` or `1,299.50`: whole rupees without decimals, else two."""
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return f"{amount:,.2f}"


def code_findings(
    typed: pd.DataFrame,
    *,
    strict_barcodes: bool = False,
    tax_rules: Mapping[str, float] | None = None,
) -> CodeFindings:
    """Every HSN, barcode and tax rule finding of `typed` (cleaned rows, index = Excel row)."""
    found = CodeFindings()
    hsn_checks: dict[str, HsnCheck] = {}
    warned_products: set[str] = set()
    rows = typed.index.tolist()
    columns = {
        name: typed[name].tolist() if name in typed else [None] * len(rows)
        for name in ("product_id", "hsn_code", "barcode", "tax_rule_id", "price", "offer_price")
    }
    for i, row in enumerate(rows):
        product = _text(columns["product_id"][i]) or ""
        hsn = _text(columns["hsn_code"][i])
        check = None
        if hsn is not None:
            check = hsn_checks.get(hsn) or hsn_checks.setdefault(hsn, check_hsn(hsn))
            if check.status is HsnStatus.INVALID and check.message:
                found.problems.append(Problem(int(row), "hsn_code", hsn, check.message))
            elif check.status is HsnStatus.TRUNCATED and product not in warned_products:
                warned_products.add(product)
                found.warnings.append(Problem(int(row), "hsn_code", hsn, str(check.message)))
        barcode = _text(columns["barcode"][i])
        if barcode is not None and _SCHEMA_BARCODE.match(barcode):
            problem = gtin_problem(barcode)
            if problem is not None:
                target = found.problems if strict_barcodes else found.warnings
                target.append(Problem(int(row), "barcode", barcode, problem))
        if hsn is not None and check is not None and check.status is not HsnStatus.INVALID:
            warning = _tax_warning(
                hsn,
                _text(columns["tax_rule_id"][i]),
                _price(columns["offer_price"][i], columns["price"][i]),
                tax_rules,
            )
            if warning is not None:
                tax_rule = _text(columns["tax_rule_id"][i])
                found.warnings.append(Problem(int(row), "tax_rule_id", tax_rule, warning))
    return found


def _tax_warning(
    hsn: str,
    tax_rule_id: str | None,
    price: Decimal | None,
    tax_rules: Mapping[str, float] | None,
) -> str | None:
    if tax_rule_id is None or price is None:
        return None
    named = named_rate(tax_rule_id, tax_rules)
    implied = implied_rate(hsn, price)
    if named is None or implied is None or named == implied.rate:
        return None
    return (
        f"tax rule {tax_rule_id!r} is {named} % GST, but HSN {hsn} at ₹{_rupees(price)} per "
        f"piece is "
        f"{implied.rate} %: {implied.reason}"
    )
