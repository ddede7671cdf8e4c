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
    """Every HSN, barcode and tax rule finding of `typed` (cleaned rows, index = Excel row).

    A product's tax rule is judged against each SKU row's price; the rows that disagree in the
    same way make one warning, on the first of them, naming the others.
    """
    found = CodeFindings()
    hsn_checks: dict[str, HsnCheck] = {}
    warned_products: set[str] = set()
    # (product, tax rule, implied rate) -> rows, and the words for the first of them
    tax: dict[tuple[str, str, object], tuple[list[int], str, str]] = {}
    tax_cache: dict[tuple[str, str, str], tuple[object, str] | None] = {}
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
        tax_rule = _text(columns["tax_rule_id"][i])
        if hsn is None or check is None or check.status is HsnStatus.INVALID or tax_rule is None:
            continue
        offer, price = columns["offer_price"][i], columns["price"][i]
        key = (hsn, tax_rule, f"{_text(offer)}|{_text(price)}")
        if key not in tax_cache:
            tax_cache[key] = _tax_warning(hsn, tax_rule, _price(offer, price), tax_rules)
        warning = tax_cache[key]
        if warning is not None:
            rate, words = warning
            group = tax.setdefault((product, tax_rule, rate), ([], tax_rule, words))
            group[0].append(int(row))
    for rows_of, tax_rule, words in tax.values():
        others = f" (also rows {', '.join(map(str, rows_of[1:]))})" if len(rows_of) > 1 else ""
        found.warnings.append(Problem(rows_of[0], "tax_rule_id", tax_rule, words + others))
    return found


def _tax_warning(
    hsn: str,
    tax_rule_id: str,
    price: Decimal | None,
    tax_rules: Mapping[str, float] | None,
) -> tuple[object, str] | None:
    """(the implied rate, the warning's words) when the rule names another rate; else None."""
    if price is None:
        return None
    named = named_rate(tax_rule_id, tax_rules)
    implied = implied_rate(hsn, price)
    if named is None or implied is None or named == implied.rate:
        return None
    return implied.rate, (
        f"tax rule {tax_rule_id!r} is {named} % GST, but HSN {hsn} at ₹{_rupees(price)} per "
        f"piece is {implied.rate} %: {implied.reason}"
    )
