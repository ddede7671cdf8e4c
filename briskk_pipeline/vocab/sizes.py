"""A size's system and normalised value (`size_system`, `size_normalised`).

The systems and their sources are in `data/size.toml`, tried in this order:

- `letter`: XXXS … 6XL and "One size", by code or name ("2XL", "XX-Large", "Double extra
  large" -> `XXL`); two letter sizes joined by `/` or `-` are a letter range (`S/M`);
- a schema.org size system prefix before or after a number (`UK 8`, `8UK`, `EU 42.5` ->
  `UK 8`, `EU 42.5`; system `UK`, `EU`);
- `numeric`: a number from 0 to 60 in steps of 0.5 (`32`, `9.5`); two joined by `/` or `-`
  are a numeric range (`30/32`);
- `age`: months or years, alone or as a range (`6-12 Months`, `2-3Y` -> `2-3 years`).

Comparison ignores letter case, spaces and punctuation. A size in none of them has no
system: it is kept as written and warned about (`check.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Final

from briskk_pipeline.vocab.vocabulary import Source, key, nearest, read_data, source_of

_NUMBER: Final = r"\d+(?:[.,]\d+)?"
_RANGE: Final = re.compile(r"^\s*(?P<a>[^/\-–]+?)\s*[/\-–]\s*(?P<b>[^/\-–]+?)\s*$")
_AGE: Final = re.compile(
    rf"^\s*(?P<a>{_NUMBER})(?:\s*[-–/]\s*(?P<b>{_NUMBER}))?\s*(?P<unit>[a-z]+)\.?\s*$",
    re.IGNORECASE,
)
_PREFIXED: Final = re.compile(
    rf"^\s*(?:(?P<pre>[a-z]+)\s*\.?\s*(?P<n1>{_NUMBER})|(?P<n2>{_NUMBER})\s*(?P<post>[a-z]+))\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Size:
    """A size read: `system` (`letter`, `numeric`, `age`, or a schema.org system such as `UK`)
    and `normalised` (`XXL`, `32`, `2-3 years`, `UK 8`)."""

    system: str
    normalised: str


@dataclass(frozen=True)
class SizeVocabulary:
    letters: dict[str, str]  # key -> code
    codes: tuple[str, ...]
    prefixes: dict[str, str]  # key -> system
    least: Decimal
    most: Decimal
    step: Decimal
    units: dict[str, str]
    sources: tuple[Source, ...]


@cache
def size_vocabulary() -> SizeVocabulary:
    """`data/size.toml` loaded."""
    data = read_data("size")
    letters: dict[str, str] = {}
    for code, names in data["letter"]["values"].items():
        letters[key(code)] = code
        for name in names:
            letters[key(name)] = code
    for table in ("letter_counts", "letter_amazon"):
        for spelling, code in data[table]["values"].items():
            letters[key(spelling)] = code
    numeric = data["numeric"]
    return SizeVocabulary(
        letters=letters,
        codes=tuple(data["letter"]["values"]),
        prefixes={key(p): s for p, s in data["systems"]["values"].items()},
        least=Decimal(str(numeric["least"])),
        most=Decimal(str(numeric["most"])),
        step=Decimal(str(numeric["step"])),
        units={key(u): unit for u, unit in data["age"]["units"].items()},
        sources=tuple(
            source_of(data[t])
            for t in ("letter", "letter_counts", "letter_amazon", "systems", "numeric", "age")
        ),
    )


def read_size(size: str) -> Size | None:
    """The system and normalised value of a brand's size (module docstring), or None."""
    vocab = size_vocabulary()
    code = vocab.letters.get(key(size))
    if code is not None:
        return Size("letter", code)
    number = _number(size)
    if number is not None:
        return Size("numeric", number)
    prefixed = _PREFIXED.match(size)
    if prefixed:
        system = vocab.prefixes.get(key(prefixed["pre"] or prefixed["post"]))
        amount = _plain(prefixed["n1"] or prefixed["n2"])
        if system is not None and amount is not None:
            return Size(system, f"{system} {amount}")
    age = _AGE.match(size)
    if age:
        unit = vocab.units.get(key(age["unit"]))
        first, second = _plain(age["a"]), _plain(age["b"]) if age["b"] else None
        if unit is not None and first is not None:
            span = f"{first}-{second}" if second else first
            return Size("age", f"{span} {unit}")
    ranged = _RANGE.match(size)
    if ranged:
        a, b = read_size(ranged["a"]), read_size(ranged["b"])
        if a and b and a.system == b.system and a.system in ("letter", "numeric"):
            return Size(f"{a.system} range", f"{a.normalised}/{b.normalised}")
    return None


def nearest_sizes(size: str) -> list[str]:
    """The letter sizes most like `size`, for a warning."""
    return nearest(size, size_vocabulary().codes)


def _plain(text: str | None) -> str | None:
    """`'08'` -> `'8'`, `'9,5'` -> `'9.5'`, `'32.0'` -> `'32'`; None when not a number."""
    if text is None:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return format(value.normalize(), "f") if value != value.to_integral() else str(int(value))


def _number(size: str) -> str | None:
    """`size` as a plain number within the numeric system's range and step, else None."""
    text = size.strip()
    if not re.fullmatch(_NUMBER, text):
        return None
    plain = _plain(text)
    if plain is None:
        return None
    vocab = size_vocabulary()
    value = Decimal(plain)
    if not vocab.least <= value <= vocab.most or value % vocab.step != 0:
        return None
    return plain
