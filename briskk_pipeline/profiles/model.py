"""`Profile`: one version of a tenant's brand profile, as the pipeline uses it.

Pure data: no I/O. Keys are compared the way headers and values are matched
(`header_key`, `value_key`), so `'Selling  Price*'` in a sheet finds the alias written
`Selling Price`, and a cell `navy blue` finds the value map written `Navy Blue`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from briskk_pipeline import template
from briskk_pipeline.headers.suggest import normalized


def header_key(header: object) -> str:
    """How a brand header is compared with an alias: `headers.suggest.normalized`
    (NFKC, case folded, `*` dropped, runs of punctuation and spaces as one space)."""
    return normalized(header)


def value_key(value: object) -> str:
    """How a cell is compared with a value map's brand value: trimmed, NFKC, case folded,
    inner runs of spaces as one (`' Navy  blue'` finds `Navy Blue`)."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", str(value)).casefold().split())


def _frozen(mapping: Mapping[str, Any]) -> dict[str, Any]:
    # a plain dict copy (not a mapping proxy): outputs are stored by `storage/codec.py`
    return dict(mapping)


@dataclass(frozen=True)
class Profile:
    """One version of a tenant's brand profile (version 0: none stored yet).

    - `header_aliases`: brand header as written -> template column name;
    - `ignore_columns`: brand headers (as written) dropped without a warning;
    - `value_maps`: template column -> brand value as written -> the value to load;
    - `strict_columns`: template columns whose vocabulary is enforced (a value outside it
      rejects the row; the vocab package reads this).

    Keys are compared by `header_key` / `value_key`. The review limits are not part of this
    object: they stay in `review_limits` (`review/limits.py`).
    """

    version: int = 0
    header_aliases: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    ignore_columns: frozenset[str] = frozenset()
    value_maps: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: _frozen({}))
    strict_columns: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "header_aliases", _frozen(self.header_aliases))
        object.__setattr__(
            self,
            "value_maps",
            _frozen({c: _frozen(m) for c, m in self.value_maps.items()}),
        )
        object.__setattr__(self, "ignore_columns", frozenset(self.ignore_columns))
        object.__setattr__(self, "strict_columns", frozenset(self.strict_columns))

    @classmethod
    def empty(cls) -> Profile:
        """The profile of a tenant that has none: matches the template's names only."""
        return cls()

    def alias_for(self, header: object) -> str | None:
        """The template column brand header `header` is an alias of, or None."""
        return self._aliases_by_key().get(header_key(header))

    def is_ignored(self, header: object) -> bool:
        """Whether brand header `header` is one the tenant asked to ignore."""
        key = header_key(header)
        return bool(key) and key in {header_key(h) for h in self.ignore_columns}

    def _aliases_by_key(self) -> dict[str, str]:
        return {header_key(h): c for h, c in self.header_aliases.items()}

    def value_map(self, column: str) -> dict[str, str]:
        """`value_key(brand value)` -> value to load, for template column `column`."""
        return {value_key(k): v for k, v in self.value_maps.get(column, {}).items()}

    def is_empty(self) -> bool:
        return not (
            self.header_aliases or self.ignore_columns or self.value_maps or self.strict_columns
        )


class ProfileError(ValueError):
    """A profile that cannot be stored: the message names the entry and why."""


def check(profile: Profile) -> None:
    """Raise `ProfileError` for an entry the pipeline could not apply: an alias to a column
    the template lacks, two aliases of one header, a header both aliased and ignored, a value
    map or strict column naming a column the template lacks, or an empty key."""
    seen: dict[str, str] = {}
    for header, column in profile.header_aliases.items():
        key = header_key(header)
        if not key:
            raise ProfileError(f"header alias {header!r} is blank")
        if column not in template.BY_NAME:
            raise ProfileError(
                f"header alias {header!r} maps to {column!r}, which is not a template column"
            )
        if key in template.BY_NAME or template.normalize_header(header) in template.BY_NAME:
            raise ProfileError(f"header alias {header!r} is already the template column's own name")
        if key in seen:
            raise ProfileError(f"headers {seen[key]!r} and {header!r} are the same header twice")
        seen[key] = header
    for header in profile.ignore_columns:
        if not header_key(header):
            raise ProfileError("an ignored column's header is blank")
        if header_key(header) in seen:
            raise ProfileError(f"header {header!r} is both mapped and ignored")
        if template.normalize_header(header) in template.BY_NAME:
            raise ProfileError(f"{header!r} is a template column: it cannot be ignored")
    for column, mapping in profile.value_maps.items():
        if column not in template.BY_NAME:
            raise ProfileError(f"value map for {column!r}, which is not a template column")
        for brand in mapping:
            if not value_key(brand):
                raise ProfileError(f"value map for {column!r} has a blank brand value")
    for column in profile.strict_columns:
        if column not in template.BY_NAME:
            raise ProfileError(f"strict column {column!r} is not a template column")
