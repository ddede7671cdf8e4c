"""A colour's family (`color_family`): one of Shopify's colour values, read from the brand's words.

The rules and their sources are in `data/color.toml`: the whole value is a family or a named
colour; else the longest run of its words that is one (leftmost on a tie); parts joined by
`/ & , +` "and" "with" of different families make `Multicolor`. Comparison is by
`vocabulary.key` (letter case, spaces and punctuation ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Final

from briskk_pipeline.vocab.vocabulary import Source, key, nearest, read_data, source_of, words

MULTICOLOR: Final = "Multicolor"
_PARTS: Final = re.compile(r"\s*(?:[,/&+]|\band\b|\bwith\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ColorVocabulary:
    """`families` (the values `color_family` takes), `names` (colour name -> family, families
    included) and their `sources`."""

    families: tuple[str, ...]
    names: dict[str, str]  # key -> family
    spelled: tuple[str, ...]  # every name as written, for the nearest-value hint
    sources: tuple[Source, ...]


@cache
def color_vocabulary() -> ColorVocabulary:
    """`data/color.toml` loaded. Raises `ValueError` when a group maps to no family."""
    data = read_data("color")
    families = tuple(data["families"]["values"])
    by_key = {key(f): f for f in families}
    names: dict[str, str] = dict(by_key)
    spelled = list(families)
    group_family = data["names"]["group_family"]
    for group, members in data["names"]["groups"].items():
        family = group_family.get(group)
        if family not in families:
            raise ValueError(f"data/color.toml: group {group!r} maps to no family ({family!r})")
        for name in members:
            names.setdefault(key(name), family)  # a name that is a family keeps its own
            spelled.append(name)
    for spelling, name in data["spellings"]["values"].items():
        names[key(spelling)] = names[key(name)]
        spelled.append(spelling)
    sources = (
        source_of(data["families"]),
        source_of(data["names"]),
        source_of(data["spellings"]),
    )
    return ColorVocabulary(families, names, tuple(dict.fromkeys(spelled)), sources)


def color_family(color: str) -> str | None:
    """The family of a brand's colour (`'Navy Blue'` -> `'Navy'`, `'Black/White'` ->
    `'Multicolor'`, `'Light Sky Blue'` -> `'Blue'`), or None when no word of it is a colour."""
    known = color_vocabulary().names
    whole = known.get(key(color))
    if whole is not None:
        return whole
    parts = [p for p in _PARTS.split(color) if p.strip()]
    found = {family for family in map(_part_family, parts) if family is not None}
    if len(found) > 1:
        return MULTICOLOR
    return found.pop() if found else None


def _part_family(part: str) -> str | None:
    """The family of the longest run of `part`'s words that is a colour (leftmost on a tie)."""
    known = color_vocabulary().names
    ws = words(part)
    for length in range(len(ws), 0, -1):
        for start in range(len(ws) - length + 1):
            family = known.get("".join(ws[start : start + length]))
            if family is not None:
                return family
    return None


def nearest_colors(color: str) -> list[str]:
    """The colour names and families most like `color`, for a warning."""
    return nearest(color, color_vocabulary().spelled)
