"""A product's verdict for a channel: `ready`, or every rule it fails, with the slot or cell.

Each rule kind of `rulesets.py` is one function here that reads `ProductFacts` and returns
the failures, in words a brand understands: what is wrong, where (the image slot, e.g.
`image_2`, or the cell's column), and what the channel wants (the rule's `says`). An image
whose border or hash was never measured (`None`) is not judged by those two rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

from briskk_pipeline.readiness.facts import ProductFacts, Slot
from briskk_pipeline.readiness.gtin import gtin_problem
from briskk_pipeline.readiness.image_facts import hash_distance
from briskk_pipeline.readiness.rulesets import ChannelRules, Rule, hsn_chapter


@dataclass(frozen=True)
class Failure:
    """One failed rule of one product (at one slot or cell when `column` is set)."""

    rule: str
    message: str
    column: str | None = None
    row: int | None = None
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "message": self.message,
            "column": self.column,
            "row": self.row,
            "source": self.source,
        }


@dataclass(frozen=True)
class Verdict:
    """A product's readiness for one channel."""

    product_id: str
    channel: str
    row: int | None
    failures: tuple[Failure, ...]

    @property
    def ready(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        """`{product_id, channel, row, ready, failures: [{rule, message, column, row, source}]}`."""
        return {
            "product_id": self.product_id,
            "channel": self.channel,
            "row": self.row,
            "ready": self.ready,
            "failures": [f.to_dict() for f in self.failures],
        }


Found = list[tuple[str, str | None]]  # (message, column) of each failure
Check = Callable[[ProductFacts, Rule, str], Found]


def _kb(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size < 1024 * 1024 else f"{size / 1048576:,.2f} MB"


def _pixels(slot: Slot) -> str:
    return f"{slot.image.width} × {slot.image.height}" if slot.image else "?"


def _slots(product: ProductFacts, rule: Rule) -> tuple[Slot, ...]:
    stored = product.stored
    return tuple(s for s in stored if s.position == 0) if rule.applies_to == "main" else stored


@cache
def _upper(names: tuple[object, ...]) -> frozenset[str]:
    return frozenset(str(n).upper() for n in names)


def _format(product: ProductFacts, rule: Rule, name: str) -> list[tuple[str, str | None]]:
    allowed = _upper(tuple(rule.params["formats"]))
    return [
        (f"{s.column} is {s.image.format}; {name} takes {rule.says}", s.column)
        for s in _slots(product, rule)
        if s.image is not None and s.image.format.upper() not in allowed
    ]


def _aspect(product: ProductFacts, rule: Rule, name: str) -> list[tuple[str, str | None]]:
    width, height = (int(p) for p in str(rule.params["ratio"]).split(":"))
    want = Fraction(width, height)
    tolerance = float(rule.params["tolerance"])
    found: Found = []
    for s in _slots(product, rule):
        assert s.image is not None
        ratio = Fraction(s.image.width, s.image.height)
        if abs(float(ratio / want) - 1) > tolerance:
            shape = f"{ratio.numerator}:{ratio.denominator}" if ratio.denominator <= 20 else ""
            found.append(
                (
                    f"{s.column} is {s.image.width} × {s.image.height}"
                    + (f" ({shape})" if shape else "")
                    + f"; {name} wants {rule.says}",
                    s.column,
                )
            )
    return found


def _min_size(product: ProductFacts, rule: Rule, name: str) -> list[tuple[str, str | None]]:
    p = rule.params
    found: Found = []
    for s in _slots(product, rule):
        assert s.image is not None
        w, h = s.image.width, s.image.height
        small = (
            max(w, h) < int(p["min_long_side"])
            if "min_long_side" in p
            else w < int(p.get("min_width", 0)) or h < int(p.get("min_height", 0))
        )
        if small:
            found.append((f"{s.column} is {w} × {h} pixels; {name} wants {rule.says}", s.column))
    return found


def _max_size(product: ProductFacts, rule: Rule, name: str) -> list[tuple[str, str | None]]:
    limit = int(rule.params["max_long_side"])
    return [
        (
            f"{s.column} is {s.image.width} × {s.image.height} pixels; {name} wants {rule.says}",
            s.column,
        )
        for s in _slots(product, rule)
        if s.image is not None and max(s.image.width, s.image.height) > limit
    ]


def _bytes(product: ProductFacts, rule: Rule, name: str) -> list[tuple[str, str | None]]:
    low = int(rule.params.get("min_bytes", 0))
    high = int(rule.params.get("max_bytes", 1 << 62))
    return [
        (f"{s.column} is {_kb(s.image.bytes)}; {name} wants {rule.says}", s.column)
        for s in _slots(product, rule)
        if s.image is not None and not low <= s.image.bytes <= high
    ]


def _background(product: ProductFacts, rule: Rule, name: str) -> list[tuple[str, str | None]]:
    share = float(rule.params["white_share"])
    want_white = rule.params["want"] == "white"
    found: Found = []
    for s in _slots(product, rule):
        assert s.image is not None
        white = s.image.border_white
        if white is None:
            continue
        is_white = white >= share
        if is_white != want_white:
            looks = "a white background" if is_white else "a background that is not white"
            found.append(
                (
                    f"{s.column} has {looks} ({white:.0%} of its border is near-white); "
                    f"{name} wants {rule.says}",
                    s.column,
                )
            )
    return found


def _duplicates(product: ProductFacts, rule: Rule, name: str) -> list[tuple[str, str | None]]:
    bits = int(rule.params["near_duplicate_bits"])
    seen: list[Slot] = []
    found: Found = []
    for s in product.stored:
        assert s.image is not None
        for earlier in seen:
            assert earlier.image is not None
            if earlier.image.sha256 == s.image.sha256:
                how = "the same image file"
            elif (
                earlier.image.phash is not None
                and s.image.phash is not None
                and (distance := hash_distance(earlier.image.phash, s.image.phash)) <= bits
            ):
                how = (
                    "the same picture"
                    if distance == 0
                    else f"a near-duplicate: perceptual hashes {distance} bits apart"
                )
            else:
                continue
            found.append(
                (f"{s.column} repeats {earlier.column} ({how}); {name} wants {rule.says}", s.column)
            )
            break
        seen.append(s)
    return found


def _count(product: ProductFacts, rule: Rule, name: str) -> list[tuple[str, str | None]]:
    count = len(product.stored)
    low = int(rule.params.get("min", 0))
    high = int(rule.params.get("max", 1 << 30))
    if low <= count <= high:
        return []
    given = len(product.slots)
    note = f" (of {given} given)" if given != count else ""
    plural = "image" if count == 1 else "images"
    return [(f"{count} {plural} stored{note}; {name} wants {rule.says}", None)]


def _stored(product: ProductFacts, rule: Rule, name: str) -> list[tuple[str, str | None]]:
    slots = [s for s in product.slots if rule.applies_to == "all" or s.position == 0]
    if rule.applies_to == "main" and not slots:
        return [(f"main_image is blank; {name} wants {rule.says}", "main_image")]
    return [
        (f"{s.column} is not stored ({s.reason or s.status})", s.column)
        for s in slots
        if s.status != "stored"
    ]


def _required(product: ProductFacts, rule: Rule, name: str) -> list[tuple[str, str | None]]:
    found: Found = []
    for column in rule.params["columns"]:
        if column in product.attributes:
            if product.attributes[column] is None:
                found.append((f"{column} is blank; {name} wants {rule.says}", column))
        else:
            blank = [s.get("sku_id") or "?" for s in product.skus if s.get(column) is None]
            if blank:
                found.append(
                    (
                        f"{column} is blank for SKU {', '.join(blank)}; {name} wants {rule.says}",
                        column,
                    )
                )
    return found


def _gtin(product: ProductFacts, rule: Rule, name: str) -> list[tuple[str, str | None]]:
    found: Found = []
    missing: list[str] = []
    for sku in product.skus:
        barcode = sku.get("barcode")
        if barcode is None:
            missing.append(sku.get("sku_id") or "?")
            continue
        problem = gtin_problem(barcode)
        if problem is not None:
            found.append((f"SKU {sku.get('sku_id')}: barcode {barcode} {problem}", "barcode"))
    if missing and rule.params.get("required"):
        found.append(
            (f"SKU {', '.join(missing)} has no barcode; {name} wants {rule.says}", "barcode")
        )
    return found


CHECKS: dict[str, Check] = {
    "image_format": _format,
    "image_aspect": _aspect,
    "image_min_size": _min_size,
    "image_max_size": _max_size,
    "image_bytes": _bytes,
    "image_background": _background,
    "image_duplicates": _duplicates,
    "image_count": _count,
    "image_stored": _stored,
    "required_attributes": _required,
    "gtin": _gtin,
}


def evaluate(
    product: ProductFacts, channel: ChannelRules, rules: Sequence[Rule] | None = None
) -> Verdict:
    """`product` against every rule of `channel` that applies to it (`rules`: those rules,
    when the caller has already picked them for the product's HSN code)."""
    if rules is None:
        rules = [rule for rule in channel.rules if rule.applies(product.hsn_code)]
    failures: list[Failure] = []
    for rule in rules:
        for message, column in CHECKS[rule.kind](product, rule, channel.name):
            failures.append(Failure(rule.id, message, column, product.row, rule.source))
    return Verdict(product.product_id, channel.channel, product.row, tuple(failures))


def verdicts(products: Iterable[ProductFacts], channels: Sequence[ChannelRules]) -> list[Verdict]:
    """Every product against every channel, product by product. Which rules apply depends
    only on the HSN code's chapter (`Rule.applies`), so they are picked once per chapter."""
    picked: dict[tuple[int, str | None], list[Rule]] = {}
    found: list[Verdict] = []
    for product in products:
        hsn = product.hsn_code
        chapter = hsn_chapter(hsn)
        for index, channel in enumerate(channels):
            rules = picked.get((index, chapter))
            if rules is None:
                rules = picked[index, chapter] = [r for r in channel.rules if r.applies(hsn)]
            found.append(evaluate(product, channel, rules))
    return found
