"""The GST rate an HSN code and a price per piece imply, and the rate a tax rule id names.

The rates are data (`data/gst_rates.yaml`, its source at the top: Notification No.
9/2025-Central Tax (Rate), in force 22 Sep 2025, as quoted): for chapters 61, 62 and 63
(apparel, made-up textiles) and 64 (footwear), 5 % at a sale value of ₹2,500 or less per
piece (pair), 18 % above. Other codes imply no rate here and are not checked.

A `tax_rule_id` is the brand's own identifier. It names a rate when it is a rate alone or a
tax word and a rate (`5`, `5%`, `GST_5`, `GST 18%`, `IGST12`, `tax@5`); an opaque id
(`tax001`) names none, unless the tenant's settings map it (`tax_rules`, settings.py).
A mismatch is a warning, never a rejection: the brand's tax set-up may know better.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any, Final

import yaml

_DATA: Final = "data/gst_rates.yaml"
# The GST rates in use (percent); a number outside them in an id is not read as a rate.
KNOWN_RATES: Final = frozenset(
    Decimal(r) for r in ("0", "0.1", "0.25", "1", "1.5", "3", "5", "6", "12", "18", "28", "40")
)
_RATE_ID = re.compile(
    r"^(?:(?:[ICS]|UT)?GST|TAX|RATE|VAT)?[\s_\-@:]*((?:0|[1-9]\d?)(?:\.\d+)?)\s*%?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PriceRule:
    """One row of the rates file: chapters, the exceptions, the threshold and both rates."""

    chapters: tuple[str, ...]
    excepted: tuple[str, ...]
    what: str
    per: str
    threshold: Decimal
    at_or_below: Decimal
    above: Decimal


@dataclass(frozen=True)
class RateTable:
    source: str
    in_force_from: str
    rules: tuple[PriceRule, ...]


@dataclass(frozen=True)
class ImpliedRate:
    """The rate `hsn_code` at `price` implies, and the words that say why."""

    rate: Decimal
    reason: str


@cache
def rate_table() -> RateTable:
    """The shipped rates file, read once per process."""
    text = files("briskk_pipeline.readiness").joinpath(_DATA).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return RateTable(
        source=str(data["source"]),
        in_force_from=str(data["in_force_from"]),
        rules=tuple(
            PriceRule(
                chapters=tuple(str(c) for c in rule["chapters"]),
                excepted=tuple(str(c) for c in rule.get("except", ())),
                what=str(rule["what"]),
                per=str(rule["per"]),
                threshold=Decimal(str(rule["threshold_rupees"])),
                at_or_below=Decimal(str(rule["at_or_below"])),
                above=Decimal(str(rule["above"])),
            )
            for rule in data["rules"]
        ),
    )


def implied_rate(
    hsn_code: str, price: Decimal, table: RateTable | None = None
) -> ImpliedRate | None:
    """The GST rate (percent) for `hsn_code` sold at `price` rupees per piece; None when the
    rates file implies none for the code (another chapter, or an excepted code)."""
    table = table or rate_table()
    for rule in table.rules:
        if hsn_code[:2] not in rule.chapters or hsn_code.startswith(rule.excepted):
            continue
        above = price > rule.threshold
        rate = rule.above if above else rule.at_or_below
        side = "above" if above else "at or below"
        return ImpliedRate(
            rate,
            f"{rule.what} (chapter {hsn_code[:2]}) sold {side} ₹{rule.threshold:,} per "
            f"{rule.per} are taxed at {rate} % since {_date(table.in_force_from)} "
            f"({table.source})",
        )
    return None


def _date(iso: str) -> str:
    from datetime import date

    return f"{date.fromisoformat(iso):%d %b %Y}".lstrip("0")


def named_rate(tax_rule_id: str, tax_rules: Mapping[str, float] | None = None) -> Decimal | None:
    """The GST rate (percent) `tax_rule_id` names: the tenant's map first (`tax_rules`, any
    letter case), else the id read as a rate (`GST_5` -> 5); None when it names none."""
    if tax_rules:
        lowered = {k.lower(): v for k, v in tax_rules.items()}
        if tax_rule_id.lower() in lowered:
            return Decimal(str(lowered[tax_rule_id.lower()]))
    match = _RATE_ID.match(tax_rule_id.strip())
    if match is None:
        return None
    rate = Decimal(match.group(1))
    return rate if rate in KNOWN_RATES else None
