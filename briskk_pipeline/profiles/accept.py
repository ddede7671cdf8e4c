"""Accepting mappings: the one function behind `briskk profile map`, `POST /profile/map` and
the brand page's mapping form, so every door stores the same thing the same way.

A mapping is what a person sent: header aliases (`"Selling Price"=offer_price`), headers to
ignore, value maps. It becomes the tenant's next profile version (`store.save`), naming who
accepted it and, when it answered a rejected upload, that upload. Suggestions are never stored
by themselves: only what arrives here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from briskk_pipeline import template
from briskk_pipeline.profiles import store
from briskk_pipeline.profiles.model import ProfileError

IGNORE: str = "-"  # `HEADER=-`: ignore the header


def parse_pairs(pairs: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """`["Selling Price=offer_price", "Notes=-"]` -> aliases and ignored headers.

    The last `=` splits (template names have none). Raises `ProfileError` for a pair without
    `=`, a blank header, or a column the template lacks (naming the closest ones).
    """
    aliases: dict[str, str] = {}
    ignore: list[str] = []
    for pair in pairs:
        header, equals, column = pair.rpartition("=")
        header, column = header.strip(), column.strip()
        if not equals or not header:
            raise ProfileError(f"{pair!r}: write HEADER=template_column (or HEADER=- to ignore)")
        if column == IGNORE:
            ignore.append(header)
        else:
            aliases[header] = check_column(column)
    return aliases, ignore


def parse_values(items: Sequence[str]) -> dict[str, dict[str, str]]:
    """`["color:Navy Blue=Navy"]` -> `{"color": {"Navy Blue": "Navy"}}`. Raises
    `ProfileError` for an item not shaped COLUMN:BRAND VALUE=VALUE."""
    values: dict[str, dict[str, str]] = {}
    for item in items:
        column, colon, rest = item.partition(":")
        brand, equals, value = rest.partition("=")
        if not colon or not equals or not brand.strip() or not value.strip():
            raise ProfileError(
                f"{item!r}: write COLUMN:BRAND VALUE=VALUE (e.g. color:Navy Blue=Navy)"
            )
        values.setdefault(check_column(column.strip()), {})[brand.strip()] = value.strip()
    return values


def check_column(column: str) -> str:
    """`column` if it is a template column, else `ProfileError` naming the closest ones."""
    name = template.normalize_header(column)
    if name in template.BY_NAME:
        return name
    from rapidfuzz import process

    close = [c for c, _, _ in process.extract(column, template.COLUMN_NAMES, limit=3)]
    raise ProfileError(f"{column!r} is not a template column (closest: {', '.join(close)})")


def accept(
    engine: sa.Engine,
    tenant: str,
    *,
    aliases: Mapping[str, str] = {},
    ignore: Sequence[str] = (),
    values: Mapping[str, Mapping[str, str]] = {},
    by: str,
    upload_id: str | None = None,
) -> store.Saved:
    """Add the mappings to the tenant's profile as its next version (nothing stored when they
    change nothing). Raises `ProfileError` for a mapping the profile cannot hold."""
    if not (aliases or ignore or values):
        raise ProfileError("nothing to map: give HEADER=column pairs, headers to ignore or values")
    checked_aliases = {h: check_column(c) for h, c in aliases.items()}
    checked_values = {check_column(c): dict(m) for c, m in values.items()}

    def change(body: dict[str, Any]) -> dict[str, Any]:
        return store.with_mappings(
            body, aliases=checked_aliases, ignore=list(ignore), values=checked_values
        )

    return store.save(engine, tenant, change, by=by, upload_id=upload_id)
