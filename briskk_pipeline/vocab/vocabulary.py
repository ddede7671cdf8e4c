"""Loading the vocabulary files (`data/<column>.toml`) and matching a value against one.

Every value is compared by its `key`: NFKC, letter case folded, every run of characters other
than letters and digits read as a word break, the column's `ignore_words` dropped, and the
words joined without spaces (`"Regular-Fit "` in `fit` -> `"regular"`, `"V-Neck"` in
`neck_type` -> `"v"`). Two values with one key are the same value.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Final

from rapidfuzz import fuzz, process

# The columns with a vocabulary, each with its file `data/<column>.toml`.
LIST_COLUMNS: Final[tuple[str, ...]] = ("fit", "sleeve", "pattern_type", "neck_type", "material")
COLUMNS: Final[tuple[str, ...]] = (*LIST_COLUMNS, "color", "size")
NEAREST: Final = 3  # allowed values a warning names
_WORD: Final = re.compile(r"[^\W_]+")
_PERCENT: Final = re.compile(r"\d+(?:[.,]\d+)?\s*%")
_PARTS: Final = re.compile(r"\s*(?:[,/&+]|\band\b)\s*", re.IGNORECASE)


def words(text: str) -> list[str]:
    """`'Regular-Fit '` -> `['regular', 'fit']` (NFKC, case folded, split at non-letters)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def key(text: str, ignore: Iterable[str] = ()) -> str:
    """The text a value is compared by (module docstring): `words` less `ignore`, joined."""
    dropped = frozenset(ignore)
    return "".join(w for w in words(text) if w not in dropped)


@dataclass(frozen=True)
class Source:
    """Where a list of values comes from: `name`, `url`, the date it was `retrieved`."""

    name: str
    url: str
    retrieved: str


@dataclass(frozen=True)
class Vocabulary:
    """The allowed values of one list column (`LIST_COLUMNS`) and where they come from.

    `values` as the sources write them; `ignore_words` are dropped before comparing;
    `compositions` (material): a value is allowed when each of its parts is (`parts`).
    """

    column: str
    values: tuple[str, ...]
    sources: tuple[Source, ...]
    ignore_words: tuple[str, ...] = ()
    compositions: bool = False
    by_key: Mapping[str, str] = field(default_factory=dict)

    def match(self, value: str) -> str | None:
        """The allowed value `value` is (by `key`), or None. A composition (`100% Cotton`,
        `60% Cotton, 40% Polyester`) matches when every part does: the value itself is returned."""
        found = self.by_key.get(key(value, self.ignore_words))
        if found is not None or not self.compositions:
            return found
        parts = parts_of(value)
        if parts and all(self.by_key.get(key(p, self.ignore_words)) for p in parts):
            return value
        return None

    def nearest(self, value: str, limit: int = NEAREST) -> list[str]:
        """The `limit` allowed values most like `value` (rapidfuzz `ratio` of the keys)."""
        return nearest(value, self.values, self.ignore_words, limit)


def nearest(
    value: str, allowed: Iterable[str], ignore: Iterable[str] = (), limit: int = NEAREST
) -> list[str]:
    """The `limit` values of `allowed` most like `value`, best first: rapidfuzz `ratio` (the
    normalised Indel similarity) of the `key`s; ties keep `allowed`'s order."""
    ignore = tuple(ignore)
    choices = {name: key(name, ignore) for name in allowed}
    found = process.extract(key(value, ignore), choices, scorer=fuzz.ratio, limit=limit)
    return [name for _, _, name in found]


def parts_of(value: str) -> list[str]:
    """`'60% Cotton, 40% Polyester'` -> `['Cotton', 'Polyester']`: percentages dropped, split at
    `,` `/` `&` `+` and the word "and"."""
    return [p.strip() for p in _PARTS.split(_PERCENT.sub(" ", value)) if p.strip()]


def read_data(column: str) -> dict[str, Any]:
    """The parsed TOML of `data/<column>.toml`. Raises `FileNotFoundError` for another column."""
    text = resources.files(__package__).joinpath("data", f"{column}.toml").read_text("utf-8")
    return tomllib.loads(text)


def source_of(entry: Mapping[str, Any]) -> Source:
    """The `Source` of a table with `name`, `url`, `retrieved`. Raises `KeyError` if one is
    missing: every list of values names where it comes from."""
    return Source(name=entry["name"], url=entry["url"], retrieved=entry["retrieved"])


@cache
def vocabulary(column: str) -> Vocabulary:
    """The vocabulary of a list column (`LIST_COLUMNS`), from its data file.

    Raises `ValueError` when the file is for another column or two values share a key.
    """
    data = read_data(column)
    if data.get("column") != column:
        raise ValueError(f"data/{column}.toml is for column {data.get('column')!r}")
    ignore = tuple(data.get("ignore_words", ()))
    values: list[str] = []
    by_key: dict[str, str] = {}
    for entry in data["sources"]:
        for value in entry["values"]:
            k = key(value, ignore)
            if not k:
                raise ValueError(f"data/{column}.toml: {value!r} is only ignored words")
            if k not in by_key:  # two sources may list one value: the first spelling stays
                by_key[k] = value
                values.append(value)
    return Vocabulary(
        column=column,
        values=tuple(values),
        sources=tuple(source_of(entry) for entry in data["sources"]),
        ignore_words=ignore,
        compositions=bool(data.get("compositions", False)),
        by_key=by_key,
    )
