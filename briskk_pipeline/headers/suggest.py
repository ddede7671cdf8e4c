"""Which unrecognised header a missing template column probably is.

Three ways a header can look like a column, strongest first (the score, 0-100, says which):

- the column's own name written differently (`Product ID`, `offer-price`): 100;
- a name brands commonly give it (`synonyms.toml`: `MRP` -> `price`, `Selling Price` ->
  `offer_price`, `EAN` -> `barcode`): 95;
- a spelling close to the column's name or one of its synonyms (`prodcut_id`, `Selling Prce`):
  rapidfuzz's normalised Indel similarity (`fuzz.ratio`) of the normalised texts, at least
  `SPELLING_THRESHOLD`.

Every text is compared `normalized`: NFKC, letter case folded, a `*` dropped and every run of
other characters than letters and digits read as one space (`"Selling  Price*"` ->
`"selling price"`). Each missing column gets at most one header and each header is suggested
for at most one column, best score first (ties: template column order, then header order).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

from rapidfuzz import fuzz

from briskk_pipeline import template

SAME_NAME: Final = 100.0
SYNONYM: Final = 95.0
SPELLING_THRESHOLD: Final = 80.0
_NOT_WORD: Final = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Suggestion:
    """`header` (as written in the sheet) is probably template column `column`.

    `score` is 100 for the column's name written differently, 95 for a known synonym, else the
    spelling similarity (80-100); `reason` says which in words a brand reads.
    """

    column: str
    header: str
    score: float
    reason: str


def normalized(header: object) -> str:
    """`' Selling_Price* '` -> `'selling price'` (see the module docstring)."""
    text = unicodedata.normalize("NFKC", str(header)).casefold().replace("*", " ")
    return _NOT_WORD.sub(" ", text).strip()


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Template column -> the headers brands give it, as written in `synonyms.toml`.

    Raises `ValueError` if the table names a column the template does not have.
    """
    raw = tomllib.loads(resources.files(__package__).joinpath("synonyms.toml").read_text("utf-8"))
    table = {column: tuple(names) for column, names in raw["synonyms"].items()}
    unknown = set(table) - set(template.COLUMN_NAMES)
    if unknown:
        raise ValueError(f"synonyms.toml names columns the template lacks: {sorted(unknown)}")
    return table


@cache
def synonym_forms() -> dict[str, frozenset[str]]:
    """Template column -> its synonyms as `normalized` texts."""
    return {column: frozenset(map(normalized, names)) for column, names in synonyms().items()}


def score(header: str, column: str) -> tuple[float, str]:
    """How much `header` looks like template column `column`, and why (0 and '' if not)."""
    text = normalized(header)
    if not text:
        return 0.0, ""
    if text == normalized(column):
        return SAME_NAME, f"the name {column} written differently"
    known = synonym_forms().get(column, frozenset())
    if text in known:
        return SYNONYM, f"a common name for {column}"
    best = max((fuzz.ratio(text, other) for other in (normalized(column), *known)), default=0.0)
    if best >= SPELLING_THRESHOLD:
        return float(best), f"spelled like {column}"
    return 0.0, ""


def suggest(unknown_headers: list[str], missing_columns: list[str]) -> list[Suggestion]:
    """For each of `missing_columns` (template names), the header of `unknown_headers` that
    looks most like it, if any does; in the order of `missing_columns`.

    >>> [(s.column, s.header) for s in suggest(["Selling Price", "Notes"], ["offer_price"])]
    [('offer_price', 'Selling Price')]
    """
    candidates: list[tuple[float, int, int, str]] = []
    for c, column in enumerate(missing_columns):
        for h, header in enumerate(unknown_headers):
            value, reason = score(header, column)
            if value:
                candidates.append((-value, c, h, reason))
    chosen: dict[int, Suggestion] = {}
    used: set[int] = set()
    for negative, c, h, reason in sorted(candidates):
        if c in chosen or h in used:
            continue
        chosen[c] = Suggestion(missing_columns[c], unknown_headers[h], -negative, reason)
        used.add(h)
    return [chosen[c] for c in sorted(chosen)]
